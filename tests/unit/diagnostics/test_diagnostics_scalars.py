"""Health scalars against closed forms, and the guarantee that measuring leaves the models unchanged."""

from __future__ import annotations

import torch
from torch import nn

from ganlab.diagnostics.scalars import buffers_kept, clipped_share, critic_estimate, critic_gradient_norm


def test_gradient_norm_of_a_linear_critic_is_the_norm_of_its_weight() -> None:
    w = torch.tensor([3.0, -4.0, 0.0, 12.0])
    norm = critic_gradient_norm(lambda x: x.flatten(1) @ w, torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2), None)
    torch.testing.assert_close(norm, torch.tensor(13.0))


def test_clipped_share_counts_weights_at_the_bound() -> None:
    params = [torch.tensor([0.01, -0.01, 0.005]), torch.tensor([[0.0, 0.01], [-0.003, -0.01]])]
    torch.testing.assert_close(clipped_share(params, 0.01), torch.tensor(4 / 7))


def test_critic_estimate_is_the_mean_gap() -> None:
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.5], [-0.5]])
    torch.testing.assert_close(critic_estimate(lambda x: 2 * x.squeeze(1), real, fake), torch.tensor(4.0))


def test_measuring_in_training_mode_leaves_every_buffer_as_it_was() -> None:
    D = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    nn.utils.parametrizations.spectral_norm(D[2])  # its power-iteration vectors are buffers too
    before = {k: v.clone() for k, v in D.state_dict().items()}
    D(torch.randn(8, 3))  # without the guard, a forward pass in training mode moves the buffers
    assert not torch.equal(D.state_dict()["1.running_mean"], before["1.running_mean"])
    D.load_state_dict(before)
    with buffers_kept(D):
        critic_gradient_norm(lambda x: D(x).squeeze(1), torch.randn(8, 3), torch.randn(8, 3), None)
    for key, value in D.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    assert all(p.grad is None for p in D.parameters())
