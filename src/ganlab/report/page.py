"""One self-contained HTML page: CSS and the sorting script inline, every image a base64 data URI.

Nothing on the page loads from the network or the disk, so the file can be mailed, archived or opened on an
offline machine and looks the same.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path

from PIL import Image

from ganlab import atomic
from ganlab.report import figures, tables
from ganlab.report.claims import ClaimResult
from ganlab.report.collect import Collection, RunRecord
from ganlab.report.groups import Group, metric_names, plural, sample_counts, varied_settings

SAMPLE_COLUMNS = 4  # sample grids shown per model: evenly spaced steps, the last included


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def image(png: bytes, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{escape(alt)}" src="{data_uri(png)}">{cap}</figure>'


def _asset(name: str) -> str:
    return resources.files("ganlab.report").joinpath(name).read_text(encoding="utf-8")


def sample_steps(runs: Sequence[RunRecord]) -> list[int]:
    """Steps every shown run has a sample grid for, thinned to SAMPLE_COLUMNS (last one kept)."""
    common = sorted(set.intersection(*(set(r.samples) for r in runs))) if runs else []
    if len(common) <= SAMPLE_COLUMNS:
        return common
    picks = {common[round(i * (len(common) - 1) / (SAMPLE_COLUMNS - 1))] for i in range(SAMPLE_COLUMNS)}
    return sorted(picks)


def sheets(groups: Sequence[Group]) -> str:
    """The grids `ganlab sample` drew (RUN/sample.png; make demo's 100 samples), at twice their size, pixels
    kept sharp."""
    parts = []
    for group in groups:
        for run in group.runs:
            if run.sheet is not None:
                width = 2 * Image.open(run.sheet).size[0]
                parts.append(
                    f'<figure class="sheet"><img alt="{escape(group.label)} samples" width="{width}" '
                    f'src="{data_uri(run.sheet.read_bytes())}"><figcaption>{escape(run.name)}: '
                    f"<code>ganlab sample</code> grid (sample.png) of the final weights</figcaption></figure>"
                )
    return "".join(parts)


def samples_section(groups: Sequence[Group]) -> str:
    """The `ganlab sample` grids, then the fixed-noise grids of the first run of each model side by side at the
    same steps (seed 000 Fig. 7)."""
    shown = [(g, g.runs[0]) for g in groups if g.runs[0].samples]
    if not shown:
        return sheets(groups) or "<p>No sample grids found (samples/step_*.png, sample.png).</p>"
    steps = sample_steps([run for _, run in shown])
    if steps:
        steps_of = {id(run): steps for _, run in shown}
        titles = [f"step {s}" for s in steps]
    else:  # runs sampled at different steps: each run's last grids, each captioned with its step
        steps_of = {id(run): list(run.samples)[-SAMPLE_COLUMNS:] for _, run in shown}
        titles = [f"grid {i + 1}" for i in range(max(len(v) for v in steps_of.values()))]
    header = "<tr><th>model (seed)</th>" + "".join(f"<th>{t}</th>" for t in titles) + "</tr>"
    rows = []
    for group, run in shown:
        cells = "".join(
            f'<td><img alt="{escape(group.label)} step {s}" title="step {s}" width="{Image.open(run.samples[s]).size[0]}" '
            f'src="{data_uri(run.samples[s].read_bytes())}"><br><small>step {s}</small></td>'
            for s in steps_of[id(run)]
        )
        rows.append(f"<tr><th>{escape(group.label)} ({run.seed})</th>{cells}</tr>")
    caption = "<caption>the same latent noise at each step: how the samples changed over training</caption>"
    return sheets(groups) + f'<table class="samples" id="samples">{caption}{header}{"".join(rows)}</table>'


def losses_section(groups: Sequence[Group]) -> str:
    parts = []
    overview = figures.wasserstein_overview(groups)
    if overview:
        parts.append(
            image(
                overview, "Wasserstein estimates", "mean ± std band over repeats; the gradient penalty is not included"
            )
        )
    for group in groups:
        png = figures.loss_figure(group)
        if png:
            parts.append(image(png, f"losses of {group.label}"))
    return "".join(parts) or "<p>No metrics.jsonl rows found.</p>"


def metrics_section(groups: Sequence[Group], metrics: Sequence[str]) -> str:
    """Each metric over training; the final values as bars only when there are models to compare (one model's
    final values are numbers in the tables above)."""
    periodic, final = sample_counts(list(groups), "periodic"), sample_counts(list(groups), "final")
    repeats = any(len(g.runs) > 1 for g in groups)
    spread = ", mean ± std over repeats" if repeats else ""
    parts = []
    for metric in metrics:
        curves = figures.metric_curves(groups, metric)
        if curves:
            parts.append(
                image(curves, f"{metric} over training", f"periodic evaluations on {periodic} samples{spread}")
            )
        bars = figures.final_bars(groups, metric) if len(groups) > 1 else None
        if bars:
            parts.append(
                image(bars, f"final {metric}", f"final evaluation on {final} samples; error bars one std over repeats")
            )
    return "".join(parts) or "<p>No evaluations found (eval.json, eval.jsonl).</p>"


def toys_section(collection: Collection) -> str:
    parts = []
    for toy in collection.toys:
        record = toy.record
        caption = f"{record.get('toy')}: {record.get('summary', '')} [{record.get('source', '')}]"
        numbers = escape(json.dumps(record.get("numbers", {}), indent=1)[:20_000])
        for png in toy.figures:
            parts.append(
                image(png.read_bytes(), f"toy {record.get('toy')} {png.name}", caption)
                + f"<details><summary>numbers behind {escape(png.name)}</summary><pre>{numbers}</pre></details>"
            )
    return "".join(parts)


def provenance_text(run: RunRecord) -> str:
    from ganlab.evaluation import provenance_lines

    provenance = (run.final_eval or {}).get("provenance") or next(
        (row["provenance"] for row in reversed(run.evals) if isinstance(row.get("provenance"), dict)), None
    )
    if not isinstance(provenance, dict):
        return "no evaluation"
    try:
        return "\n".join(provenance_lines(provenance))
    except (KeyError, TypeError):
        return json.dumps(provenance, indent=1)


def configs_section(runs: Sequence[RunRecord]) -> str:
    parts = []
    for run in runs:
        parts.append(
            f"<details><summary>{escape(run.name)} — {escape(str(run.path))}</summary>"
            f"<pre>{escape(run.config_text)}</pre><p>metrics provenance:</p><pre>{escape(provenance_text(run))}</pre></details>"
        )
    return "".join(parts)


def render(collection: Collection, groups: list[Group], claims: list[ClaimResult]) -> str:
    """The whole report as one HTML string."""
    metrics = metric_names(groups)
    varied = varied_settings(groups)
    labels = {str(r.path): g.label for g in groups for r in g.runs}
    sections = []
    if claims:
        sections.append(("claims", "Claims of the sources", tables.claims_table(claims)))
    critics = any(figures.has_wasserstein(g.runs) for g in groups)
    final_bars = len(groups) > 1
    sections += [
        ("models", "Models (repeats grouped)", tables.models_table(groups, varied, metrics)),
        ("runs", "Runs", tables.runs_table(collection.runs, labels, metrics)),
        (
            "metrics",
            "Metrics over training" + (" and final metrics" if final_bars else ""),
            metrics_section(groups, metrics),
        ),
        ("losses", "Losses" + (" and the critic's Wasserstein estimate" if critics else ""), losses_section(groups)),
        ("samples", "Samples", samples_section(groups)),
        ("time", "Training time", tables.time_table(groups, collection.studies)),
    ]
    toys = toys_section(collection)
    if toys:
        sections.append(("toys", "Illustrative experiments (ganlab toy)", toys))
    sections.append(("configs", "Configuration and metric provenance of each run", configs_section(collection.runs)))
    nav = "".join(f'<a href="#{sid}">{escape(title.split(" (")[0])}</a>' for sid, title, _ in sections)
    body = "".join(
        f'<section id="sec-{sid}"><h2 id="{sid}">{escape(title)}</h2>{html}</section>' for sid, title, html in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>ganlab report</title><style>{_asset('style.css')}</style><script>{_asset('sortable.js')}</script></head>"
        f"<body><h1>ganlab report</h1>{_header(collection, groups)}<nav>{nav}</nav>{body}</body></html>\n"
    )


def _header(collection: Collection, groups: list[Group]) -> str:
    roots = ", ".join(str(r) for r in collection.roots)
    meta = (
        f'<p class="meta">{plural(len(collection.runs), "run")} in {plural(len(groups), "model")} from {escape(roots)}; '
        f"generated {time.strftime('%Y-%m-%d %H:%M:%S')}</p>"
    )
    banners = ""
    for study in collection.studies:
        scale = escape(study.scale_words())
        banners += (
            f'<div class="banner">study <b>{escape(study.name)}</b> ({escape(str(study.index.get("source", "")))}): '
            f"{scale}; {plural(len(study.index.get('cells', [])), 'run')} in {escape(str(study.path))}</div>"
        )
    return meta + banners


def write_report(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic.write_text(path, html)
