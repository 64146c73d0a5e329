"""The sources' claims judged on a study's runs with statistics, the numbers shown honest either way.

A claim names variants of one axis; it is checked separately for each combination of the other axes
(seed 000: "for fixed generator and discriminator architectures, WGAN-GP produces the best images"). Values
are per run (one per seed). Each check is a two-sided Welch t-test of the claimed pair (`compare: [A, B]`,
or the claimed winner against its strongest rival); the p-values of all the checks of one study are
corrected together (Holm–Bonferroni), and a check is

- `supported`: the difference lies in the claimed direction and the corrected p < 0.05, with at least
  MIN_REPEATS runs a side;
- `contradicted`: the same, in the opposite direction;
- `inconclusive`: anything else — too few repeats, a tie (equal constant values: no evidence either way),
  or a difference the repeats cannot tell from noise; it says about how many repeats a side would detect
  the observed difference (80 % power at 0.05);
- `cannot be checked` (a value is missing) or `not applicable` (the claim is about other data).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

from ganlab.errors import ConfigError
from ganlab.report.collect import RunRecord, StudyRecord
from ganlab.stats import Difference, Summary, difference, holm, one_sample, repeats_needed, summarize
from ganlab.studies.grid import flatten
from ganlab.studies.schema import SUMMARY_QUANTITIES, Claim, Study, parse_study

SIGNIFICANCE = 0.05
MIN_REPEATS = 3
VERDICTS = ("supported", "contradicted", "inconclusive", "cannot be checked", "not applicable")
Verdict = str  # one of VERDICTS


@dataclass(frozen=True)
class ClaimResult:
    study: str
    claim: Claim
    context: str  # the fixed variants of the other axes, e.g. "arch=dcgan-bn"
    verdict: Verdict
    values: dict[str, Summary]
    pair: tuple[str, str] | None = None  # (claimed better, claimed worse): what the test compares
    test: Difference | None = None  # mean(pair[0]) - mean(pair[1]), Welch
    p_adjusted: float = math.nan  # Holm over the study's checks
    detail: str = ""

    @property
    def toward_claim(self) -> float:
        """The difference signed so that positive is the claimed direction (nan without a test)."""
        if self.test is None:
            return math.nan
        return -self.test.diff if self.claim.better == "lower" else self.test.diff

    def numbers(self) -> str:
        """Means with 95 % CIs, the difference with its CI, Hedges' g, the raw and the corrected p."""
        parts = [f"{name} {_mean_ci(s)}" for name, s in self.values.items() if s.n]
        t, pair = self.test, self.pair
        if t is not None and pair is not None:
            parts.append(f"{pair[0]} − {pair[1]} = {t.diff:.4g} [{t.ci_low:.4g}, {t.ci_high:.4g}]")
            if not math.isnan(t.hedges_g):
                parts.append(f"g = {t.hedges_g:.2f}")
            if not math.isnan(t.p):
                parts.append(f"p = {t.p:.2g}, Holm p = {self.p_adjusted:.2g}")
        return "; ".join(parts)

    def line(self) -> str:
        c = self.claim
        where = f" [{self.context}]" if self.context else ""
        head = f"{self.verdict.upper():<17}{where} {c.claim} ({c.source})"
        stat = f"{c.metric}, {c.statistic}, {c.better} is better"
        numbers = self.numbers()
        body = f"{stat}: {numbers}" if numbers else stat
        return f"{head}\n    {body}" + (f"\n    {self.detail}" if self.detail else "")


def _mean_ci(s: Summary) -> str:
    if s.n < 2:
        return f"{s.mean:.4g} (n={s.n})"
    return f"{s.mean:.4g} [{s.ci_low:.4g}, {s.ci_high:.4g}] (n={s.n})"


def run_value(run: RunRecord, claim: Claim) -> float | None:
    """The number a claim compares for one run: a summary quantity, or the metric's final / best / curve mean."""
    if claim.metric in SUMMARY_QUANTITIES:
        return run.quantity(claim.metric)
    if claim.statistic == "best":
        return run.best(claim.metric)
    if claim.statistic == "curve_mean":
        values = [v for _, v in run.curve(claim.metric)]
        return sum(values) / len(values) if values else None
    if claim.statistic == "instability":
        return instability([v for _, v in run.curve(claim.metric)])
    return run.final_metrics().get(claim.metric)


def instability(curve: list[float]) -> float | None:
    """How much a metric jumps between successive periodic evaluations in the second half of training: the
    root mean square of the differences of its logarithm (a jump from 20 to 40 counts as much as one from 2
    to 4). A run that trains steadily scores near 0; one that collapses and recovers scores high. None with
    fewer than 4 evaluations in that half, or a value that is not positive."""
    half = curve[len(curve) // 2 :]
    if len(half) < 4 or any(not v > 0 for v in half):
        return None
    logs = [math.log(v) for v in half]
    steps = [b - a for a, b in zip(logs, logs[1:], strict=False)]
    return math.sqrt(sum(d * d for d in steps) / len(steps))


def _matches(run: RunRecord, where: dict) -> bool:
    flat = flatten(run.config)
    return all(flat.get(k) == v for k, v in where.items())


def _measure(study: str, claim: Claim, context: str, by_variant: dict[str, list[RunRecord]]) -> ClaimResult:
    """The values and the test of one check; its verdict is decided once the study's p-values are corrected."""
    values = {name: [v for r in runs if (v := run_value(r, claim)) is not None] for name, runs in by_variant.items()}
    summaries = {name: summarize(vs) for name, vs in values.items()}
    missing = [name for name, s in summaries.items() if s.n == 0]
    if missing:
        why = f"no {claim.metric} ({claim.statistic}) for {', '.join(missing)}"
        if claim.statistic in ("curve_mean", "instability"):
            why += " — needs periodic evaluations (eval.every > 0, eval.jsonl)"
        return ClaimResult(study, claim, context, "cannot be checked", summaries, detail=why)
    if claim.compare is not None and claim.value is not None:
        name = claim.compare[0]
        pair = (name, f"{claim.value:g}")
        test = one_sample(values[name], claim.value)  # mean(A) - value, as mean(A) - mean(B) for two
        return ClaimResult(
            study, claim, context, "inconclusive", summaries, pair, test, detail=f"against the constant {claim.value:g}"
        )
    if claim.compare is not None:
        pair = (claim.compare[0], claim.compare[-1])
        detail = ""
    else:
        winner = str(claim.winner)
        rivals = sorted((n for n in summaries if n != winner), key=lambda n: summaries[n].mean)
        rival = rivals[0] if claim.better == "lower" else rivals[-1]
        pair = (winner, rival)
        order = sorted(summaries, key=lambda n: summaries[n].mean, reverse=claim.better == "higher")
        detail = f"best: {order[0]}; the claimed winner is tested against its strongest rival, {rival}"
    test = difference(values[pair[0]], values[pair[1]])
    return ClaimResult(study, claim, context, "inconclusive", summaries, pair, test, detail=detail)


def judge(results: list[ClaimResult]) -> list[ClaimResult]:
    """Verdicts for the checks of one study: Holm's correction over every check that has a p-value."""
    testable = [i for i, r in enumerate(results) if r.test is not None and r.verdict == "inconclusive"]
    adjusted = holm([results[i].test.p for i in testable])  # type: ignore[union-attr]
    out = list(results)
    for i, p_adj in zip(testable, adjusted, strict=True):
        out[i] = _verdict(results[i], p_adj, len(testable))
    for i, r in enumerate(out):
        if r.verdict == "inconclusive" and r.test is None:
            out[i] = replace(
                r, detail=_join(r.detail, f"needs at least 2 runs a side to test ({MIN_REPEATS} to decide)")
            )
    return out


def _verdict(r: ClaimResult, p_adj: float, checks: int = 1) -> ClaimResult:
    assert r.test is not None and r.pair is not None
    smallest = min(r.values[name].n for name in r.pair if name in r.values)  # a constant has no runs
    toward = r.toward_claim
    if math.isnan(r.test.p):
        return replace(r, p_adjusted=p_adj, detail=_join(r.detail, "a tie: both sides equal in every run"))
    if smallest >= MIN_REPEATS and p_adj < SIGNIFICANCE and toward != 0:
        verdict = "supported" if toward > 0 else "contradicted"
        return replace(r, verdict=verdict, p_adjusted=p_adj)
    if smallest < MIN_REPEATS:
        why = f"{smallest} run(s) on one side; a verdict needs {MIN_REPEATS}"
    else:
        way = "the claimed" if toward > 0 else "the opposite"
        # Holm compares the smallest p with 0.05 / checks: a size that passes there passes the correction
        level = SIGNIFICANCE / max(checks, 1)
        needed = repeats_needed(r.test.hedges_g, level, sides=1 if r.claim.value is not None else 2)
        more = (
            f"about {needed} repeats a side would detect it"
            if needed
            else "too small to detect with any sensible number of repeats"
        )
        at = f"0.05 / {checks} = {level:.3g}, Holm's strictest step" if checks > 1 else "0.05"
        why = f"the difference ({way} direction) is not significant after correction; {more} (80 % power at {at})"
    return replace(r, p_adjusted=p_adj, detail=_join(r.detail, why))


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def check_claim(study: Study, claim: Claim, runs: list[RunRecord]) -> list[ClaimResult]:
    """One result per combination of the other axes' variants present in `runs`."""
    refs = list(claim.compare or ()) or list(claim.among or ()) or []
    axis = study.axis_of(claim.compare[0] if claim.compare else str(claim.winner))
    if axis is None:
        return [ClaimResult(study.name, claim, "", "cannot be checked", {}, detail="its variants are not in the study")]
    names = [study.variant_name(r) for r in refs] or axis.names()
    if claim.winner and study.variant_name(claim.winner) not in names:
        names.append(study.variant_name(claim.winner))
    claim = _resolved(claim, study)
    relevant = [r for r in runs if r.variants.get(axis.name) in names]
    applicable = [r for r in relevant if _matches(r, claim.where)]
    if relevant and not applicable:
        shown = ", ".join(f"{k}={v}" for k, v in claim.where.items())
        return [ClaimResult(study.name, claim, "", "not applicable", {}, detail=f"about {shown}; these runs are not")]
    others = [a for a in study.axes if a.name != axis.name]
    results = []
    for combo in itertools.product(*(a.names() for a in others)):
        fixed = dict(zip((a.name for a in others), combo, strict=True))
        chosen = [r for r in applicable if all(r.variants.get(k) == v for k, v in fixed.items())]
        if not chosen:
            continue
        by_variant = {n: [r for r in chosen if r.variants.get(axis.name) == n] for n in names}
        context = ", ".join(f"{k}={v}" for k, v in fixed.items())
        results.append(_measure(study.name, claim, context, by_variant))
    if not results:
        results.append(
            ClaimResult(study.name, claim, "", "cannot be checked", {}, detail="no runs of its variants found")
        )
    return results


def _resolved(claim: Claim, study: Study) -> Claim:
    """The claim with raw axis values (`3`) replaced by variant names (`kernel_size-3`)."""
    compare = tuple(study.variant_name(c) for c in claim.compare) if claim.compare else None
    return replace(
        claim,
        compare=compare,  # type: ignore[arg-type]
        winner=study.variant_name(claim.winner) if claim.winner else None,
        among=tuple(study.variant_name(a) for a in claim.among),
    )


def study_claims(record: StudyRecord, runs: list[RunRecord]) -> list[ClaimResult]:
    """Every claim of a study whose index carries its definition, judged together (see the module docstring)."""
    definition = record.index.get("definition")
    if not isinstance(definition, dict):
        return []
    try:
        study = parse_study(definition, origin=str(record.index.get("origin", "")))
    except ConfigError as exc:
        claim = Claim("the study definition could not be read", str(record.path), "-", "lower")
        return [ClaimResult(record.name, claim, "", "cannot be checked", {}, detail=str(exc))]
    own = [r for r in runs if r.study == record.name and r.path.parent == record.path]
    return judge([result for claim in study.claims for result in check_claim(study, claim, own)])
