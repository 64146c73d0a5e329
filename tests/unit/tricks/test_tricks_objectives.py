"""EMA, feature matching and the unrolled discriminator: defining properties against independent references."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from ganlab.losses import LOSSES
from ganlab.tricks.ema import GeneratorEMA
from ganlab.tricks.feature_matching import feature_matching_loss
from ganlab.tricks.unrolled import look_ahead


def test_ema_averages_parameters_and_copies_buffers() -> None:
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ema = GeneratorEMA(G, decay=0.9)
    before = [p.detach().clone() for p in ema.average.parameters()]
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    G(torch.randn(8, 3))  # moves the batch-norm running statistics
    ema.after_g_step(G, step=0)
    for avg, old, cur in zip(ema.average.parameters(), before, G.parameters(), strict=True):
        torch.testing.assert_close(avg, 0.9 * old + 0.1 * cur.detach())
    for avg_b, cur_b in zip(ema.average.buffers(), G.buffers(), strict=True):
        torch.testing.assert_close(avg_b, cur_b)


def test_feature_matching_loss_is_the_squared_distance_of_the_means() -> None:
    real, fake = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    torch.testing.assert_close(feature_matching_loss(real, fake), torch.tensor((2.0 - 1.0) ** 2 + (3.0 - 1.0) ** 2))
    torch.testing.assert_close(feature_matching_loss(real, real.flip(0)), torch.tensor(0.0))


def _critic() -> nn.Module:
    torch.manual_seed(0)
    # No bias before batch norm (its gradient is rounding noise that Adam would amplify), as in DCGAN.
    return nn.Sequential(
        nn.Flatten(), nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1)
    )


class _D(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = _critic()

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net[:4](x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


def _loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    loss = LOSSES.get("non-saturating")
    return loss.discriminator(real_logits, fake_logits, torch.ones(1), torch.zeros(1))


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_look_ahead_steps_equal_real_optimizer_steps_on_a_copy(optimizer: str) -> None:
    D = _D()

    def make(params):
        if optimizer == "adam":
            return torch.optim.Adam(params, lr=0.01, betas=(0.5, 0.9))
        return torch.optim.RMSprop(params, lr=0.01)

    opt = make(D.parameters())
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    _loss(D(real), D(fake)).backward()  # one real step first, so the optimizer has moments to copy
    opt.step()
    reference = copy.deepcopy(D)
    ref_opt = make(reference.parameters())
    ref_opt.load_state_dict(copy.deepcopy(opt.state_dict()))  # load_state_dict may share the moments
    for _ in range(3):
        ref_opt.zero_grad()
        _loss(reference(real), reference(fake)).backward()
        ref_opt.step()
    ahead = look_ahead(D, opt, _loss, real, fake, None, steps=3, second_order=False)
    for name, p in reference.named_parameters():
        torch.testing.assert_close(ahead.tensors[f"D.{name}"], p.detach(), rtol=1e-5, atol=1e-6)
    x = torch.randn(5, 1, 2, 2)
    torch.testing.assert_close(ahead(x), reference(x), rtol=1e-5, atol=1e-6)


def test_look_ahead_leaves_d_its_buffers_and_its_optimizer_untouched() -> None:
    D = _D()
    opt = torch.optim.Adam(D.parameters(), lr=0.01)
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    _loss(D(real), D(fake)).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    state = copy.deepcopy(D.state_dict())
    opt_state = copy.deepcopy(opt.state_dict())
    z = torch.randn(6, 3, requires_grad=True)
    G = nn.Linear(3, 4)
    fake = G(z).view(6, 1, 2, 2)
    ahead = look_ahead(D, opt, _loss, real, fake, None, steps=4, second_order=True, clip=0.5)
    ahead(fake).mean().backward()  # G's backward pass through the look-ahead
    for key, value in D.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert all(p.grad is None for p in D.parameters())  # G's backward pass left no gradient on D
    after = opt.state_dict()
    for pid, moments in opt_state["state"].items():
        for key, value in moments.items():
            torch.testing.assert_close(after["state"][pid][key], value, rtol=0, atol=0)
    for name, _ in D.named_parameters():  # WGAN's clipping is part of each look-ahead step
        assert float(ahead.tensors[f"D.{name}"].detach().abs().max()) <= 0.5


def test_second_order_look_ahead_changes_the_generator_gradient() -> None:
    D, G = _D(), nn.Linear(3, 4)
    opt = torch.optim.Adam(D.parameters(), lr=0.05)
    real, z = torch.randn(6, 1, 2, 2), torch.randn(6, 3)
    grads = {}
    for order in (False, True):
        G.zero_grad()
        fake = G(z).view(6, 1, 2, 2)
        ahead = look_ahead(D, opt, _loss, real, fake, None, steps=2, second_order=order)
        nn.functional.softplus(-ahead(fake)).mean().backward()
        grads[order] = G.weight.grad.clone()
    assert not torch.allclose(grads[False], grads[True])  # the look-ahead's dependence on G is back-propagated
    assert all(torch.isfinite(g).all() for g in grads.values())
