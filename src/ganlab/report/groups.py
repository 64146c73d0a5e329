"""Runs grouped into models: the repeats of one configuration (one study cell, or equal configs but the seed).

Means, standard deviations and confidence intervals are over a group's runs (seed 004 §5.2 repeats every
model 10 times); "varied settings" are the config keys whose values differ between groups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ganlab.report.collect import RunRecord, better_is
from ganlab.stats import Summary, summarize
from ganlab.studies.grid import flatten

# Keys that differ between repeats or machines, or only change logging: never what makes a model different.
RUN_KEYS = (
    "name",
    "description",
    "source",
    "train.seed",
    "train.threads",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "data.root",
    "data.download",
)
RUN_SECTIONS = ("log.",)


def model_settings(run: RunRecord) -> dict[str, Any]:
    flat = flatten(run.config)
    return {k: v for k, v in flat.items() if k not in RUN_KEYS and not k.startswith(RUN_SECTIONS)}


@dataclass
class Group:
    key: str
    label: str
    runs: list[RunRecord]
    settings: dict[str, Any]
    study: str | None = None
    variants: dict[str, str] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return str(self.settings.get("data.name", "?"))

    @property
    def model_label(self) -> str:
        """The label without the dataset (study axes that only choose data are left out)."""
        kept = [v for axis, v in self.variants.items() if not axis.startswith("data")]
        return "_".join(kept) if self.variants and kept else self.label

    def final(self, metric: str) -> Summary:
        return summarize([v for r in self.runs if (v := r.final_metrics().get(metric)) is not None])

    def best(self, metric: str) -> Summary:
        return summarize([v for r in self.runs if (v := r.best(metric)) is not None])

    def sample_counts(self, kind: str) -> str:
        """`5000` or `1000–5000`: the generated samples behind the group's `kind` ("final" or "periodic") values."""
        counts = sorted(
            {n for r in self.runs if (n := r.final_samples() if kind == "final" else r.periodic_samples()) is not None}
        )
        if not counts:
            return "?"
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"

    def quantity(self, name: str) -> Summary:
        return summarize([v for r in self.runs if (v := r.quantity(name)) is not None])

    def metric_names(self) -> list[str]:
        return list(dict.fromkeys(m for r in self.runs for m in r.metric_names()))

    def statuses(self) -> str:
        counts: dict[str, int] = {}
        for run in self.runs:
            status = str(run.summary.get("status", "running or crashed"))
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{n} {s}" for s, n in counts.items())

    def warnings(self) -> list[str]:
        return list(dict.fromkeys(w for r in self.runs for w in warning_lines(r)))


def warning_lines(run: RunRecord) -> list[str]:
    """summary.json `warnings` as one line each (strings, or objects with a message, step and evidence)."""
    lines = []
    items = run.summary.get("warnings")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            text = str(item.get("message") or item.get("rule") or item.get("name") or json.dumps(item))
            step = f" (step {item['step']})" if "step" in item and f"step {item['step']}" not in text else ""
            lines.append(f"{text}{step}")
        else:
            lines.append(str(item))
    return lines


def group_runs(runs: list[RunRecord]) -> list[Group]:
    """Groups in the order their first run appears; labels made unique."""
    groups: dict[str, Group] = {}
    studies = {r.study for r in runs if r.study}
    for run in runs:
        settings = model_settings(run)
        if run.study and run.cell:
            key = f"study:{run.study}/{run.cell}"
            label = f"{run.study}/{run.cell}" if len(studies) > 1 else run.cell
        else:
            key = "config:" + json.dumps(settings, sort_keys=True, default=str)
            label = str(run.config.get("name") or run.path.name)
        if key not in groups:
            groups[key] = Group(key, label, [], settings, run.study, dict(run.variants))
        groups[key].runs.append(run)
    seen: dict[str, int] = {}
    for group in groups.values():
        seen[group.label] = seen.get(group.label, 0) + 1
        if seen[group.label] > 1:
            group.label = f"{group.label} #{seen[group.label]}"
    return list(groups.values())


def varied_settings(groups: list[Group]) -> list[str]:
    """Dotted keys whose values differ between groups (every key when there is a single group: none)."""
    keys = list(dict.fromkeys(k for g in groups for k in g.settings))
    return [k for k in keys if len({json.dumps(g.settings.get(k), default=str) for g in groups}) > 1]


def metric_names(groups: list[Group]) -> list[str]:
    return list(dict.fromkeys(m for g in groups for m in g.metric_names()))


def sample_counts(groups: list[Group], kind: str) -> str:
    """The sample counts of all groups at once (`5000`, or `1000–5000` when they differ)."""
    parts = sorted({g.sample_counts(kind) for g in groups} - {"?"})
    return parts[0] if len(parts) == 1 else ("?" if not parts else ", ".join(parts))


def plural(n: int, word: str) -> str:
    """`1 run`, `3 runs`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def ranking_hint(metric: str) -> str:
    return "↓ lower is better" if better_is(metric) == "lower" else "↑ higher is better"
