"""Label smoothing, noisy labels and instance noise: each trick's defining property on a small case."""

from __future__ import annotations

import math

import torch

from ganlab.config.schema import TricksConfig
from ganlab.losses import LOSSES
from ganlab.tricks import build_tricks
from ganlab.tricks.instance_noise import InstanceNoise, annealed_sigma
from ganlab.tricks.labels import LabelSmoothing, NoisyLabels


def test_one_sided_smoothing_sets_the_real_target_to_alpha_only() -> None:
    real_t, fake_t = LabelSmoothing(0.9, None).targets(torch.ones(5), torch.zeros(5), step=0)
    torch.testing.assert_close(real_t, torch.full((5,), 0.9))
    torch.testing.assert_close(fake_t, torch.zeros(5))


def test_smoothed_logistic_loss_matches_the_closed_form() -> None:
    # -[a log s(l) + (1 - a) log(1 - s(l))] on reals, -[b log s(l) + (1 - b) log(1 - s(l))] on fakes.
    real_logits, fake_logits = torch.tensor([0.3, -1.2]), torch.tensor([0.7, -2.0])
    real_t, fake_t = LabelSmoothing(0.9, 0.1).targets(torch.ones(2), torch.zeros(2), step=0)
    got = LOSSES.get("non-saturating").discriminator(real_logits, fake_logits, real_t, fake_t)

    def bce(logit: float, target: float) -> float:
        p = 1 / (1 + math.exp(-logit))
        return -(target * math.log(p) + (1 - target) * math.log(1 - p))

    expected = sum(bce(x, 0.9) for x in [0.3, -1.2]) / 2 + sum(bce(x, 0.1) for x in [0.7, -2.0]) / 2
    torch.testing.assert_close(got, torch.tensor(expected))


def test_noisy_labels_flip_the_stated_share_and_swap_the_values() -> None:
    gen = torch.Generator().manual_seed(0)
    n = 20_000
    real_t, fake_t = NoisyLabels(0.05, gen).targets(torch.full((n,), 0.9), torch.zeros(n), step=0)
    both = torch.tensor([0.0, 0.9])
    torch.testing.assert_close(real_t.unique(), both)
    torch.testing.assert_close(fake_t.unique(), both)
    flipped_real, flipped_fake = real_t == 0.0, fake_t > 0.0
    # Binomial(n, 0.05): std = sqrt(n * 0.05 * 0.95) ~ 31 samples; allow 5 std.
    for flips in (flipped_real, flipped_fake):
        torch.testing.assert_close(flips.float().mean(), torch.tensor(0.05), atol=5 * 31 / n, rtol=0)


def test_instance_noise_anneals_linearly_to_zero() -> None:
    assert [annealed_sigma(0.2, t, 10) for t in (0, 5, 10, 15)] == [0.2, 0.1, 0.0, 0.0]


def test_instance_noise_adds_sigma_times_a_standard_normal_from_the_tricks_stream() -> None:
    trick = InstanceNoise(0.2, 10, torch.Generator().manual_seed(3))
    x = torch.randn(4, 1, 5, 5)
    expected = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(trick.d_input(x, step=5), expected)
    assert trick.d_input(x, step=10) is x  # annealed away: D sees the data itself


def test_build_tricks_applies_the_hooks_in_order() -> None:
    cfg = TricksConfig(label_smoothing=0.9, noisy_labels=0.5)
    tricks = build_tricks(cfg, torch.nn.Linear(1, 1), 10, torch.Generator().manual_seed(0))
    assert tricks.names() == ["label_smoothing", "noisy_labels"]
    real_t, fake_t = tricks.targets(torch.ones(1000), torch.zeros(1000), step=0)
    # smoothing first, then flips swap the smoothed values: every target is 0.9 or 0
    torch.testing.assert_close(real_t.unique(), torch.tensor([0.0, 0.9]))
    torch.testing.assert_close(fake_t.unique(), torch.tensor([0.0, 0.9]))
    torch.testing.assert_close(real_t.mean(), torch.tensor(0.45), atol=0.05, rtol=0)  # half of them flipped
