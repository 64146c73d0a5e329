"""critic-1d, critic-surface, clipping-depth: their helpers, and each claim judged on the toy's quick output."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.toys.base import judge
from ganlab.toys.clipping_depth import orders_of_magnitude
from ganlab.toys.critic_1d import relative_slope
from ganlab.toys.critic_surface import QUICK as SURFACE_QUICK
from ganlab.toys.critic_surface import weight_stats
from ganlab.toys.nets import MLP, flat_weights


def test_mlp_layers_and_activations() -> None:
    net = MLP(2, 1, width=16, layers=4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(5, 2)
    acts = net.activations(x)
    assert [a.shape for a in acts] == [(5, 16)] * 3 + [(5, 1)]
    assert_close(net(x), acts[-1].squeeze(-1))
    assert len(flat_weights(net)) == 2 * 16 + 16 * 16 * 2 + 16


def test_relative_slope_is_one_on_a_line_and_small_on_a_saturated_sigmoid() -> None:
    xs = np.linspace(-5, 5, 501)
    assert_close(relative_slope(xs, 3 * xs, np.full_like(xs, 3.0), 4.0), 1.0)
    sigmoid = 1 / (1 + np.exp(-2 * xs))
    assert relative_slope(xs, sigmoid, 2 * sigmoid * (1 - sigmoid), 4.0) < 0.01


def test_weight_stats_and_orders_of_magnitude() -> None:
    stats = weight_stats(torch.tensor([0.1, -0.1, 0.0995, 0.02]), bound=0.1, tolerance=0.05)
    assert_close(stats["share_at_clip_bound"], 0.75)
    assert_close(orders_of_magnitude([1e-3, 1.0, 10.0]), 4.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["critic-1d", "critic-surface", "clipping-depth"])
def test_the_claims_hold_on_the_quick_output(quick_run, name: str) -> None:
    judged = judge(json.loads(quick_run(name)["json"].read_text()))
    assert judged and all(j.holds for j in judged), [(j.claim.claim, j.measured) for j in judged if not j.holds]


@pytest.mark.slow
def test_critic_surface_numbers_cover_every_data_set(quick_run) -> None:
    numbers = quick_run("critic-surface")["numbers"]
    assert set(numbers) == set(SURFACE_QUICK.datasets)
    assert all({r["lipschitz"] for r in result["critics"].values()} == {"clip", "gp"} for result in numbers.values())


@pytest.mark.slow
def test_clipping_depth_norms_are_finite_and_positive(quick_run) -> None:
    critics = quick_run("clipping-depth")["numbers"]["critics"]
    assert all(math.isfinite(v) and v > 0 for row in critics.values() for v in row["norms"])


def test_a_claim_that_fails_says_so_with_its_numbers() -> None:
    numbers = {"models": {"GAN": {"relative_slope_at_probe": 0.5, "relative_slope_at_minus_probe": 0.5}}}
    numbers["models"]["WGAN (clip)"] = {"relative_slope_at_probe": 0.9, "relative_slope_at_minus_probe": 0.9}
    (judged,) = judge({"toy": "critic-1d", "numbers": numbers, "settings": {"probe": 4.0}})
    assert not judged.holds and "GAN 0.5, WGAN 0.9" in judged.measured
