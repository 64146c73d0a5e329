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
