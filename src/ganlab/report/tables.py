"""HTML tables of the report: models (mean ± std over repeats), runs, training time, claims.

Every numeric cell carries `data-sort` with its raw value, so the inline script sorts numbers as numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape
from typing import Any

from ganlab.report.claims import ClaimResult
from ganlab.report.collect import RunRecord, StudyRecord
from ganlab.report.groups import Group, ranking_hint, sample_counts, warning_lines
from ganlab.stats import Summary


def cell(text: Any, sort: float | str | None = None, title: str = "") -> str:
    attrs = ""
    if sort is not None and not (isinstance(sort, float) and math.isnan(sort)):
        attrs += f' data-sort="{escape(str(sort))}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{escape(str(text))}</td>"


def summary_cell(summary: Summary) -> str:
    if summary.n == 0:
        return cell("–")
    title = f"n={summary.n}"
    if summary.n > 1:
        title += f"; 95% CI [{summary.ci_low:.4g}, {summary.ci_high:.4g}]"
    return cell(summary.format(), summary.mean, title)


def table(table_id: str, headers: Sequence[str], rows: Sequence[str], caption: str = "") -> str:
    head = "".join(f"<th onclick=\"sortTable('{table_id}', {i})\">{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table id="{table_id}" class="sortable">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _setting(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def models_table(groups: Sequence[Group], varied: Sequence[str], metrics: Sequence[str]) -> str:
    final_n, periodic_n = sample_counts(list(groups), "final"), sample_counts(list(groups), "periodic")
    headers = ["model", "runs", *varied]
    for metric in metrics:
        headers += [
            f"final {metric} ({ranking_hint(metric)[0]}; {final_n} samples)",
            f"best periodic {metric} ({periodic_n} samples)",
        ]
    headers += ["steps", "wall s", "img/s", "status", "warnings"]
    rows = []
    for g in groups:
        row = cell(g.label, g.label) + cell(len(g.runs), len(g.runs))
        row += "".join(cell(_setting(g.settings.get(k, "–"))) for k in varied)
        for metric in metrics:
            row += summary_cell(g.final(metric)) + summary_cell(g.best(metric))
        row += (
            summary_cell(g.quantity("steps"))
            + summary_cell(g.quantity("wall_s"))
            + summary_cell(g.quantity("imgs_per_s"))
        )
        warnings = g.warnings()
        row += cell(g.statuses()) + cell(f"{len(warnings)}: " + " | ".join(warnings) if warnings else "none")
        rows.append(row)
    caption = (
        "mean ± std over repeats; hover a value for its 95% confidence interval"
        if any(len(g.runs) > 1 for g in groups)
        else "one run per model"
    )
    return table("models", headers, rows, caption)


def runs_table(runs: Sequence[RunRecord], labels: dict[str, str], metrics: Sequence[str]) -> str:
    headers = ["run", "model", "seed", "status", "steps", "wall s", "img/s", *(f"final {m}" for m in metrics)]
    headers += ["final samples", "warnings", "directory"]
    rows = []
    for run in runs:
        final = run.final_metrics()
        row = cell(run.name) + cell(labels.get(str(run.path), "")) + cell(run.seed, run.seed)
        row += cell(run.summary.get("status", "running or crashed"))
        for key in ("steps", "wall_s", "imgs_per_s"):
            value = run.quantity(key)
            row += cell("–" if value is None else f"{value:.4g}", value)
        row += "".join(cell(f"{final[m]:.4g}", final[m]) if m in final else cell("–") for m in metrics)
        n = run.final_samples()
        row += cell("–" if n is None else n, n)
        warnings = warning_lines(run)
        row += cell(" | ".join(warnings) or "none") + cell(str(run.path))
        rows.append(row)
    return table("runs", headers, rows, "every run found; the configuration of each is in the next section")


def time_table(groups: Sequence[Group], studies: Sequence[StudyRecord]) -> str:
    """Training time per model like seed 000 Table 2: a loss x architecture grid when a study has two axes."""
    for study in studies:
        axes = study.axes()
        mine = [g for g in groups if g.study == study.name]
        if len(axes) == 2 and mine:
            return _pivot_time(mine, axes)
    headers = ["model", "steps", "wall s (mean ± std)", "s / 1000 steps", "img/s", "device"]
    rows = []
    for g in groups:
        steps, wall = g.quantity("steps"), g.quantity("wall_s")
        per_k = 1000 * wall.mean / steps.mean if steps.n and wall.n and steps.mean else math.nan
        device = ", ".join(sorted({str(r.summary.get("device", "?")) for r in g.runs}))
        rows.append(
            cell(g.label)
            + summary_cell(steps)
            + summary_cell(wall)
            + cell("–" if math.isnan(per_k) else f"{per_k:.4g}", per_k)
            + summary_cell(g.quantity("imgs_per_s"))
            + cell(device)
        )
    return table("times", headers, rows, "training time (seed 000 Table 2)")


def _pivot_time(groups: Sequence[Group], axes: list[tuple[str, list[str]]]) -> str:
    (col_axis, cols), (row_axis, rows_names) = axes
    rows = []
    for r in rows_names:
        row = cell(r)
        for c in cols:
            found = [g for g in groups if g.variants.get(col_axis) == c and g.variants.get(row_axis) == r]
            row += summary_cell(found[0].quantity("wall_s")) if found else cell("–")
        rows.append(row)
    return table(
        "times",
        [f"{row_axis} \\ {col_axis}", *cols],
        rows,
        "wall seconds of training, mean ± std over repeats (seed 000 Table 2)",
    )


def claims_table(results: Sequence[ClaimResult]) -> str:
    rows = []
    for r in results:
        numbers = r.numbers()
        p = r.p_adjusted
        verdict_class = {"supported": "ok", "contradicted": "bad"}.get(r.verdict, "na")
        rows.append(
            f'<td class="{verdict_class}" data-sort="{escape(r.verdict)}">{escape(r.verdict)}</td>'
            + cell(r.claim.claim)
            + cell(r.context or "–")
            + cell(f"{r.claim.metric} ({r.claim.statistic}, {r.claim.better})")
            + cell("; ".join(x for x in (numbers, r.detail) if x))
            + cell("–" if math.isnan(p) else f"{p:.3g}", p)
            + cell(r.claim.source)
        )
    headers = [
        "verdict",
        "claim",
        "other axes fixed at",
        "measured",
        "means [95 % CI], difference [95 % CI], Hedges' g, p",
        "Holm p",
        "source",
    ]
    caption = (
        "the sources' claims judged on these runs: Welch's t-test, Holm–Bonferroni over the study's claims, "
        "supported / contradicted when significant at 0.05 with at least 3 runs a side"
    )
    return table("claims", headers, rows, caption)
