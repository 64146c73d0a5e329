"""ganlab.stats against scipy, statsmodels and closed forms: mean ± std, the t-interval, Welch's test and
interval, Hedges' g, Holm's correction, power and the repeats it needs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats
from statsmodels.stats import multitest
from statsmodels.stats.power import TTestIndPower

from ganlab.stats import difference, holm, one_sample, power, repeats_needed, summarize, welch


def close(actual: float, expected: float) -> None:
    torch.testing.assert_close(torch.tensor(actual, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64))


def test_summary_matches_numpy_and_the_scipy_t_interval() -> None:
    values = [3.0, 4.5, 2.25, 5.0, 3.75]
    s = summarize(values)
    low, high = scipy_stats.t.interval(0.95, df=4, loc=np.mean(values), scale=scipy_stats.sem(values))
    assert s.n == 5
    close(s.mean, float(np.mean(values)))
    close(s.std, float(np.std(values, ddof=1)))
    close(s.ci_low, low)
    close(s.ci_high, high)


def test_two_values_interval_closed_form() -> None:
    # n = 2: half-width = t_{0.975, 1} * |a - b| / 2 with t_{0.975, 1} = tan(0.475 pi) = 12.7062...
    s = summarize([1.0, 3.0])
    close(s.ci_high - s.mean, math.tan(0.475 * math.pi) * math.sqrt(2.0) / math.sqrt(2.0))


def test_non_finite_values_are_left_out_and_small_samples_have_no_spread() -> None:
    s = summarize([float("nan"), 2.0, float("inf")])
    assert (s.n, s.mean) == (1, 2.0)
    assert math.isnan(s.std) and math.isnan(s.ci_low)
    assert summarize([]).n == 0
    assert summarize([1.0, 2.0, 4.0]).format().endswith("(n=3)")


def test_welch_matches_scipy_and_the_welch_satterthwaite_df() -> None:
    a, b = [10.1, 12.0, 11.4, 9.8], [14.2, 13.1, 16.0, 15.5, 12.9]
    result = welch(a, b)
    assert result is not None
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    close(result.t, float(reference.statistic))
    close(result.p, float(reference.pvalue))
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 5
    close(result.df, float((va + vb) ** 2 / (va**2 / 3 + vb**2 / 4)))


@pytest.mark.parametrize(("a", "b"), [([1.0], [2.0, 3.0]), ([1.0, float("nan")], [2.0, 3.0])])
def test_welch_needs_two_finite_values_per_side(a: list[float], b: list[float]) -> None:
    assert welch(a, b) is None


def test_difference_matches_scipy_welch_interval_and_hedges_g() -> None:
    a, b = [10.1, 12.0, 11.4, 9.8], [14.2, 13.1, 16.0, 15.5, 12.9]
    d = difference(a, b)
    assert d is not None
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    low, high = reference.confidence_interval(0.95)
    close(d.diff, float(np.mean(a) - np.mean(b)))
    close(d.ci_low, float(low))
    close(d.ci_high, float(high))
    close(d.p, float(reference.pvalue))
    close(d.df, float(reference.df))
    # Hedges' g: Cohen's d with the pooled std, times the exact small-sample factor's usual approximation
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * np.var(a, ddof=1) + (nb - 1) * np.var(b, ddof=1)) / (na + nb - 2))
    exact_j = math.exp(math.lgamma((na + nb - 2) / 2) - math.lgamma((na + nb - 3) / 2)) / math.sqrt((na + nb - 2) / 2)
    assert abs(d.hedges_g - (np.mean(a) - np.mean(b)) / pooled * exact_j) < 2e-3 * abs(d.hedges_g)


def test_constant_sides_are_a_tie_or_a_certain_difference() -> None:
    tie = difference([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    assert tie is not None and math.isnan(tie.p) and tie.diff == 0
    certain = difference([1.0, 1.0, 1.0], [0.9, 0.9, 0.9])
    assert certain is not None and certain.p == 0.0 and math.isclose(certain.diff, 0.1)
    assert difference([1.0], [2.0, 3.0]) is None


def test_holm_matches_statsmodels() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(0, 0.2, size=rng.integers(1, 8)).tolist()
        expected = multitest.multipletests(p, alpha=0.05, method="holm")[1]
        np.testing.assert_allclose(holm(p), expected, rtol=1e-12)


def test_holm_leaves_ties_out_of_the_count() -> None:
    adjusted = holm([0.01, math.nan, 0.04])
    assert math.isnan(adjusted[1])
    np.testing.assert_allclose([adjusted[0], adjusted[2]], [0.02, 0.04])


def test_power_and_repeats_needed_match_statsmodels() -> None:
    analysis = TTestIndPower()
    for effect, n in [(0.5, 20), (1.2, 4), (2.0, 3), (0.8, 10)]:
        close(power(effect, n), float(analysis.power(effect_size=effect, nobs1=n, alpha=0.05, ratio=1.0)))
    for effect in (0.5, 1.0, 2.5):
        solved = analysis.solve_power(effect_size=effect, nobs1=None, alpha=0.05, power=0.8, ratio=1.0)
        assert repeats_needed(effect) == math.ceil(solved)
    assert repeats_needed(0.0) is None and repeats_needed(1e-4) is None


def test_one_sample_matches_scipy_ttest_1samp_and_statsmodels_power() -> None:
    from statsmodels.stats.power import TTestPower

    values = [0.42, 0.47, 0.39, 0.51]
    d = one_sample(values, 0.1)
    assert d is not None
    reference = scipy_stats.ttest_1samp(values, 0.1)
    low, high = reference.confidence_interval(0.95)  # of the mean: the difference's is shifted by 0.1
    close(d.diff, float(np.mean(values) - 0.1))
    close(d.ci_low, float(low) - 0.1)
    close(d.ci_high, float(high) - 0.1)
    close(d.p, float(reference.pvalue))
    j = 1 - 3 / (4 * 3 - 1)
    close(d.hedges_g, float((np.mean(values) - 0.1) / np.std(values, ddof=1) * j))
    tie = one_sample([0.1, 0.1, 0.1], 0.1)
    assert tie is not None and math.isnan(tie.p)
    analysis = TTestPower()
    for effect, n in [(0.8, 10), (1.5, 5)]:
        close(power(effect, n, sides=1), float(analysis.power(effect_size=effect, nobs=n, alpha=0.05)))
    solved = analysis.solve_power(effect_size=1.0, nobs=None, alpha=0.05, power=0.8)
    assert repeats_needed(1.0, sides=1) == math.ceil(solved)
