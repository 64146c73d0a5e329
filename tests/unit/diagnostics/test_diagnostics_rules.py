"""Warning rules on hand-made metrics rows: each fires on its pattern, with its evidence, and stays quiet otherwise."""

from __future__ import annotations

import math

import pytest

from ganlab.diagnostics.rules import (
    RuleContext,
    discriminator_winning,
    generator_winning,
    is_flat,
    lipschitz_violation,
    mode_collapse,
    slope,
    vanishing_generator_gradient,
)

LOGISTIC = RuleContext(window=6, chance_loss_d=2 * math.log(2))
CLIPPED = RuleContext(window=6, chance_loss_d=0.0, critic=True, clip=0.01)


def rows(**series: list[float]) -> list[dict[str, float]]:
    n = len(next(iter(series.values())))
    return [{"step": 10 * (i + 1), **{k: v[i] for k, v in series.items()}} for i in range(n)]


# A healthy run: losses oscillate around their equilibrium, D ahead on real data, gradients steady.
HEALTHY = rows(
    loss_d=[1.30, 1.21, 1.35, 1.18, 1.27, 1.33, 1.22, 1.29],
    loss_g=[0.82, 0.91, 0.78, 0.95, 0.86, 0.80, 0.93, 0.88],
    d_real=[0.58, 0.61, 0.56, 0.62, 0.59, 0.57, 0.60, 0.58],
    d_fake=[0.42, 0.39, 0.44, 0.38, 0.41, 0.43, 0.40, 0.42],
    grad_norm_g=[8.0, 9.1, 7.5, 10.2, 8.8, 7.9, 9.4, 8.6],
    grad_norm_interp=[0.4, 0.5, 0.45, 0.6, 0.5, 0.55, 0.5, 0.48],
)


@pytest.mark.parametrize(
    "rule", [discriminator_winning, generator_winning, vanishing_generator_gradient, lipschitz_violation]
)
def test_a_healthy_run_stays_quiet(rule) -> None:
    for ctx in (LOGISTIC, CLIPPED):
        for end in range(1, len(HEALTHY) + 1):
            assert rule(HEALTHY[:end], ctx) is None


def test_slope_and_flatness() -> None:
    assert slope([1.0, 2.0, 3.0]) == pytest.approx(1.0) and slope([3.0, 3.0]) == 0.0
    assert is_flat([1.0, 1.005, 0.998]) and not is_flat([1.0, 1.1, 0.95]) and is_flat([0.0, 0.0005])


def test_discriminator_winning_needs_loss_d_near_zero_and_loss_g_rising() -> None:
    data = rows(loss_d=[0.9, 0.5, 0.3, 0.12, 0.08, 0.05], loss_g=[1.0, 1.6, 2.2, 2.9, 3.5, 4.1])
    finding = discriminator_winning(data, LOGISTIC)
    assert finding is not None and finding.rule == "discriminator_winning" and finding.step == 60
    assert finding.evidence["loss_d"] == 0.05 and finding.evidence["loss_g_end"] == 4.1
    assert "step 60" in finding.message and "Fig. 6" in finding.message
    falling_g = rows(loss_d=[0.9, 0.5, 0.3, 0.12, 0.08, 0.05], loss_g=[4.1, 3.5, 2.9, 2.2, 1.6, 1.0])
    assert discriminator_winning(falling_g, LOGISTIC) is None
    assert discriminator_winning(data[:5], LOGISTIC) is None  # a shorter trend than the window
    assert discriminator_winning(data, CLIPPED) is None  # a Wasserstein critic's loss is no probability


def test_generator_winning_when_d_is_fooled_or_both_losses_are_flat() -> None:
    fooled = rows(
        loss_d=[1.5, 1.7, 1.8, 2.0, 2.1, 2.3],
        loss_g=[0.64, 0.53, 0.45, 0.35, 0.29, 0.24],
        d_real=[0.47, 0.48, 0.47, 0.47, 0.49, 0.48],
        d_fake=[0.53, 0.61, 0.64, 0.71, 0.74, 0.78],
    )
    finding = generator_winning(fooled, LOGISTIC)
    assert finding is not None and finding.step == 60 and finding.evidence["d_fake"] == 0.78
    flat = rows(
        loss_d=[1.3862, 1.3863, 1.3861, 1.3862, 1.3862, 1.3863],
        loss_g=[0.6931, 0.6932, 0.6931, 0.6930, 0.6931, 0.6931],
        d_real=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        d_fake=[0.49, 0.49, 0.49, 0.49, 0.49, 0.49],
    )
    flat_finding = generator_winning(flat, LOGISTIC)
    assert flat_finding is not None and "without oscillation" in flat_finding.message
    assert generator_winning(flat, CLIPPED) is None


def test_vanishing_generator_gradient_against_its_peak() -> None:
    data = rows(grad_norm_g=[5.0, 5.2, 3.3, 1.7, 0.4, 0.3])
    finding = vanishing_generator_gradient(data, LOGISTIC)
    assert finding is not None and finding.evidence == {"grad_norm_g": 0.3, "peak": 5.2}
    assert vanishing_generator_gradient(rows(grad_norm_g=[5.0, 5.2, 3.3, 1.7, 0.4, 0.6]), LOGISTIC) is None


def test_lipschitz_violation_only_under_clipping() -> None:
    data = rows(grad_norm_interp=[0.5, 0.9, 3.0, 8.0, 40.0, 120.0], clipped_share=[0.3] * 6)
    finding = lipschitz_violation(data, CLIPPED)
    assert finding is not None and finding.evidence == {"grad_norm_interp": 120.0, "clipped_share": 0.3}
    assert "30% of its weights at +-0.01" in finding.message
    assert lipschitz_violation(data, LOGISTIC) is None  # no clipping: nothing promised
    assert lipschitz_violation(rows(grad_norm_interp=[0.5, 3.0, 1.05], clipped_share=[0.3] * 3), CLIPPED) is None


def test_mode_collapse_from_periodic_evaluations() -> None:
    evals = [{"step": 100, "class_coverage": 1.0}, {"step": 200, "class_coverage": 0.9}]
    assert mode_collapse(evals, LOGISTIC) is None
    evals.append({"step": 300, "class_coverage": 0.6})
    finding = mode_collapse(evals, LOGISTIC)
    assert finding is not None and finding.step == 300 and finding.evidence["best_class_coverage"] == 1.0
    stacked = [{"step": 100, "modes": 900}, {"step": 200, "modes": 950}, {"step": 300, "modes": 700}]
    assert mode_collapse(stacked, LOGISTIC) is not None
    assert mode_collapse([{"step": 100, "fd_domain": 3.0}], LOGISTIC) is None


def test_vanishing_generator_gradient_is_not_judged_through_a_critic() -> None:
    falling = rows(grad_norm_g=[171.0, 150.0, 90.0, 40.0, 30.0, 20.0, 15.0, 15.2])
    assert vanishing_generator_gradient(falling, LOGISTIC) is not None
    critic = RuleContext(LOGISTIC.window, 0.0, critic=True)
    assert vanishing_generator_gradient(falling, critic) is None
