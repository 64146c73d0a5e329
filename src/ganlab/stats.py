"""Statistics over repeats: mean, standard deviation, a 95% confidence interval, and Welch's t-test.

Seed 004 §5.2 trains every model 10 times per dataset because one run says little; these functions turn the
repeats of a study cell into `mean ± std` with a t-based interval, and two cells into a p-value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Summary:
    """Repeats of one quantity: n values, their mean, sample std (ddof=1) and a t-interval for the mean."""

    n: int
    mean: float
    std: float  # nan when n < 2
    ci_low: float  # nan when n < 2
    ci_high: float

    def format(self, digits: int = 4) -> str:
        """`mean ± std (n=N)`, or the single value when n == 1."""
        if self.n == 0:
            return "–"
        if self.n == 1 or math.isnan(self.std):
            return f"{self.mean:.{digits}g}"
        return f"{self.mean:.{digits}g} ± {self.std:.{digits - 1}g} (n={self.n})"


@dataclass(frozen=True)
class Welch:
    """Welch's unequal-variance t-test of mean(a) == mean(b): statistic, Welch–Satterthwaite df, two-sided p."""

    t: float
    df: float
    p: float


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite values as a float64 array (NaN or inf from a diverged run are left out)."""
    array = np.asarray([float(v) for v in values], dtype=np.float64)
    return array[np.isfinite(array)]


def summarize(values: Sequence[float], confidence: float = CONFIDENCE) -> Summary:
    """Mean, std and the t-distribution confidence interval of the mean of the finite `values`."""
    x = finite(values)
    n = len(x)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = float(x.std(ddof=1))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * std / math.sqrt(n)
    return Summary(n, mean, std, mean - half, mean + half)


def welch(a: Sequence[float], b: Sequence[float]) -> Welch | None:
    """Welch's t-test between two sets of repeats; None unless both have at least 2 finite values."""
    x, y = finite(a), finite(b)
    if len(x) < 2 or len(y) < 2:
        return None
    result = scipy_stats.ttest_ind(x, y, equal_var=False)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    denom = vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1)
    df = float((vx + vy) ** 2 / denom) if denom > 0 else math.nan
    return Welch(float(result.statistic), df, float(result.pvalue))


@dataclass(frozen=True)
class Difference:
    """mean(a) - mean(b) with its Welch 95 % interval, Hedges' g, and the two-sided Welch p-value."""

    diff: float
    ci_low: float
    ci_high: float
    hedges_g: float  # standardised difference (pooled std, small-sample corrected); nan when both are constant
    p: float  # nan when both sides are constant and equal (a tie: nothing to test)
    df: float


def difference(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> Difference | None:
    """The difference of the means of two sets of repeats; None unless both have at least 2 finite values.

    Two constant sides that differ are a certain difference (p = 0); two constant equal sides are a tie
    (p = nan), never evidence either way."""
    x, y = finite(a), finite(b)
    nx, ny = len(x), len(y)
    if nx < 2 or ny < 2:
        return None
    diff = float(x.mean() - y.mean())
    vx = 0.0 if x.min() == x.max() else float(x.var(ddof=1))  # a constant sample's mean carries rounding
    vy = 0.0 if y.min() == y.max() else float(y.var(ddof=1))
    se2 = vx / nx + vy / ny
    if se2 == 0:
        diff = float(x[0] - y[0])
        p = math.nan if diff == 0 else 0.0
        return Difference(diff, diff, diff, math.nan, p, math.nan)
    df = se2**2 / ((vx / nx) ** 2 / (nx - 1) + (vy / ny) ** 2 / (ny - 1))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
    p = float(2 * scipy_stats.t.sf(abs(diff) / math.sqrt(se2), df))
    pooled = math.sqrt(((nx - 1) * vx + (ny - 1) * vy) / (nx + ny - 2))
    correction = 1 - 3 / (4 * (nx + ny) - 9)  # Hedges (1981): J(df) ~ 1 - 3 / (4 df - 1), df = nx + ny - 2
    g = diff / pooled * correction if pooled > 0 else math.nan
    return Difference(diff, diff - half, diff + half, g, p, df)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, capped at 1), in the input's order; a nan
    (a tie, no test) stays nan and does not count among the tests."""
    indexed = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m = len(indexed)
    adjusted = [math.nan] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def power(effect: float, n: int, alpha: float = 0.05, sides: int = 2) -> float:
    """Power of a two-sided t-test against a standardised difference `effect`: two samples of n each
    (`sides=2`), or one sample of n against a constant (`sides=1`)."""
    df = 2 * n - 2 if sides == 2 else n - 1
    crit = float(scipy_stats.t.ppf(1 - alpha / 2, df))
    nc = abs(effect) * math.sqrt(n / 2 if sides == 2 else n)
    return float(scipy_stats.nct.sf(crit, df, nc) + scipy_stats.nct.cdf(-crit, df, nc))


def repeats_needed(
    effect: float, alpha: float = 0.05, target: float = 0.8, limit: int = 1000, sides: int = 2
) -> int | None:
    """Repeats a side for a two-sided t-test at `alpha` to detect the standardised difference `effect` with
    power `target` (see `power` for `sides`); None when it is zero, not finite, or would need over `limit`."""
    if not math.isfinite(effect) or effect == 0:
        return None
    for n in range(2, limit + 1):
        if power(effect, n, alpha, sides) >= target:
            return n
    return None


def one_sample(a: Sequence[float], value: float, confidence: float = CONFIDENCE) -> Difference | None:
    """mean(a) - value with its t interval, the one-sample Hedges' g and the two-sided p (scipy's ttest_1samp);
    None unless at least 2 finite values. A constant sample equal to `value` is a tie (p = nan)."""
    x = finite(a)
    n = len(x)
    if n < 2:
        return None
    diff = float(x.mean() - value)
    sd = 0.0 if x.min() == x.max() else float(x.std(ddof=1))  # a constant sample's mean carries rounding
    if sd == 0:
        diff = float(x[0] - value)
        return Difference(diff, diff, diff, math.nan, math.nan if diff == 0 else 0.0, math.nan)
    se = sd / math.sqrt(n)
    df = n - 1
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, df)) * se
    p = float(2 * scipy_stats.t.sf(abs(diff) / se, df))
    correction = 1 - 3 / (4 * df - 1)
    return Difference(diff, diff - half, diff + half, diff / sd * correction, p, float(df))
