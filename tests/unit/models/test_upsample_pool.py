"""seed 001 §2.2's GAN (models/upsample_pool.py) against its tables, the authors' notebook and a plain-torch
transcription; and model.d_activation=relu (seed 004 §4.1) in the DCGAN discriminator."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import Tensor, nn
from torch.testing import assert_close

from ganlab.config.schema import ModelConfig, TricksConfig
from ganlab.data.base import Dataset
from ganlab.models import build_models
from ganlab.plugins import load_config
from ganlab.training.state import build_state
from ganlab.training.step import d_step, g_step

ARCH = {"generator": "upsample-pool", "discriminator": "upsample-pool"}
CONDITIONS = ["none", "dense", "channels", "projection"]


def upsample_pool(**model: object) -> ModelConfig:
    return ModelConfig(**{**ARCH, **model})  # type: ignore[arg-type]


def convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def slopes(module: nn.Module) -> list[float]:
    """The negative slope of every activation after a layer of `module` (0.0 for ReLU), in order."""
    found: list[float] = []
    for m in module.modules():
        if isinstance(m, nn.LeakyReLU):
            found.append(m.negative_slope)
        elif isinstance(m, nn.ReLU):
            found.append(0.0)
    return found


@pytest.mark.parametrize(("resolution", "channels", "condition"), list(itertools.product([28, 32], [1, 3], CONDITIONS)))
def test_shapes(resolution: int, channels: int, condition: str) -> None:
    cfg = upsample_pool(
        conditional=condition != "none",
        d_condition="dense" if condition == "none" else condition,
        d_head="dense" if condition == "dense" else "conv",
        d_dense=16,
    )
    G, D = build_models(cfg, (channels, resolution, resolution), 10)
    y = torch.randint(0, 10, (3,)) if cfg.conditional else None
    x = G(torch.randn(3, cfg.z_dim), y)
    assert x.shape == (3, channels, resolution, resolution)
    assert x.abs().max() <= 1.0  # tanh
    assert D(x, y).shape == (3,)
    assert D.features(x, y).dim() == 2


def feature_maps(module: nn.Module, kinds: tuple[type[nn.Module], ...], x: Tensor, *args: Tensor | None) -> list:
    """(C, H, W) of the output of every submodule of the given kinds, in call order."""
    shapes: list[tuple[int, ...]] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
        for m in module.modules()
        if isinstance(m, kinds)
    ]
    module(x, *args)
    for hook in hooks:
        hook.remove()
    return shapes


def test_seed001_section_2_2_tables_at_32_pixels() -> None:
    G, D = build_models(upsample_pool(), (3, 32, 32), 0)
    # §2.2.1: dense -> (4, 4, 256); convolution + upsampling 256, 128, 64 (5x5, stride 1); convolution -> 3, tanh
    assert (G.project.in_features, G.project.out_features) == (100, 256 * 4 * 4)
    assert not [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [m.out_channels for m in convs(G)] == [256, 128, 64, 3]
    assert all(m.kernel_size == (5, 5) and m.stride == (1, 1) for m in convs(G))
    ups = [m for m in G.modules() if isinstance(m, nn.Upsample)]
    assert [(m.scale_factor, m.mode) for m in ups] == [(2.0, "nearest")] * 3
    assert feature_maps(G, (nn.BatchNorm2d,), torch.randn(2, 100)) == [
        (256, 4, 4),
        (256, 8, 8),
        (128, 16, 16),
        (64, 32, 32),
    ]  # BN + ReLU after the dense layer and each hidden convolution, none after the output's
    assert slopes(G) == [0.0] * 4 and isinstance(G.blocks[-1], nn.Tanh)
    # §2.2.2: convolution 64, 128, 256 (5x5, stride 1), each max-pooled 2x2 then BN + ReLU; 4x4 conv -> 1
    assert [m.out_channels for m in convs(D)] == [64, 128, 256]
    assert all(m.kernel_size == (5, 5) and m.stride == (1, 1) for m in convs(D))
    pools = [m for m in D.modules() if isinstance(m, nn.MaxPool2d)]
    assert [(m.kernel_size, m.stride) for m in pools] == [(2, 2)] * 3
    assert feature_maps(D, (nn.BatchNorm2d,), torch.randn(2, 3, 32, 32)) == [(64, 16, 16), (128, 8, 8), (256, 4, 4)]
    assert slopes(D) == [0.0] * 3
    assert not [m for m in D.modules() if isinstance(m, nn.Dropout)]
    (out,) = [m for m in D.head.modules() if isinstance(m, nn.Linear)]  # the 4x4 conv over the 4x4 map
    assert (out.in_features, out.out_features) == (4 * 4 * 256, 1)


def test_parameter_counts_are_the_authors_notebook() -> None:
    # GAN.ipynb, the code seed 001 §1 links: Keras summaries of the two models for CIFAR-10, "Trainable params"
    G, D = build_models(upsample_pool(), (3, 32, 32), 0)
    assert sum(p.numel() for p in G.parameters()) == 3_082_307
    assert sum(p.numel() for p in D.parameters()) == 1_033_793


def test_28_pixels_start_at_7x7() -> None:
    G, D = build_models(upsample_pool(), (1, 28, 28), 0)
    assert G.project.out_features == 256 * 7 * 7
    assert [m.out_channels for m in convs(G)] == [128, 64, 1]
    assert feature_maps(D, (nn.BatchNorm2d,), torch.randn(2, 1, 28, 28)) == [(64, 14, 14), (128, 7, 7)]
    assert D.feature_dim == 128 * 7 * 7


def reference_generator(channels: int) -> nn.Module:
    """seed 001 §2.2.1 in torch's own layers."""

    def block(w_in: int, w_out: int) -> list[nn.Module]:
        return [nn.Upsample(scale_factor=2), nn.Conv2d(w_in, w_out, 5, padding=2, bias=False), *bn_relu(w_out)]

    return nn.Sequential(
        nn.Linear(100, 256 * 16),
        nn.Unflatten(1, (256, 4, 4)),
        *bn_relu(256),
        *block(256, 256),
        *block(256, 128),
        *block(128, 64),
        nn.Conv2d(64, channels, 5, padding=2),
        nn.Tanh(),
    )


def reference_discriminator(channels: int) -> nn.Module:
    """seed 001 §2.2.2 in torch's own layers, the last 4x4 conv as a linear layer on the flattened map."""

    def block(w_in: int, w_out: int) -> list[nn.Module]:
        return [nn.Conv2d(w_in, w_out, 5, padding=2, bias=False), nn.MaxPool2d(2), *bn_relu(w_out)]

    return nn.Sequential(*block(channels, 64), *block(64, 128), *block(128, 256), nn.Flatten(), nn.Linear(4096, 1))


def bn_relu(width: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(width), nn.ReLU()]


def copy_into(reference: nn.Module, model: nn.Module) -> nn.Module:
    """`reference` with `model`'s parameters, matched in order."""
    with torch.no_grad():
        for ref, ours in zip(reference.parameters(), model.parameters(), strict=True):
            ref.copy_(ours.reshape(ref.shape))
    return reference


@pytest.mark.parametrize("channels_last", [False, True])
def test_forward_and_gradients_match_a_plain_torch_transcription(channels_last: bool) -> None:
    # float64, where the GEMM convolutions run and torch's batch norm stands in for the fused one (fp32 only;
    # tests/unit/perf/test_norm_act.py checks that one against torch)
    torch.manual_seed(0)
    G, D = build_models(upsample_pool(), (3, 32, 32), 0)
    ref_g, ref_d = copy_into(reference_generator(3), G).double(), copy_into(reference_discriminator(3), D).double()
    layout = torch.channels_last if channels_last else torch.contiguous_format
    G, D = G.double().to(memory_format=layout), D.double().to(memory_format=layout)
    z = torch.randn(2, 100, dtype=torch.float64)
    assert_close(G(z), ref_g(z))
    images = torch.rand(3, 3, 32, 32, dtype=torch.float64).mul(2).sub(1).contiguous(memory_format=layout)
    images, ref_images = images.clone().requires_grad_(), images.clone().requires_grad_()
    logits, ref_logits = D(images), ref_d(ref_images).squeeze(1)
    assert_close(logits, ref_logits)
    logits.square().sum().backward()
    ref_logits.square().sum().backward()
    assert_close(images.grad, ref_images.grad)
    for ours, ref in zip(D.parameters(), ref_d.parameters(), strict=True):
        assert ours.grad is not None and ref.grad is not None
        assert_close(ours.grad.reshape(ref.shape), ref.grad)


def test_fp32_channels_last_forward_matches_the_transcription() -> None:
    # the training configuration: fused batch norm + ReLU, channels_last, fp32
    torch.manual_seed(0)
    G, D = build_models(upsample_pool(), (3, 32, 32), 0)
    ref_g, ref_d = copy_into(reference_generator(3), G).double(), copy_into(reference_discriminator(3), D).double()
    G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    z = torch.randn(2, 100)
    images = G(z)
    assert_close(images.double(), ref_g(z.double()), rtol=1e-4, atol=1e-5)
    assert_close(D(images.detach()).double(), ref_d(images.detach().double()).squeeze(1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_gradients_reach_every_parameter(norm: str) -> None:
    cfg = upsample_pool(g_norm="none" if norm == "none" else "batch", d_norm=norm, conditional=True)
    G, D = build_models(cfg, (1, 28, 28), 10)
    y = torch.randint(0, 10, (4,))
    D(G(torch.randn(4, 100), y), y).sum().backward()
    for name, p in itertools.chain(G.named_parameters(), D.named_parameters()):
        assert p.grad is not None and p.grad.isfinite().all() and p.grad.abs().sum() > 0, name


def test_minibatch_discrimination_and_a_dense_head_use_relu() -> None:
    cfg = upsample_pool(d_head="dense", d_dense=16)
    _, D = build_models(cfg, (1, 28, 28), 0, TricksConfig(minibatch_discrimination=True, mbd_kernels=8))
    assert slopes(D) == [0.0] * 4  # two blocks, the dense layers before and after the minibatch layer
    assert D(torch.randn(4, 1, 28, 28)).shape == (4,)


def tiny_images(side: int = 8) -> Dataset:
    x = torch.randint(0, 256, (32, 1, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("toy", "image", x, None, 0, "generated")


def test_the_preset_trains_and_follows_seed_001() -> None:
    cfg = load_config("upsample-pool", {"data.resolution": 8, "train.batch_size": 4})
    base = load_config("upsample-pool")
    assert (base.model.generator, base.model.discriminator, base.model.z_dim, base.data.resolution) == (
        "upsample-pool",
        "upsample-pool",
        100,
        32,
    )
    assert (base.optim.g.name, base.optim.g.lr, base.optim.d.lr, base.train.batch_size, base.train.n_critic) == (
        "adam",
        2e-4,
        2e-4,
        128,
        1,
    )
    assert base.loss.name == "non-saturating" and "seed 001 §2.2" in base.source
    state = build_state(cfg, tiny_images(), torch.device("cpu"))
    before = [p.detach().clone() for p in state.D.parameters()]
    for _ in range(2):
        real, labels = state.real_batch()
        d_out, g_out = d_step(state, real, labels), g_step(state, labels)
        assert all(v.isfinite().all() for v in (*d_out.values(), *g_out.values()))
    assert all(not torch.equal(b, p) for b, p in zip(before, state.D.parameters(), strict=True))


# model.d_activation: seed 004 §4.1's discriminator uses ReLU, the DCGAN default LeakyReLU 0.2


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
def test_d_activation_relu_puts_relu_in_every_layer_of_the_dcgan_d(norm: str) -> None:
    kw = {"d_channels": 8, "d_norm": norm, "d_head": "dense", "d_dense": 16}
    _, leaky = build_models(ModelConfig(**kw), (1, 32, 32), 0)  # type: ignore[arg-type]
    _, relu = build_models(ModelConfig(d_activation="relu", **kw), (1, 32, 32), 0)  # type: ignore[arg-type]
    assert ModelConfig().d_activation == "leaky_relu"
    assert slopes(leaky) == [0.2] * 4 and slopes(relu) == [0.0] * 4  # three convolutions, the dense layer
    assert list(relu.state_dict()) == list(leaky.state_dict())  # same layers, so checkpoints keep their names
    x = torch.randn(4, 1, 32, 32)
    assert relu.trunk(x).min() >= 0 and leaky.trunk(x).min() < 0


def test_d_activation_reaches_the_minibatch_head() -> None:
    tricks = TricksConfig(minibatch_discrimination=True, mbd_kernels=8)
    cfg = ModelConfig(d_channels=8, d_head="dense", d_dense=16, d_activation="relu")
    _, D = build_models(cfg, (1, 28, 28), 0, tricks)
    assert slopes(D) == [0.0] * 4
