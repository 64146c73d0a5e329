"""Architectures, looked up by name: GENERATORS and DISCRIMINATORS registries, built from ModelConfig."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ganlab.config.schema import Config, ModelConfig, TricksConfig
from ganlab.errors import ConfigError
from ganlab.models.dcgan import DCGANDiscriminator, DCGANGenerator, supported_resolution
from ganlab.models.layers import MinibatchHead, MinibatchSpec, VirtualBatchNorm2d, dcgan_init
from ganlab.models.mlp import MLPDiscriminator, MLPGenerator
from ganlab.models.upsample_pool import UpsamplePoolDiscriminator, UpsamplePoolGenerator
from ganlab.registry import Registry

Shape = tuple[int, ...]
# A builder takes the model section, the shape of one sample, the number of classes (0 = unconditional) and the
# tricks section (the layer tricks: minibatch discrimination in D, virtual batch norm in G).
Builder = Callable[[ModelConfig, Shape, int, TricksConfig], nn.Module]
GENERATORS: Registry[Builder] = Registry("generator")
DISCRIMINATORS: Registry[Builder] = Registry("discriminator")


def mixes_samples(module: nn.Module) -> bool:
    """Whether a sample's output depends on the other samples of its batch: batch norm (batch statistics) or
    minibatch discrimination (seed 001 §4.3). Layer norm, spectral norm and weight clipping do not."""
    batchwise = (nn.modules.batchnorm._BatchNorm, MinibatchHead, VirtualBatchNorm2d)
    return any(isinstance(m, batchwise) for m in module.modules())


def _image_shape(shape: Shape, key: str) -> tuple[int, int, int]:
    if len(shape) != 3 or shape[1] != shape[2] or not supported_resolution(shape[1]):
        raise ConfigError(
            key,
            "mlp for this data: dcgan and upsample-pool need square images of 4*2^k or 7*2^k pixels",
            f"shape {shape}",
        )
    return (shape[0], shape[1], shape[2])


def minibatch_spec(cfg: ModelConfig, tricks: TricksConfig) -> MinibatchSpec | None:
    """The minibatch discrimination layer D gets, or None (seed 001 §4.3)."""
    if not tricks.minibatch_discrimination:
        return None
    return MinibatchSpec(tricks.mbd_kernels, tricks.mbd_kernel_dim, cfg.d_dense if tricks.mbd_dense_after else None)


@GENERATORS.register("dcgan")
def _dcgan_g(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    G = DCGANGenerator(
        cfg.z_dim,
        _image_shape(shape, "model.generator"),
        num_classes,
        channels=cfg.g_channels,
        max_channels=cfg.g_max_channels,
        kernel_size=cfg.kernel_size,
        norm=cfg.g_norm,
        head=cfg.g_head,
        head_kernel=cfg.g_head_kernel or cfg.kernel_size,
        reference_size=tricks.vbn_reference_size if tricks.virtual_batch_norm else 0,
        vbn_statistics=tricks.vbn_statistics,
    )
    G.apply(dcgan_init)
    return G


@DISCRIMINATORS.register("dcgan")
def _dcgan_d(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    D = DCGANDiscriminator(
        _image_shape(shape, "model.discriminator"),
        num_classes,
        channels=cfg.d_channels,
        max_channels=cfg.d_max_channels,
        kernel_size=cfg.kernel_size,
        norm=cfg.d_norm,
        head=cfg.d_head,
        dense=cfg.d_dense,
        condition=cfg.d_condition,
        minibatch=minibatch_spec(cfg, tricks),
        activation=cfg.d_activation,
    )
    D.apply(dcgan_init)
    return D


# seed 001 §2.2: nearest upsampling + 5x5 convs in G, 5x5 convs + max pooling in D (models/upsample_pool.py)
@GENERATORS.register("upsample-pool")
def _upsample_pool_g(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    G = UpsamplePoolGenerator(cfg.z_dim, _image_shape(shape, "model.generator"), num_classes, norm=cfg.g_norm)
    G.apply(dcgan_init)
    return G


@DISCRIMINATORS.register("upsample-pool")
def _upsample_pool_d(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    D = UpsamplePoolDiscriminator(
        _image_shape(shape, "model.discriminator"),
        num_classes,
        norm=cfg.d_norm,
        head=cfg.d_head,
        dense=cfg.d_dense,
        condition=cfg.d_condition,
        minibatch=minibatch_spec(cfg, tricks),
    )
    D.apply(dcgan_init)
    return D


@GENERATORS.register("mlp")
def _mlp_g(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    return MLPGenerator(cfg.z_dim, shape, cfg.g_hidden, num_classes, tanh=len(shape) == 3)


def check_mlp_d(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.model.conditional and cfg.model.d_condition == "channels":
        raise ConfigError("model.d_condition", "dense or projection for an MLP discriminator", "channels")


@GENERATORS.add_check
def check_batch_norm(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.train.batch_size < 2 and (cfg.model.g_norm == "batch" or cfg.model.d_norm == "batch"):
        raise ConfigError("train.batch_size", "at least 2 with batch norm", cfg.train.batch_size)


@DISCRIMINATORS.register("mlp", check=check_mlp_d)
def _mlp_d(cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig) -> nn.Module:
    return MLPDiscriminator(shape, cfg.d_hidden, num_classes, cfg.d_condition, minibatch_spec(cfg, tricks))


def build_models(
    cfg: ModelConfig, shape: Shape, num_classes: int, tricks: TricksConfig | None = None
) -> tuple[nn.Module, nn.Module]:
    """(G, D) for samples of `shape`; num_classes > 0 only for conditional models; `tricks` adds the layer tricks."""
    classes = num_classes if cfg.conditional else 0
    tricks = tricks if tricks is not None else TricksConfig()
    G = GENERATORS.get(cfg.generator, "model.generator")(cfg, shape, classes, tricks)
    D = DISCRIMINATORS.get(cfg.discriminator, "model.discriminator")(cfg, shape, classes, tricks)
    return G, D


__all__ = [
    "GENERATORS",
    "DISCRIMINATORS",
    "build_models",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "MLPGenerator",
    "MLPDiscriminator",
    "UpsamplePoolGenerator",
    "UpsamplePoolDiscriminator",
]
