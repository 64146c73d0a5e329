"""Fast paths keep the maths: fused Adam, the fp16-safe gradient penalty, and torch.compile wiring."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab.config.schema import OptimizerConfig
from ganlab.data.base import Dataset
from ganlab.lipschitz import GradientPenalty
from ganlab.losses.penalties import gradient_norms, skip_if_nonfinite
from ganlab.models import build_models
from ganlab.plugins import load_config
from ganlab.training.state import build_state, make_optimizer
from ganlab.training.step import d_step


def test_fused_adam_makes_the_reference_adam_update() -> None:
    torch.manual_seed(0)
    w = torch.randn(5, 3)
    fast, ref = w.clone().requires_grad_(), w.clone().requires_grad_()
    cfg = OptimizerConfig(lr=1e-2, beta1=0.5, beta2=0.9)
    fast_opt = make_optimizer([fast], cfg)
    ref_opt = torch.optim.Adam([ref], lr=1e-2, betas=(0.5, 0.9), eps=cfg.eps, foreach=False, fused=False)
    for step in range(5):
        grad = torch.randn(5, 3, generator=torch.Generator().manual_seed(step))
        fast.grad, ref.grad = grad.clone(), grad.clone()
        fast_opt.step()
        ref_opt.step()
    assert_close(fast, ref)
    assert fast_opt.param_groups[0]["fused"]


def critic() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)).double()


def test_scaled_gradient_norms_are_the_unscaled_norms() -> None:
    D = critic()
    x = torch.randn(5, 4, dtype=torch.float64)
    plain = gradient_norms(lambda p: D(p).squeeze(1), x)
    scaled = gradient_norms(lambda p: D(p).squeeze(1), x, grad_scale=torch.tensor(2.0**16, dtype=torch.float64))
    assert_close(scaled, plain)


def test_skip_if_nonfinite_zeroes_the_value_and_poisons_the_gradient() -> None:
    v = torch.tensor(3.0, requires_grad=True)
    kept = skip_if_nonfinite(v * 2, torch.tensor(True))
    kept.backward()
    assert kept.item() == 6.0 and v.grad.item() == 2.0
    v.grad = None
    skipped = skip_if_nonfinite(v * 2, torch.tensor(False))
    skipped.backward()
    assert skipped.item() == 0.0 and v.grad.isnan()


def test_penalty_overflow_under_a_grad_scaler_skips_the_step_and_lowers_the_scale() -> None:
    D = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1))
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=1)  # x scale overflows fp32
    gp = GradientPenalty(10.0)
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    before = [p.detach().clone() for p in D.parameters()]
    result = gp.penalty(lambda x: D(x).squeeze(1) * 1e3, real, fake, torch.Generator().manual_seed(0), scaler)
    assert torch.isfinite(result.value) and result.value.item() == 0.0 and result.grad_norm.item() == 0.0
    scaler.scale(D(real).mean() + result.value).backward()
    scaler.step(opt)
    scaler.update()
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters(), strict=True))  # skipped
    assert scaler.get_scale() < 2.0**127


def test_penalty_under_a_moderate_scale_matches_the_unscaled_penalty() -> None:
    D = critic().float()
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    plain = GradientPenalty(10.0).penalty(lambda x: D(x).squeeze(1), real, fake, torch.Generator().manual_seed(0))
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    scaled = GradientPenalty(10.0).penalty(
        lambda x: D(x).squeeze(1), real, fake, torch.Generator().manual_seed(0), scaler
    )
    assert_close(scaled.value, plain.value)
    assert_close(scaled.grad_norm, plain.grad_norm)


def tiny_images() -> Dataset:
    x = torch.randint(0, 256, (32, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("toy", "image", x, None, 0, "generated")


def test_compile_keeps_plain_modules_and_parameter_names() -> None:
    small = {"model.g_channels": 4, "model.d_channels": 4, "model.z_dim": 4, "train.batch_size": 8}
    eager = build_state(load_config("dcgan", small), tiny_images(), torch.device("cpu"))
    compiled = build_state(load_config("dcgan", {**small, "train.compile": True}), tiny_images(), torch.device("cpu"))
    for a, b in ((eager.G, compiled.G), (eager.D, compiled.D)):
        assert type(a) is type(b) and list(a.state_dict()) == list(b.state_dict())
        assert b._compiled_call_impl is not None  # calls run the compiled forward
    gp = build_state(load_config("wgan-gp", {**small, "train.compile": True}), tiny_images(), torch.device("cpu"))
    assert gp.G._compiled_call_impl is not None and gp.D._compiled_call_impl is None  # no compiled double backward


def test_fp16_critic_step_hands_its_scaler_to_the_penalty() -> None:
    cfg = load_config(
        "wgan-gp", {"model.g_channels": 4, "model.d_channels": 4, "train.batch_size": 8, "train.precision": "fp16"}
    )
    state = build_state(cfg, tiny_images(), torch.device("cpu"))
    handed: list[object] = []

    class Seen(Exception):
        pass

    def penalty(*args: object) -> None:
        handed.extend(args[4:])
        raise Seen

    state.lipschitz.penalty = penalty  # type: ignore[method-assign]
    with pytest.raises(Seen):
        d_step(state, *state.real_batch())
    assert handed[0] is state.scaler_d and state.scaler_d.is_enabled() and handed[1] == (1, 0)


def test_channels_last_generator_projects_into_channels_last_with_the_same_output() -> None:
    """G's projected first map enters batch norm and the first transposed conv in the convolutions' layout."""
    cfg = load_config("demo", {"model.g_channels": 4, "model.g_max_channels": 8, "model.z_dim": 6})
    G, _ = build_models(cfg.model, (1, 28, 28), 0)
    G = G.double()
    fast = copy.deepcopy(G).to(memory_format=torch.channels_last)
    seen: list[torch.Tensor] = []
    fast.project_norm.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    G.project_norm.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    z = torch.randn(5, 6, dtype=torch.float64)
    assert_close(fast(z), G(z))
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    assert seen[1].is_contiguous()  # an NCHW model keeps NCHW
