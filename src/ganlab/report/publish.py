"""Published results: a study's small records, its verdicts as a Markdown page, its key figures, one index.

`ganlab report DIR --publish docs/results` writes, for each study found under DIR,

    docs/results/<study>/records/     study.json and each run's config.yaml, summary.json, eval.jsonl, eval.json
    docs/results/<study>/*.png        the metric over training (mean ± std band), the final sample grids
    docs/results/<study>.md           what ran, where and how long, every verdict with its numbers, the figures,
                                      what differs from the source
    docs/results/toys/                each `ganlab toy` record found under DIR (NAME.json) and its figures
    docs/results/README.md            one table over every study published there, and one over the toys' claims

The page is rendered from the records alone (the run directories are read only to copy them and their
sample grids), so `ganlab report docs/results/<study>/records --publish docs/results` rebuilds the same page,
and a test fails when a committed page disagrees with its records. The toys' claims are judged the same way,
from the committed `toys/NAME.json` by the toy's own checks (`ganlab.toys.base.judge`).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlab import atomic
from ganlab.report.claims import ClaimResult, study_claims
from ganlab.report.collect import RunRecord, StudyRecord, ToyRecord, better_is, collect, toys_in
from ganlab.stats import summarize
from ganlab.studies.index import INDEX

if TYPE_CHECKING:
    from ganlab.toys.base import Judged

RECORD_FILES = ("config.yaml", "summary.json", "eval.jsonl", "eval.json")
INDEX_PAGE = "README.md"
GRIDS = "samples"
TOYS = "toys"


@dataclass(frozen=True)
class Published:
    study: str
    page: Path
    claims: list[ClaimResult]


@dataclass(frozen=True)
class PublishedToy:
    toy: str
    record: Path
    judged: list[Judged]


@dataclass(frozen=True)
class Publication:
    studies: list[Published]
    toys: list[PublishedToy]


def publish(directories: Sequence[str | Path], out: str | Path) -> Publication:
    """Copy each study's records under `out`, render its page and figures from them, copy the toy records found,
    and rewrite the index."""
    root = Path(out).resolve()
    collection = collect([Path(d) for d in directories])
    done = []
    for study in collection.studies:
        runs = [r for r in collection.runs if r.study == study.name and r.path.parent == study.path]
        records = root / study.name / "records"
        if study.path.resolve() != records:
            copy_records(study, runs, records)
            copy_grids(runs, root / study.name / GRIDS)
        done.append(publish_records(records, root))
    toys = []
    for toy in judgeable(collection.toys):
        record = toy.path if toy.path.parent == root / TOYS else copy_toy(toy, root / TOYS)
        toys.append(PublishedToy(str(toy.record["toy"]), record, judge_toy(toy.record)))
    write_text(root / INDEX_PAGE, index_page(root))
    return Publication(done, toys)


def copy_toy(toy: ToyRecord, target: Path) -> Path:
    """The toy's record and figures into `target`, replacing an earlier record of the same toy."""
    target.mkdir(parents=True, exist_ok=True)
    for png in toy.figures:
        atomic.write_bytes(target / png.name, png.read_bytes())
    return atomic.write_bytes(target / f"{toy.record['toy']}.json", toy.path.read_bytes())


def judge_toy(record: dict) -> list[Judged]:
    from ganlab.toys.base import judge

    return judge(record)


def judgeable(toys: list[ToyRecord]) -> list[ToyRecord]:
    """The records of toys this ganlab knows (a record of another toy cannot be judged)."""
    from ganlab.toys import TOYS as REGISTERED

    return [t for t in toys if t.record["toy"] in REGISTERED]


def copy_records(study: StudyRecord, runs: list[RunRecord], records: Path) -> None:
    """The study's index and each run's small files (no checkpoints, no samples), replacing older records."""
    staging = records.with_name(f".{records.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(study.path / INDEX, staging / INDEX)
    for run in runs:
        (staging / run.name).mkdir()
        for name in RECORD_FILES:
            if (run.path / name).is_file():
                shutil.copy2(run.path / name, staging / run.name / name)
    if records.exists():
        shutil.rmtree(records)
    staging.rename(records)


def copy_grids(runs: list[RunRecord], target: Path) -> None:
    """The last fixed-noise grid of the first repeat of each cell, as `<cell>.png`."""
    first: dict[str, RunRecord] = {}
    for run in sorted(runs, key=lambda r: r.seed):
        if run.cell and run.samples:
            first.setdefault(run.cell, run)
    if not first:
        return
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for cell, run in first.items():
        shutil.copy2(run.samples[max(run.samples)], target / f"{cell}.png")


def load_records(records: Path) -> tuple[StudyRecord, list[RunRecord]]:
    found = collect([records])
    if len(found.studies) != 1:
        raise ValueError(f"{records}: expected one study.json, found {len(found.studies)}")
    study = found.studies[0]
    return study, [r for r in found.runs if r.study == study.name]


def publish_records(records: Path, root: Path) -> Published:
    """Render `<study>.md` and the curve figures from the records under `records`."""
    study, runs = load_records(records)
    claims = study_claims(study, runs)
    figures = write_curves(study, runs, root / study.name)
    page = root / f"{study.name}.md"
    write_text(page, study_page(study, runs, claims, figures, root))
    return Published(study.name, page, claims)


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text)


# --- figures ---------------------------------------------------------------------------------------------
def images_seen(run: RunRecord, step: int) -> float:
    """Real images D has seen by generator step `step`: the budget's unit where variants' n_critic differ."""
    train = run.config.get("train", {})
    steps, d_steps = run.summary.get("steps"), run.summary.get("d_steps")
    per_step = d_steps / steps if steps and d_steps else train.get("n_critic", 1)
    return step * per_step * train.get("batch_size", 1)


def curve_metrics(study: StudyRecord, runs: list[RunRecord]) -> list[str]:
    """The metrics of the periodic evaluations, the claims' first."""
    claimed = [str(c.get("metric")) for c in (study.index.get("definition") or {}).get("claims", [])]
    present = list(dict.fromkeys(k for r in runs for row in r.evals for k in row if k not in ("step", "time_s")))
    present = [m for m in present if m != "provenance"]
    return [m for m in dict.fromkeys(claimed) if m in present] + [m for m in present if m not in claimed]


def write_curves(study: StudyRecord, runs: list[RunRecord], target: Path) -> list[str]:
    """One PNG per periodic metric: mean ± std over repeats against real images seen by D; file names."""
    from matplotlib.figure import Figure

    from ganlab.report.figures import mean_band

    names = []
    cells = list(dict.fromkeys(r.cell for r in runs if r.cell))
    for metric in curve_metrics(study, runs):
        fig = Figure(figsize=(8.5 if len(cells) > 6 else 7.5, 3.4), dpi=110, layout="constrained")
        ax = fig.subplots()
        for i, cell in enumerate(cells):
            curves = []
            for run in (r for r in runs if r.cell == cell):
                points = run.curve(metric)
                if points:
                    xs = np.asarray([images_seen(run, s) / 1000 for s, _ in points])
                    curves.append((xs, np.asarray([v for _, v in points])))
            if not curves:
                continue
            xs, mean, std = mean_band(curves)
            colour, style = cell_style(i, len(cells))
            ax.plot(xs, mean, color=colour, ls=style, lw=1.5, label=f"{cell} (n={len(curves)})")
            if len(curves) > 1:
                ax.fill_between(xs, mean - std, mean + std, color=colour, alpha=0.15, lw=0)
        ax.set_title(f"{metric} over training, mean ± std over repeats ({better_is(metric)} is better)", fontsize=9)
        ax.set_xlabel("real images seen by D (thousands)", fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(cells) > 6:  # beside the axes: over them it would hide the curves
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        else:
            ax.legend(fontsize=7)
        name = f"{metric}-over-training.png"
        target.mkdir(parents=True, exist_ok=True)
        atomic.write_with(target / name, partial(fig.savefig, metadata={"Software": None}))
        names.append(name)
    return names


def cell_style(i: int, cells: int) -> tuple[str, str]:
    """A colour and line style for the i-th of `cells` curves, distinct for up to 20 (tab10, then tab20 dashed
    in its light and dark pairs)."""
    if cells <= 10:
        return f"C{i}", "-"
    from matplotlib import colormaps, colors

    return colors.to_hex(colormaps["tab20"](i % 20)), "-" if i % 2 == 0 else "--"


# --- the page --------------------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}g}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    from ganlab.progress import format_duration

    return format_duration(float(seconds))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def what_ran(study: StudyRecord, runs: list[RunRecord]) -> list[tuple[str, str]]:
    index = study.index
    definition = index.get("definition") or {}
    timing = index.get("timing") or {}
    sessions = [s for s in timing.get("sessions", []) if isinstance(s, dict)]
    env = next((s.get("environment") for s in reversed(sessions) if s.get("environment")), None) or {}
    scale = study.scale
    scale_spec = definition.get(scale) or {}
    cells = list(dict.fromkeys(r.cell for r in runs if r.cell))
    seeds = sorted({r.seed for r in runs})
    configs = [r.config for r in runs]
    data = sorted({f"{c.get('data', {}).get('name')}" for c in configs})
    sides = sorted({c.get("data", {}).get("resolution") for c in configs}, key=str)
    resolutions = [f"{side}×{side} px" if side else "native resolution" for side in sides]
    threads = sorted({str(c.get("train", {}).get("threads")) for c in configs})
    estimate = (timing.get("estimate") or {}).get("wall_s")
    measured = timing.get("wall_s")
    workers = sorted({str(s.get("workers")) for s in sessions if s.get("workers")})
    dates = sorted({str(s.get("started", ""))[:10] for s in sessions if s.get("started")})
    rows = [
        ("source", str(index.get("source", ""))),
        ("scale", f"{scale}" + (f": {scale_spec.get('budget')}" if scale_spec.get("budget") else "")),
        ("budget unit", str(definition.get("budget") or "generator steps (the same for every variant)")),
        ("data", f"{', '.join(data)} at {', '.join(resolutions)}"),
        (
            "runs",
            f"{len(runs)}: {len(cells)} cell{'s' * (len(cells) != 1)} × {len(seeds)} repeats "
            f"(seeds {', '.join(map(str, seeds))})",
        ),
        ("final evaluation", f"{', '.join(index.get('metrics', []))} on {index.get('samples')} samples"),
        ("commit", _commits(sessions)),
        ("date", " – ".join(dict.fromkeys([dates[0], dates[-1]])) if dates else "unknown"),
        (
            "machine",
            f"{env.get('cpu', '?')}, {env.get('cores', '?')} cores, {env.get('memory_gib', '?')} GiB"
            + (f", {env['gpu']}" if env.get("gpu") else "")
            + f"; Python {env.get('python', '?')}, torch {env.get('torch', '?')}",
        ),
        ("threads", f"{', '.join(threads)} per run, {', '.join(workers) or '?'} worker(s)"),
        (
            "wall time",
            f"{_duration(measured)} measured over {len(sessions)} session(s); "
            f"{_duration(estimate)} estimated by the probe before the first run",
        ),
    ]
    notes = [_session_note(s) for s in sessions if s.get("note") or s.get("reconstructed")]
    if notes:
        rows.append(("sessions", "; ".join(notes)))
    return rows


def _session_note(session: dict[str, Any]) -> str:
    """What a session's record says of itself (a note added by hand, a wall time reconstructed afterwards)."""
    commit = str((session.get("environment") or {}).get("commit") or "")[:7]
    head = f"{str(session.get('started', '?'))[:16].replace('T', ' ')}, {_duration(session.get('wall_s'))}"
    text = " ".join(str(session[k]) for k in ("note", "reconstructed") if session.get(k))
    return f"{head}{', ' + commit if commit else ''}: {text}"


def _commits(sessions: list[dict]) -> str:
    """The ganlab commits the study's sessions ran, and how many sessions predate that record."""
    commits = [str((s.get("environment") or {}).get("commit") or "") for s in sessions]
    known = list(dict.fromkeys(c for c in commits if c))
    missing = sum(1 for c in commits if not c)
    text = ", ".join(known) or "unknown"
    if known and missing:
        text += f" ({missing} earlier session{'s' * (missing > 1)} did not record it)"
    return text


def final_table(study: StudyRecord, runs: list[RunRecord]) -> list[str]:
    metrics = list(study.index.get("metrics", []))
    cells = list(dict.fromkeys(r.cell for r in runs if r.cell))
    lines = [
        "| cell | " + " | ".join(f"{m} ({better_is(m)} is better)" for m in metrics) + " | wall s a run |",
        "| --- | " + " | ".join("---" for _ in metrics) + " | --- |",
    ]
    for cell in cells:
        mine = [r for r in runs if r.cell == cell]
        row = [cell]
        for metric in metrics:
            s = summarize([v for r in mine if (v := r.final_metrics().get(metric)) is not None])
            row.append("–" if not s.n else f"{_fmt(s.mean)} [{_fmt(s.ci_low)}, {_fmt(s.ci_high)}] (n={s.n})")
        wall = summarize([v for r in mine if (v := r.quantity("wall_s")) is not None])
        row.append(_fmt(wall.mean, 3))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def verdict_rows(claims: list[ClaimResult]) -> list[str]:
    lines = ["| verdict | claim | source | other axes | measured | numbers |", "| --- | --- | --- | --- | --- | --- |"]
    for r in claims:
        measured = f"{r.claim.metric} ({r.claim.statistic}, {r.claim.better} is better)"
        numbers = "; ".join(x for x in (r.numbers(), r.detail) if x)
        lines.append(
            f"| **{r.verdict}** | {_cell(r.claim.claim)} | {_cell(r.claim.source)} | {_cell(r.context or '–')} | "
            f"{_cell(measured)} | {_cell(numbers)} |"
        )
    return lines


def study_page(
    study: StudyRecord, runs: list[RunRecord], claims: list[ClaimResult], figures: list[str], root: Path
) -> str:
    definition = study.index.get("definition") or {}
    name = study.name
    lines = [
        f"# {name}: {study.index.get('description', '')}",
        "",
        f"Rendered by `ganlab report docs/results/{name}/records --publish docs/results` from the records in "
        f"[`{name}/records/`]({name}/records/) (each run's config, summary and evaluations; no checkpoints). "
        "A test rebuilds this page from them and fails when the two disagree.",
        "",
        "## What ran",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {_cell(v)} |" for k, v in what_ran(study, runs)),
        "",
        "## Verdicts",
        "",
        "Welch's t-test on each claim's pair (the claimed winner against its strongest rival), Holm–Bonferroni "
        "over the study's checks: **supported** or **contradicted** when significant at 0.05 with at least "
        "3 runs a side, **inconclusive** otherwise. Numbers: means [95 % CI], the difference [95 % CI], "
        "Hedges' g, the raw and the corrected p.",
        "",
        *verdict_rows(claims),
        "",
        "## Final metrics",
        "",
        *final_table(study, runs),
        "",
        "## Figures",
        "",
    ]
    for figure in figures:
        lines += [f"![{figure[:-4]}]({name}/{figure})", ""]
    grids = sorted((root / name / GRIDS).glob("*.png")) if (root / name / GRIDS).is_dir() else []
    cells = list(dict.fromkeys(r.cell for r in runs if r.cell))
    shown = [c for c in cells if (root / name / GRIDS / f"{c}.png") in grids]
    if shown:
        lines += [
            "Final fixed-noise samples of each cell's first repeat:",
            "",
            "| " + " | ".join(shown) + " |",
            "| " + " | ".join("---" for _ in shown) + " |",
            "| " + " | ".join(f"![{c}]({name}/{GRIDS}/{c}.png)" for c in shown) + " |",
            "",
        ]
    differences = definition.get("differences") or []
    lines += ["## What differs from the source", ""]
    lines += [f"- {d}" for d in differences] or ["- nothing recorded"]
    return "\n".join(lines) + "\n"


# --- the index -------------------------------------------------------------------------------------------
def index_page(root: Path) -> str:
    """One table over every study published under `root` (claim · source · verdict · numbers), one over the
    toys' claims."""
    lines = [
        "# Results",
        "",
        "The sources' claims, judged by `ganlab report` on the studies run at the lab scale (docs/studies.md). "
        "Each study's page says what ran, where and how long, and what differs from the source; each is "
        "rebuilt from its committed records by the test suite.",
        "",
        "| study | claim | source | verdict | numbers |",
        "| --- | --- | --- | --- | --- |",
    ]
    for records in sorted(root.glob(f"*/records/{INDEX}")):
        study, runs = load_records(records.parent)
        for r in study_claims(study, runs):
            where = f" [{r.context}]" if r.context else ""
            lines.append(
                f"| [{study.name}]({study.name}.md) | {_cell(r.claim.claim + where)} | {_cell(r.claim.source)} | "
                f"**{r.verdict}** | {_cell(short_numbers(r))} |"
            )
    toys = toy_rows(root / TOYS)
    if toys:
        lines += [
            "",
            "## Toys",
            "",
            "The illustrative experiments (`ganlab toy`, docs/toys.md), one run each, judged by each "
            "toy's own check on the numbers in its committed record (`toys/NAME.json`): a claim **holds** or "
            "**does not hold** on that run, with no statistics. The scale says how the run compares with the "
            "source's.",
            "",
            "| toy | claim | source | verdict | measured | scale | figures |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *toys,
        ]
    return "\n".join(lines) + "\n"


def toy_scale(record: dict) -> str:
    """How a toy record was run: full, quick, or full with some settings changed; and how long it took."""
    overrides = record.get("overrides") or {}
    if record.get("quick"):
        scale = "quick"
    elif overrides:
        scale = "full, except " + ", ".join(f"{k}={v}" for k, v in overrides.items())
    else:
        scale = "full (the source's)"
    seconds = record.get("seconds")
    threads = record.get("torch_threads")
    took = f"{_duration(seconds)} on {threads} thread{'s' * (threads != 1)}" if seconds is not None else ""
    return "; ".join(x for x in (scale, f"seed {record.get('seed')}", took) if x)


def toy_rows(directory: Path) -> list[str]:
    rows = []
    for toy in judgeable(toys_in(directory)):
        record = toy.record
        figures = " ".join(f"[{png.name}]({TOYS}/{png.name})" for png in toy.figures)
        for j in judge_toy(record):
            verdict = "holds" if j.holds else "does not hold"
            rows.append(
                f"| {record['toy']} | {_cell(j.claim.claim)} | {_cell(j.claim.source)} | **{verdict}** | "
                f"{_cell(j.measured)} | {_cell(toy_scale(record))} | {figures or '–'} |"
            )
    return rows


def short_numbers(r: ClaimResult) -> str:
    if r.test is None or r.pair is None:
        return r.detail or "–"
    t = r.test
    parts = [f"{r.pair[0]} − {r.pair[1]} = {t.diff:.3g} [{t.ci_low:.3g}, {t.ci_high:.3g}]"]
    if not math.isnan(t.p):
        parts.append(f"Holm p = {r.p_adjusted:.2g}")
    parts.append("n = " + ", ".join(str(r.values[p].n) for p in r.pair if p in r.values))
    return "; ".join(parts)


def rebuilt(root: Path) -> dict[Path, str]:
    """What every published page under `root` should hold, rendered from its records (figures untouched)."""
    pages = {}
    for records in sorted(root.glob(f"*/records/{INDEX}")):
        study, runs = load_records(records.parent)
        claims = study_claims(study, runs)
        figures = [f"{m}-over-training.png" for m in curve_metrics(study, runs)]
        pages[root / f"{study.name}.md"] = study_page(study, runs, claims, figures, root)
    pages[root / INDEX_PAGE] = index_page(root)
    return pages


def describe(done: Publication) -> list[str]:
    out: list[str] = []
    for item in done.studies:
        counts: dict[str, int] = {}
        for c in item.claims:
            counts[c.verdict] = counts.get(c.verdict, 0) + 1
        shown = ", ".join(f"{n} {v}" for v, n in counts.items())
        out.append(f"{item.study}: {item.page} ({shown})")
    for toy in done.toys:
        held = sum(j.holds for j in toy.judged)
        out.append(f"toy {toy.toy}: {toy.record} ({held} of {len(toy.judged)} claims hold)")
    return out


__all__ = ["publish", "rebuilt", "Published", "PublishedToy", "Publication", "RECORD_FILES", "describe"]
