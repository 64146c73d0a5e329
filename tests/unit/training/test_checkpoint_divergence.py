"""The divergence watch: the first non-finite step of each kind, kept on the device, reported in one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.errors import Diverged
from ganlab.training.divergence import DivergenceWatch, raise_if_diverged, weights_finite


def _nets() -> tuple[nn.Module, nn.Module]:
    G, D = nn.Linear(3, 2), nn.Linear(2, 1)
    for net in (G, D):
        for p in net.parameters():
            p.grad = torch.ones_like(p)
    return G, D


def test_the_first_bad_step_of_each_kind_is_kept() -> None:
    G, D = _nets()
    watch = DivergenceWatch(torch.device("cpu"), check_grads=True)
    finite = torch.tensor(1.0)
    watch.observe([finite, finite], G, D, 1)
    watch.observe([finite, torch.tensor(float("nan"))], G, D, 2)
    D.weight.grad[0, 0] = float("inf")
    watch.observe([finite, torch.tensor(float("-inf"))], G, D, 3)
    assert watch.first.tolist() == [2, -1, 3]
    with pytest.raises(Diverged) as err:
        raise_if_diverged(watch.first.tolist(), [1.0, 1.0], {"loss_d": 0.5, "loss_g": float("nan")}, 3)
    assert (err.value.step, err.value.what) == (2, "loss_g")
    watch.reset()
    assert watch.first.tolist() == [-1, -1, -1]


def test_gradients_are_left_to_the_scaler_under_fp16() -> None:
    G, D = _nets()
    G.weight.grad[0, 0] = float("inf")
    watch = DivergenceWatch(torch.device("cpu"), check_grads=False)
    watch.observe([torch.tensor(1.0)], G, D, 1)
    assert watch.first.tolist() == [-1, -1, -1]


def test_weights_and_messages() -> None:
    G, D = _nets()
    assert weights_finite([G, D]).tolist() == [1.0, 1.0]
    with torch.no_grad():
        D.bias.fill_(float("nan"))
    flags = weights_finite([G, D]).tolist()
    assert flags == [1.0, 0.0]
    with pytest.raises(Diverged, match="diverged at generator step 7: a weight of D is not finite"):
        raise_if_diverged([-1, -1, -1], flags, {}, 7)
    with pytest.raises(Diverged, match="step 4: the gradient of G is not finite"):
        raise_if_diverged([-1, 4, 5], [1.0, 1.0], {}, 7)
    raise_if_diverged([-1, -1, -1], [1.0, 1.0], {"loss_d": 1.0}, 7)
    assert str(Diverged(3, "loss_d", "summary in x")).endswith("loss_d is not finite; summary in x")
