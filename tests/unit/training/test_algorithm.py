"""The algorithm core (training/algorithm.py) against closed forms, on a linear critic and a linear generator
whose gradients are written out by hand, and the loop that drives it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from ganlab.data import load_dataset
from ganlab.lipschitz import GradientPenalty, Lipschitz, WeightClipping
from ganlab.losses import LOSSES
from ganlab.plugins import load_config
from ganlab.rundir.layout import RunDir
from ganlab.training.algorithm import Update, critic_update, generator_update, iteration
from ganlab.training.hooks import Hook, HookContext
from ganlab.training.loop import Loop
from ganlab.training.objective import GeneratorObjective
from ganlab.training.state import TrainState, build_state

LR = 0.1
WASSERSTEIN = LOSSES.get("wasserstein")


def linear_critic(w: list[float], b: float = 0.0) -> nn.Linear:
    D = nn.Linear(len(w), 1).double()
    with torch.no_grad():
        D.weight.copy_(torch.tensor([w], dtype=torch.float64))
        D.bias.fill_(b)
    return D


def scores(D: nn.Module) -> nn.Module:
    return nn.Sequential(D, nn.Flatten(0))  # (B, 1) -> (B,)


def batches() -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(8, 3, generator=gen, dtype=torch.float64) + 1.0
    fake = torch.randn(8, 3, generator=gen, dtype=torch.float64) - 1.0
    return real, fake


def test_a_wasserstein_critic_step_is_gradient_descent_on_the_mean_gap() -> None:
    """L = E[D(x~)] - E[D(x)] for D(x) = w.x + b: dL/dw = mean(x~) - mean(x), dL/db = 0."""
    real, fake = batches()
    D = linear_critic([0.2, -0.1, 0.3])
    w0 = D.weight.detach().clone()
    critic = scores(D)
    result = critic_update(D, critic, WASSERSTEIN, Lipschitz(), Update(D, torch.optim.SGD(D.parameters(), LR)),
                           real, fake, None)  # fmt: skip
    expected = w0 - LR * (fake.mean(0) - real.mean(0))
    torch.testing.assert_close(D.weight.detach()[0], expected[0])
    assert D.bias.item() == 0.0
    assert result.loss.item() == pytest.approx(float((fake.mean(0) - real.mean(0)) @ w0[0]))
    assert result.penalty.grad_norm is None and result.grad_norm is None


def test_clipping_follows_the_step() -> None:
    real, fake = batches()
    D = linear_critic([0.2, -0.1, 0.3])
    w0 = D.weight.detach().clone()
    update = Update(D, torch.optim.SGD(D.parameters(), LR))
    critic_update(D, scores(D), WASSERSTEIN, WeightClipping(0.05), update, real, fake, None)
    expected = (w0 - LR * (fake.mean(0) - real.mean(0))).clamp(-0.05, 0.05)
    torch.testing.assert_close(D.weight.detach(), expected)


def test_the_gradient_penalty_of_a_linear_critic_has_its_closed_form() -> None:
    """||grad_x D|| = ||w|| everywhere, so the penalty is lambda (||w|| - 1)^2 with gradient
    2 lambda (||w|| - 1) w / ||w||, whatever the interpolates."""
    real, fake = batches()
    weight = 10.0
    D = linear_critic([0.6, 0.0, 0.0])
    w0 = D.weight.detach().clone()
    update = Update(D, torch.optim.SGD(D.parameters(), LR))
    result = critic_update(D, scores(D), WASSERSTEIN, GradientPenalty(weight), update, real, fake,
                           torch.Generator().manual_seed(1), measure=True)  # fmt: skip
    norm = w0.norm()
    grad = (fake.mean(0) - real.mean(0)) + 2 * weight * (norm - 1) * w0[0] / norm
    torch.testing.assert_close(D.weight.detach()[0], w0[0] - LR * grad)
    assert result.penalty.value.item() == pytest.approx(weight * (0.6 - 1) ** 2)
    assert result.penalty.grad_norm is not None and result.penalty.grad_norm.item() == pytest.approx(0.6)
    assert result.grad_norm is not None and result.grad_norm.item() == pytest.approx(float(grad.norm()))


def test_the_logistic_critic_step_matches_autograd_with_targets() -> None:
    """The minimax D loss with smoothed targets, against the same loss differentiated by hand."""
    real, fake = batches()
    D = linear_critic([0.2, -0.1, 0.3], b=0.1)
    w0, b0 = D.weight.detach().clone()[0], D.bias.item()
    loss = LOSSES.get("minimax")
    update = Update(D, torch.optim.SGD(D.parameters(), LR))
    critic_update(D, scores(D), loss, Lipschitz(), update, real, fake, None,
                  targets=lambda r, f: (torch.full_like(r, 0.9), torch.zeros_like(f)))  # fmt: skip
    # BCE with target t on logit l = w.x + b has dl-gradient sigmoid(l) - t, averaged over each batch.
    g_real = torch.sigmoid(real @ w0 + b0) - 0.9
    g_fake = torch.sigmoid(fake @ w0 + b0)
    grad_w = (g_real[:, None] * real).mean(0) + (g_fake[:, None] * fake).mean(0)
    grad_b = g_real.mean() + g_fake.mean()
    torch.testing.assert_close(D.weight.detach()[0], w0 - LR * grad_w)
    assert D.bias.item() == pytest.approx(b0 - LR * float(grad_b))


def test_the_generator_update_moves_g_only() -> None:
    """G(z) = z + c and L_G = -E[D(G(z))] = -(w.(mean z + c) + b): dL/dc = -w; D gets no gradient."""
    D = linear_critic([0.2, -0.1, 0.3])
    shift = nn.Parameter(torch.zeros(3, dtype=torch.float64))
    G = nn.Module()
    G.register_parameter("shift", shift)
    z = torch.randn(8, 3, dtype=torch.float64)
    critic = scores(D)
    g_loss, norm = generator_update(D, lambda: WASSERSTEIN.generator(critic(z + shift)),
                                    Update(G, torch.optim.SGD(G.parameters(), LR)), measure=True)  # fmt: skip
    torch.testing.assert_close(shift.detach(), LR * D.weight.detach()[0])
    assert D.weight.grad is None and D.weight.requires_grad  # frozen only during the update
    assert norm is not None and norm.item() == pytest.approx(float(D.weight.detach().norm()))
    assert g_loss.item() == pytest.approx(-float(z.mean(0) @ D.weight.detach()[0]))


def test_an_iteration_is_n_critic_critic_steps_then_one_generator_step() -> None:
    calls: list[str] = []
    critic, generator = iteration(3, lambda t: calls.append(f"D{t}") or t, lambda: calls.append("G") or "g")
    assert calls == ["D0", "D1", "D2", "G"] and critic == [0, 1, 2] and generator == "g"


def test_the_generator_objective_is_chosen_from_the_tricks() -> None:
    plain = GeneratorObjective.from_config(load_config("dcgan").tricks)
    assert plain.unrolled is None and not plain.feature_matching and not plain.needs_real
    tricks = load_config("dcgan", {"tricks.unrolled": 3, "tricks.feature_matching": True}).tricks
    chosen = GeneratorObjective.from_config(tricks)
    assert chosen.unrolled == 3 and chosen.feature_matching and chosen.needs_real
    with pytest.raises(ValueError, match="real batch"):
        chosen(None, torch.zeros(1), None, None)  # type: ignore[arg-type]


def tiny_state(steps: int, **overrides: object) -> TrainState:
    cfg = load_config(
        "wgan",
        {"data.name": "digits", "model.generator": "mlp", "model.discriminator": "mlp", "model.g_hidden": [16]}
        | {"model.d_hidden": [16], "model.z_dim": 4, "train.batch_size": 8, "train.steps": steps}
        | {"train.n_critic": 3, "log.every": 2, "log.tensorboard": False, "log.sample_every": 0, "eval.every": 0}
        | overrides,
    )
    return build_state(cfg, load_dataset(cfg.data), torch.device("cpu"))


class Recorder(Hook):
    """What the loop gives its hooks, and when."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.walls: list[float] = []
        self.measured = 0

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self.events.append(("start", state.step))
        assert ctx.run.metrics.name == "metrics.jsonl" and ctx.tensorboard is None

    def measure_critic(self, state: TrainState, critic: object, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        self.measured += 1
        return {"probe": real.new_tensor(float(state.d_steps))}

    def on_log(self, state: TrainState, row: dict[str, object]) -> dict[str, object]:
        self.events.append(("log", state.step))
        return {"hook_scalar": 1.0}

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        self.events.append(("step", state.step))
        self.walls.append(ctx.wall_s())

    def on_end(self, state: TrainState, summary: dict[str, object]) -> None:
        self.events.append(("end", state.step))


def test_the_loop_runs_the_iterations_and_calls_its_hooks_in_order(tmp_path: Path) -> None:
    state = tiny_state(4)
    run = RunDir(tmp_path / "run")
    run.make()
    hook = Recorder()
    summary = Loop(state, run, [hook], progress=False).fit()
    assert state.step == 4 and state.d_steps == 4 * 3 and summary["d_steps"] == 12
    assert hook.events == [("start", 0), ("step", 1), ("log", 2), ("step", 2), ("step", 3), ("log", 4), ("step", 4),
                           ("end", 4)]  # fmt: skip
    assert hook.walls == sorted(hook.walls)
    # measured once per log window, in the first critic step of its last iteration, before that step's update
    assert hook.measured == 2
    rows = [r for r in run.metrics.read_text().splitlines()]
    assert len(rows) == 2 and all('"hook_scalar": 1.0' in r and '"probe": ' in r for r in rows)
    assert '"probe": 3.0' in rows[0] and '"probe": 9.0' in rows[1]  # d_steps before steps 2 and 4's critic
    assert all(math.isfinite(float(v)) for v in summary["final"].values() if isinstance(v, float))
