"""ganlab.stats against scipy and closed forms: mean ± std, the t-interval, Welch's test."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from ganlab.stats import summarize, welch


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
