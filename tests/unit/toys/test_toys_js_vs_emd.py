"""js-vs-emd: JS is 0 at d = 0 and log 2 far away, agrees with Monte Carlo; POT's sample EMD agrees with |d|."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from torch.testing import assert_close

from ganlab.toys.base import judge
from ganlab.toys.js_vs_emd import QUICK, emd_gaussians, js_divergence_gaussians, sample_emd


def js_monte_carlo(d: float, variance: float, samples: int, seed: int) -> tuple[float, float]:
    """0.5 E_P[log p/m] + 0.5 E_Q[log q/m] from samples of P = N(0, C), Q = N(d, C); (estimate, standard error)."""
    rng, sd = np.random.default_rng(seed), math.sqrt(variance)
    p, q = stats.norm(0.0, sd), stats.norm(d, sd)
    x, y = p.rvs(samples, random_state=rng), q.rvs(samples, random_state=rng)
    log_m = lambda t: np.logaddexp(p.logpdf(t), q.logpdf(t)) - math.log(2)  # noqa: E731
    terms_p, terms_q = p.logpdf(x) - log_m(x), q.logpdf(y) - log_m(y)
    estimate = 0.5 * terms_p.mean() + 0.5 * terms_q.mean()
    stderr = 0.5 * math.sqrt(terms_p.var() / samples + terms_q.var() / samples)
    return float(estimate), stderr


@pytest.mark.parametrize("variance", [0.1, 0.3, 1.0])
def test_js_is_zero_at_d_zero_and_log2_far_away(variance: float) -> None:
    assert_close(js_divergence_gaussians(0.0, variance), 0.0, atol=1e-10, rtol=0)
    assert_close(js_divergence_gaussians(40 * math.sqrt(variance), variance), math.log(2), atol=1e-9, rtol=0)


def test_js_matches_monte_carlo_at_one_d() -> None:
    estimate, stderr = js_monte_carlo(d=0.8, variance=0.3, samples=200_000, seed=0)
    assert_close(js_divergence_gaussians(0.8, 0.3), estimate, atol=4 * stderr, rtol=0)


def test_sample_emd_agrees_with_closed_form_within_sampling_error() -> None:
    rng, samples = np.random.default_rng(0), 4_000
    for variance in (0.1, 1.0):
        for d in (-3.0, 0.0, 0.5, 2.0):
            # Sorted matching: once the samples separate, W1 - |d| is a difference of two sample means.
            tolerance = 5 * math.sqrt(2 * variance / samples)
            assert_close(sample_emd(d, variance, samples, rng), emd_gaussians(d), atol=tolerance, rtol=0)


def test_quick_run_numbers_hold_the_claims(quick_run) -> None:
    record = json.loads(quick_run("js-vs-emd")["json"].read_text())
    judged = judge(record)
    assert len(judged) == 2 and all(j.holds for j in judged), [j.measured for j in judged]
    # the claims' tolerances, checked here independently of the toy's own check
    numbers = record["numbers"]
    for variance, row in numbers["variances"].items():
        assert_close(row["js_far"], math.log(2), atol=1e-9, rtol=0)
        tolerance = 5 * math.sqrt(2 * float(variance) / QUICK.samples)
        assert_close(row["sample_emd"], [abs(d) for d in numbers["sample_d"]], atol=tolerance, rtol=0)


def test_a_sample_emd_off_by_more_than_its_tolerance_fails_the_claim(quick_run) -> None:
    record = json.loads(quick_run("js-vs-emd")["json"].read_text())
    row = next(iter(record["numbers"]["variances"].values()))
    row["sample_emd"][0] += 1.0
    assert [j.holds for j in judge(record)] == [True, False]
