"""generator-gradient and mixture: their helpers, and each claim judged on the toy's quick output."""

from __future__ import annotations

import json

import pytest
import torch
from torch.testing import assert_close

from ganlab.toys.base import judge
from ganlab.toys.generator_gradient import embed, final_over_initial
from ganlab.toys.mixture import mode_scores


def test_embed_pads_with_zeros() -> None:
    points = torch.randn(4, 2)
    lifted = embed(points, 8)
    assert lifted.shape == (4, 8)
    assert_close(lifted[:, :2], points)
    assert not lifted[:, 2:].any()


def test_final_over_initial_uses_the_tail_median() -> None:
    assert_close(final_over_initial([10.0, 5.0, 1.0, 0.1, 0.3, 0.2], tail=0.5), 0.02)


def test_mode_scores_on_exact_centres() -> None:
    centres = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    points = torch.cat([centres[:2].repeat(10, 1), torch.tensor([[5.0, 5.0]])])  # 2 modes hit, 1 outlier
    scores = mode_scores(points, centres, std=0.02, min_count=10)
    assert scores["modes"] == 2
    assert_close(scores["high_quality"], 20 / 21)


@pytest.mark.slow
def test_generator_gradient_claims_hold_on_the_quick_output(quick_run) -> None:
    judged = judge(json.loads(quick_run("generator-gradient")["json"].read_text()))
    assert len(judged) == 2 and all(j.holds for j in judged), [j.measured for j in judged]


# The quick run (600 G steps), seeds 0-4 measured: on 8 Gaussians GAN and WGAN-GP find all 8 modes and WGAN-GP
# puts more samples on them at every seed (high_quality 0.57-0.73 against 0.21-0.42); on 25 Gaussians WGAN-GP
# covers as many modes as the GAN at 2 seeds of 5 (8 vs 11, 5 vs 11, 7 vs 8, 14 vs 9, 11 vs 10): too few steps
# to judge that claim, which the full scale does (docs/results/README.md).


@pytest.mark.slow
def test_mixture_wgan_gp_puts_more_samples_on_the_modes_of_8_gaussians(quick_run) -> None:
    run = quick_run("mixture")
    judged = judge(json.loads(run["json"].read_text()))
    assert [j.claim.claim[:7] for j in judged] == ["WGAN-GP"]  # judged from the record; held at full scale
    ring = run["numbers"]["8gaussians"]["models"]
    assert ring["GAN"]["modes"] == ring["WGAN-GP"]["modes"] == 8
    assert ring["WGAN-GP"]["high_quality"] > ring["GAN"]["high_quality"]
