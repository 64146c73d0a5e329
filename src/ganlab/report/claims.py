"""The sources' qualitative claims checked against a study's runs, with the numbers, honest either way.

A claim names variants of one axis; it is checked separately for each combination of the other axes
(seed 000: "for fixed generator and discriminator architectures, WGAN-GP produces the best images").
Values are per run (one per seed); means are compared, and with two or more repeats on both sides Welch's
t-test gives a p-value, so a "holds" on two noisy seeds reads differently from one on ten.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ganlab.errors import ConfigError
from ganlab.report.collect import RunRecord, StudyRecord
from ganlab.stats import Summary, Welch, summarize, welch
from ganlab.studies.grid import flatten
from ganlab.studies.schema import SUMMARY_QUANTITIES, Claim, Study, parse_study

SIGNIFICANCE = 0.05
Verdict = str  # "holds", "does not hold", "cannot be checked", "not applicable"


@dataclass(frozen=True)
class ClaimResult:
    study: str
    claim: Claim
    context: str  # the fixed variants of the other axes, e.g. "arch=dcgan-bn"
    verdict: Verdict
    values: dict[str, Summary]
    test: Welch | None
    detail: str = ""

    def line(self) -> str:
        c = self.claim
        where = f" [{self.context}]" if self.context else ""
        head = f"{self.verdict.upper():<17}{where} {c.claim} ({c.source})"
        numbers = "; ".join(f"{name} {s.format()}" for name, s in self.values.items() if s.n)
        stat = f"{c.metric}, {c.statistic}, {c.better} is better"
        p = ""
        if self.test is not None and not math.isnan(self.test.p):
            significant = "significant" if self.test.p < SIGNIFICANCE else "not significant"
            p = f"; Welch t={self.test.t:.3g}, p={self.test.p:.3g} ({significant} at {SIGNIFICANCE})"
        elif self.verdict in ("holds", "does not hold"):
            p = "; no test (needs at least 2 repeats on each side)"
        body = f"{stat}: {numbers}{p}" if numbers else stat
        return f"{head}\n    {body}" + (f"\n    {self.detail}" if self.detail else "")


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


def _better(a: float, b: float, direction: str) -> bool:
    return a < b if direction == "lower" else a > b


def _matches(run: RunRecord, where: dict) -> bool:
    flat = flatten(run.config)
    return all(flat.get(k) == v for k, v in where.items())


def _judge(study: str, claim: Claim, context: str, by_variant: dict[str, list[RunRecord]]) -> ClaimResult:
    values = {name: [v for r in runs if (v := run_value(r, claim)) is not None] for name, runs in by_variant.items()}
    summaries = {name: summarize(vs) for name, vs in values.items()}
    missing = [name for name, s in summaries.items() if s.n == 0]
    if missing:
        why = f"no {claim.metric} ({claim.statistic}) for {', '.join(missing)}"
        if claim.statistic == "curve_mean":
            why += " — needs periodic evaluations (eval.every > 0, eval.jsonl)"
        return ClaimResult(study, claim, context, "cannot be checked", summaries, None, why)
    if claim.compare is not None:
        a, b = claim.compare
        holds = _better(summaries[a].mean, summaries[b].mean, claim.better)
        return ClaimResult(
            study, claim, context, "holds" if holds else "does not hold", summaries, welch(values[a], values[b])
        )
    order = sorted(summaries, key=lambda n: summaries[n].mean, reverse=claim.better == "higher")
    winner = claim.winner or ""
    rival = order[1] if order[0] == winner else order[0]
    verdict = "holds" if order[0] == winner else "does not hold"
    detail = f"best: {order[0]}" + ("" if verdict == "holds" else f" (the claim names {winner})")
    return ClaimResult(study, claim, context, verdict, summaries, welch(values[winner], values[rival]), detail)


def check_claim(study: Study, claim: Claim, runs: list[RunRecord]) -> list[ClaimResult]:
    """One result per combination of the other axes' variants present in `runs`."""
    refs = list(claim.compare or ()) or list(claim.among or ()) or []
    axis = study.axis_of(claim.compare[0] if claim.compare else str(claim.winner))
    if axis is None:
        return [ClaimResult(study.name, claim, "", "cannot be checked", {}, None, "its variants are not in the study")]
    names = [study.variant_name(r) for r in refs] or axis.names()
    if claim.winner and study.variant_name(claim.winner) not in names:
        names.append(study.variant_name(claim.winner))
    claim = _resolved(claim, study)
    relevant = [r for r in runs if r.variants.get(axis.name) in names]
    applicable = [r for r in relevant if _matches(r, claim.where)]
    if relevant and not applicable:
        shown = ", ".join(f"{k}={v}" for k, v in claim.where.items())
        return [ClaimResult(study.name, claim, "", "not applicable", {}, None, f"about {shown}; these runs are not")]
    others = [a for a in study.axes if a.name != axis.name]
    results = []
    for combo in itertools.product(*(a.names() for a in others)):
        fixed = dict(zip((a.name for a in others), combo, strict=True))
        chosen = [r for r in applicable if all(r.variants.get(k) == v for k, v in fixed.items())]
        if not chosen:
            continue
        by_variant = {n: [r for r in chosen if r.variants.get(axis.name) == n] for n in names}
        context = ", ".join(f"{k}={v}" for k, v in fixed.items())
        results.append(_judge(study.name, claim, context, by_variant))
    if not results:
        results.append(
            ClaimResult(study.name, claim, "", "cannot be checked", {}, None, "no runs of its variants found")
        )
    return results


def _resolved(claim: Claim, study: Study) -> Claim:
    """The claim with raw axis values (`3`) replaced by variant names (`kernel_size-3`)."""
    from dataclasses import replace

    compare = tuple(study.variant_name(c) for c in claim.compare) if claim.compare else None
    return replace(
        claim,
        compare=compare,  # type: ignore[arg-type]
        winner=study.variant_name(claim.winner) if claim.winner else None,
        among=tuple(study.variant_name(a) for a in claim.among),
    )


def study_claims(record: StudyRecord, runs: list[RunRecord]) -> list[ClaimResult]:
    """Every claim of a study whose index carries its definition."""
    definition = record.index.get("definition")
    if not isinstance(definition, dict):
        return []
    try:
        study = parse_study(definition, origin=str(record.index.get("origin", "")))
    except ConfigError as exc:
        claim = Claim("the study definition could not be read", str(record.path), "-", "lower")
        return [ClaimResult(record.name, claim, "", "cannot be checked", {}, None, str(exc))]
    own = [r for r in runs if r.study == record.name and r.path.parent == record.path]
    return [result for claim in study.claims for result in check_claim(study, claim, own)]
