"""Every loss against its closed form on known logits (computed independently with numpy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.errors import ConfigError
from ganlab.losses import LOSSES

REAL = np.array([2.0, -1.0, 0.5, 3.0])
FAKE = np.array([-2.0, 0.0, 1.5, -0.5])


def sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def t(x: np.ndarray) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


def d_loss(name: str, real_t: float = 1.0, fake_t: float = 0.0) -> torch.Tensor:
    loss = LOSSES.get(name)
    return loss.discriminator(
        t(REAL), t(FAKE), torch.tensor(real_t, dtype=torch.float64), torch.tensor(fake_t, dtype=torch.float64)
    )


@pytest.mark.parametrize("name", ["minimax", "non-saturating"])
def test_logistic_discriminator_loss_is_binary_cross_entropy(name: str) -> None:
    expected = -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE)))
    assert_close(d_loss(name), t(np.array(expected)))


def test_logistic_discriminator_loss_with_smoothed_targets() -> None:
    a, b = 0.9, 0.1  # seed 001 §4.1: the target multiplies log D
    expected = -np.mean(a * np.log(sig(REAL)) + (1 - a) * np.log(1 - sig(REAL)))
    expected += -np.mean(b * np.log(sig(FAKE)) + (1 - b) * np.log(1 - sig(FAKE)))
    assert_close(d_loss("non-saturating", a, b), t(np.array(expected)))


def test_minimax_generator_cost_is_log_one_minus_d() -> None:
    assert_close(LOSSES.get("minimax").generator(t(FAKE)), t(np.array(np.mean(np.log(1 - sig(FAKE))))))


def test_nonsaturating_generator_cost_is_minus_log_d() -> None:
    assert_close(LOSSES.get("non-saturating").generator(t(FAKE)), t(np.array(-np.mean(np.log(sig(FAKE))))))


def test_minimax_gradient_vanishes_where_nonsaturating_does_not() -> None:
    # seed 003: when D confidently rejects G(z) (logit -> -inf) the minimax cost's gradient -> 0.
    logits = torch.tensor([-12.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(LOSSES.get("minimax").generator(logits), logits)
    (g_ns,) = torch.autograd.grad(LOSSES.get("non-saturating").generator(logits), logits)
    assert abs(g_mm.item()) < 1e-4 < 0.99 < abs(g_ns.item())


def test_wasserstein_losses() -> None:
    assert_close(d_loss("wasserstein"), t(np.array(FAKE.mean() - REAL.mean())))
    assert_close(LOSSES.get("wasserstein").generator(t(FAKE)), t(np.array(-FAKE.mean())))


def test_hinge_losses() -> None:
    expected = np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE))
    assert_close(d_loss("hinge"), t(np.array(expected)))
    assert_close(LOSSES.get("hinge").generator(t(FAKE)), t(np.array(-FAKE.mean())))


def test_least_squares_losses() -> None:
    expected = 0.5 * (np.mean((REAL - 1) ** 2) + np.mean(FAKE**2))
    assert_close(d_loss("least-squares"), t(np.array(expected)))
    assert_close(LOSSES.get("least-squares").generator(t(FAKE)), t(np.array(0.5 * np.mean((FAKE - 1) ** 2))))


def test_logistic_loss_is_stable_for_extreme_logits() -> None:
    huge = torch.tensor([80.0, -80.0], dtype=torch.float32)
    for name in LOSSES.names():
        loss = LOSSES.get(name)
        assert torch.isfinite(loss.discriminator(huge, -huge, torch.tensor(1.0), torch.tensor(0.0)))
        assert torch.isfinite(loss.generator(-huge))


def test_unknown_loss_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="did you mean 'hinge'"):
        LOSSES.get("hing", "loss.name")


def test_each_loss_says_what_d_outputs() -> None:
    """Readers of D's output (the logged d_real, the critic estimate) ask the loss, not its name."""
    outputs = torch.tensor([-2.0, 0.0, 3.0])
    for name in ("minimax", "non-saturating"):
        loss = LOSSES.get(name)
        assert loss.output == "logit" and not loss.is_critic
        torch.testing.assert_close(loss.readout(outputs), 1 / (1 + torch.exp(-outputs)))  # the probability
    for name, output in (("wasserstein", "critic"), ("hinge", "critic"), ("least-squares", "score")):
        loss = LOSSES.get(name)
        assert loss.output == output and loss.is_critic == (output == "critic")
        assert torch.equal(loss.readout(outputs), outputs)
    assert set(LOSSES.names()) == {"minimax", "non-saturating", "wasserstein", "hinge", "least-squares"}
