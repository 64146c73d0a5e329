"""Architectures, looked up by name: GENERATORS and DISCRIMINATORS registries, built from ModelConfig."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ganlab.config.schema import ModelConfig
from ganlab.errors import ConfigError
from ganlab.models.dcgan import DCGANDiscriminator, DCGANGenerator, supported_resolution
from ganlab.models.layers import dcgan_init
from ganlab.models.mlp import MLPDiscriminator, MLPGenerator
from ganlab.registry import Registry

Shape = tuple[int, ...]
# A builder takes the model section, the shape of one sample and the number of classes (0 = unconditional).
Builder = Callable[[ModelConfig, Shape, int], nn.Module]
GENERATORS: Registry[Builder] = Registry("generator")
DISCRIMINATORS: Registry[Builder] = Registry("discriminator")


def _image_shape(shape: Shape, key: str) -> tuple[int, int, int]:
    if len(shape) != 3 or shape[1] != shape[2] or not supported_resolution(shape[1]):
        raise ConfigError(
            key, "mlp for this data: dcgan needs square images of 4*2^k or 7*2^k pixels", f"shape {shape}"
        )
    return (shape[0], shape[1], shape[2])


@GENERATORS.register("dcgan")
def _dcgan_g(cfg: ModelConfig, shape: Shape, num_classes: int) -> nn.Module:
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
    )
    G.apply(dcgan_init)
    return G


@DISCRIMINATORS.register("dcgan")
def _dcgan_d(cfg: ModelConfig, shape: Shape, num_classes: int) -> nn.Module:
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
    )
    D.apply(dcgan_init)
    return D


@GENERATORS.register("mlp")
def _mlp_g(cfg: ModelConfig, shape: Shape, num_classes: int) -> nn.Module:
    return MLPGenerator(cfg.z_dim, shape, cfg.g_hidden, num_classes, tanh=len(shape) == 3)


@DISCRIMINATORS.register("mlp")
def _mlp_d(cfg: ModelConfig, shape: Shape, num_classes: int) -> nn.Module:
    return MLPDiscriminator(shape, cfg.d_hidden, num_classes, cfg.d_condition)


def build_models(cfg: ModelConfig, shape: Shape, num_classes: int) -> tuple[nn.Module, nn.Module]:
    """(G, D) for samples of `shape`; num_classes > 0 only for conditional models."""
    classes = num_classes if cfg.conditional else 0
    G = GENERATORS.get(cfg.generator, "model.generator")(cfg, shape, classes)
    D = DISCRIMINATORS.get(cfg.discriminator, "model.discriminator")(cfg, shape, classes)
    return G, D


__all__ = [
    "GENERATORS",
    "DISCRIMINATORS",
    "build_models",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "MLPGenerator",
    "MLPDiscriminator",
]
