"""What a report is made of, read from disk: runs (directories with config.yaml), study indexes, toy figures.

Reading is forgiving where training is strict: a run that crashed before writing its summary, or an old
run without eval.jsonl, still shows up with what it has. Only plain data is read (YAML safe loader, JSON).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ganlab.rundir.layout import read_jsonl

SAMPLE_FILE = re.compile(r"step_(\d+)\.png")
SKIP_DIRS = {"checkpoints", "samples", "__pycache__"}
NOT_METRICS = {"step", "time_s", "provenance", "seconds"}
HIGHER_IS_BETTER = {
    "is",
    "precision",
    "recall",
    "class_coverage",
    "class_accuracy",
    "modes",
    "high_quality",
    "imgs_per_s",
    "gen_steps_per_s",
}


def better_is(metric: str) -> str:
    """'higher' or 'lower': which way a metric improves (distances, divergences and times go down)."""
    return "higher" if metric in HIGHER_IS_BETTER else "lower"


def number(value: Any) -> float | None:
    """A finite float, or None (JSON strings "nan"/"inf" written for non-finite values included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        out = float(value)
    except ValueError:
        return None
    return out if math.isfinite(out) else None


@dataclass
class RunRecord:
    path: Path
    config: dict[str, Any]
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]
    evals: list[dict[str, Any]]
    final_eval: dict[str, Any] | None
    samples: dict[int, Path]
    config_text: str
    sheet: Path | None = None  # RUN/sample.png, the grid `ganlab sample` draws (make demo: 100 samples)
    study: str | None = None
    cell: str | None = None
    variants: dict[str, str] = field(default_factory=dict)
    position: int = 0  # order of the run's cell in its study
    notes: list[str] = field(default_factory=list)  # what could not be read (damaged lines, an unreadable config)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def seed(self) -> int:
        train = self.config.get("train")
        seed = train.get("seed", 0) if isinstance(train, dict) else 0
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0

    def final_metrics(self) -> dict[str, float]:
        """eval.json's values, else the last periodic evaluation's."""
        if self.final_eval and isinstance(self.final_eval.get("metrics"), dict):
            source = self.final_eval["metrics"]
        else:
            source = self.evals[-1] if self.evals else {}
        return {k: v for k, v in ((k, number(v)) for k, v in source.items() if k not in NOT_METRICS) if v is not None}

    def curve(self, metric: str) -> list[tuple[int, float]]:
        """(step, value) of a metric over the periodic evaluations (eval.jsonl)."""
        points = [(int(row.get("step", 0)), number(row.get(metric))) for row in self.evals]
        return [(s, v) for s, v in points if v is not None]

    def best(self, metric: str) -> float | None:
        """The best periodic evaluation: values on the same number of samples only (a final evaluation on
        more samples is not comparable with them; FD, for one, falls as the sample count grows)."""
        values = [v for _, v in self.curve(metric)]
        if not values:
            return None
        return max(values) if better_is(metric) == "higher" else min(values)

    def final_samples(self) -> int | None:
        """Generated samples behind the final metrics (eval.json, else the last periodic evaluation)."""
        if self.final_eval and isinstance(self.final_eval.get("metrics"), dict):
            return fake_samples(self.final_eval)
        return fake_samples(self.evals[-1]) if self.evals else None

    def periodic_samples(self) -> int | None:
        """Generated samples of each periodic evaluation (the last one's; eval.samples)."""
        return fake_samples(self.evals[-1]) if self.evals else None

    def quantity(self, name: str) -> float | None:
        """A summary.json number (wall_s, imgs_per_s, ...)."""
        return number(self.summary.get(name))

    def metric_names(self) -> list[str]:
        names = list(self.final_metrics())
        for row in self.evals:
            names += [k for k in row if k not in NOT_METRICS and number(row[k]) is not None]
        return list(dict.fromkeys(names))


def fake_samples(record: dict[str, Any]) -> int | None:
    """The generated-sample count in an evaluation record's provenance (eval.json or an eval.jsonl row)."""
    provenance = record.get("provenance")
    value = provenance.get("fake_samples") if isinstance(provenance, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


SCALE_WORDS = {
    "quick": "quick scale (--quick): fewer steps, a data subset, fewer repeats; a smoke test of the pipeline, "
    "not the source's experiment",
    "lab": "lab scale (--scale lab): sized to finish in about an hour on 2 CPU cores, with enough repeats to "
    "judge the source's claims (docs/studies.md)",
    "full": "full scale: the source's settings",
}


@dataclass
class StudyRecord:
    path: Path  # the study's --out directory
    index: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.index.get("study"))

    @property
    def scale(self) -> str:
        """quick, lab or full (indexes written before --scale say only quick: true/false)."""
        scale = self.index.get("scale")
        if isinstance(scale, str):
            return scale
        return "quick" if self.index.get("quick") else "full"

    def scale_words(self) -> str:
        """The scale as a reader needs it: what it is and what its verdicts are worth."""
        return SCALE_WORDS.get(self.scale, self.scale)

    def axes(self) -> list[tuple[str, list[str]]]:
        return [(a["name"], list(a["variants"])) for a in self.index.get("axes", []) if isinstance(a, dict)]


@dataclass
class ToyRecord:
    """A `ganlab toy` record (`NAME.json`: settings, numbers, the figures' names) and its figures found beside it."""

    path: Path
    record: dict[str, Any]
    figures: list[Path]


@dataclass
class Collection:
    roots: list[Path]
    runs: list[RunRecord]
    studies: list[StudyRecord]
    toys: list[ToyRecord]

    @property
    def notes(self) -> list[str]:
        """What could not be read in the runs found, one line each."""
        return [note for run in self.runs for note in run.notes]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def read_run(path: Path) -> RunRecord:
    """What the report shows of one run directory; what it could not read is said in `notes`, never raised."""
    notes: list[str] = []
    try:
        text = (path / "config.yaml").read_text(encoding="utf-8")
        config = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        text, config = "", {}
        notes.append(f"{path / 'config.yaml'}: unreadable ({type(exc).__name__}); the run is shown without its config")
    summary = _read_json(path / "summary.json")
    final_eval = _read_json(path / "eval.json")
    samples = {}
    if (path / "samples").is_dir():
        for png in (path / "samples").iterdir():
            match = SAMPLE_FILE.fullmatch(png.name)
            if match:
                samples[int(match.group(1))] = png
    return RunRecord(
        path=path,
        config=config if isinstance(config, dict) else {},
        summary=summary if isinstance(summary, dict) else {},
        metrics=read_jsonl(path / "metrics.jsonl", warn=notes.append),
        evals=read_jsonl(path / "eval.jsonl", warn=notes.append),
        final_eval=final_eval if isinstance(final_eval, dict) else None,
        samples=dict(sorted(samples.items())),
        config_text=text,
        sheet=path / "sample.png" if (path / "sample.png").is_file() else None,
        notes=notes,
    )


def _toys_in(directory: Path, files: list[str]) -> list[ToyRecord]:
    """The `ganlab toy` JSON records (`{"toy": ..., "figures": [...]}`) in `directory`, with their PNGs."""
    toys = []
    for name in sorted(f for f in files if f.endswith(".json")):
        record = _read_json(directory / name)
        if not isinstance(record, dict) or "toy" not in record or not isinstance(record.get("figures"), list):
            continue
        pngs = [directory / str(figure) for figure in record["figures"]]
        toys.append(ToyRecord(directory / name, record, [p for p in pngs if p.suffix == ".png" and p.is_file()]))
    return toys


def toys_in(directory: Path) -> list[ToyRecord]:
    """The `ganlab toy` records directly in `directory` (none when it does not exist)."""
    return _toys_in(directory, os.listdir(directory)) if directory.is_dir() else []


def collect(directories: list[Path]) -> Collection:
    """Every run, study index and toy record under the given directories (each found once)."""
    from ganlab.studies.index import INDEX, read_index

    runs: dict[Path, RunRecord] = {}
    studies: dict[Path, StudyRecord] = {}
    toys: dict[Path, ToyRecord] = {}
    roots = [Path(d).resolve() for d in directories]
    for root in roots:
        for current, dirs, files in os.walk(root):
            here = Path(current)
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            if "config.yaml" in files:
                runs.setdefault(here, read_run(here))
                dirs[:] = []  # a run directory holds no further runs
                continue
            if INDEX in files:
                index = read_index(here)
                if index is not None:
                    studies.setdefault(here, StudyRecord(here, index))
            for toy in _toys_in(here, files):
                toys.setdefault(toy.path, toy)
    for study in studies.values():
        _attach(study, runs)
    return Collection(roots, sorted(runs.values(), key=_order), list(studies.values()), list(toys.values()))


def _attach(study: StudyRecord, runs: dict[Path, RunRecord]) -> None:
    """Mark the runs a study.json lists with the study's name, their cell and variants."""
    for position, cell in enumerate(study.index.get("cells", [])):
        run = runs.get(study.path / str(cell.get("run")))
        if run is not None:
            run.study, run.cell, run.position = study.name, str(cell.get("cell")), position
            run.variants = {str(k): str(v) for k, v in (cell.get("variants") or {}).items()}


def _order(run: RunRecord) -> tuple[str, int, str, int, str]:
    return (run.study or "", run.position, run.cell or str(run.config.get("name", "")), run.seed, str(run.path))
