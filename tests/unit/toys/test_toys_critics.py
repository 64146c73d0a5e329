"""critic-1d, critic-surface, clipping-depth: each claim asserted on the toy's quick output."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

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
def test_critic_1d_gan_is_flat_where_the_critic_is_not(quick_run) -> None:
    models = quick_run("critic-1d")["numbers"]["models"]
    gan, critic = models["GAN"], models["WGAN (clip)"]
    # Slopes relative to each response's mean slope over [-5, 5] (the two scores have different units).
    for side in ("relative_slope_at_probe", "relative_slope_at_minus_probe"):
        assert gan[side] < 0.05 * critic[side], (side, gan[side], critic[side])
    assert critic["relative_slope_at_probe"] > 0.2


@pytest.mark.slow
def test_critic_surface_clipped_weights_pile_at_the_bound_gp_weights_do_not(quick_run) -> None:
    numbers = quick_run("critic-surface")["numbers"]
    assert set(numbers) == set(SURFACE_QUICK.datasets)
    for name, result in numbers.items():
        shares = {row["lipschitz"]: row["share_at_clip_bound"] for row in result["critics"].values()}
        assert shares["clip"] > 0.5, (name, shares)
        assert shares["gp"] < 0.2, (name, shares)
        clipped = next(row for row in result["critics"].values() if row["lipschitz"] == "clip")
        assert clipped["max_abs"] <= SURFACE_QUICK.clip + 1e-7


@pytest.mark.slow
def test_clipping_depth_clipping_spans_decades_gp_stays_within_one(quick_run) -> None:
    critics = quick_run("clipping-depth")["numbers"]["critics"]
    big, small = critics["clip c=0.1"], critics["clip c=0.001"]
    gp = next(row for row in critics.values() if row["lipschitz"] == "gp")
    assert big["norms"][0] > 100 * big["norms"][-1]  # c = 0.1: explodes towards the input
    assert small["norms"][0] < 1e-2 * small["norms"][-1]  # c = 0.001: vanishes towards the input
    assert gp["orders_of_magnitude"] < 1.0
    assert all(math.isfinite(v) and v > 0 for row in critics.values() for v in row["norms"])
