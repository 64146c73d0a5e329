"""From a study to its cells: named or file study -> grid of variants x seeds -> one checked Config per run.

Precedence inside a cell, low to high: the base (preset, file or inline mapping; a variant may name another
base preset) < the study's `set` < the scale's `set` (`quick.set` with --scale quick, `lab.set` with --scale lab)
< each variant's `set` < each variant's own block for the scale < the command line's `--set` < the repeat's seed
and the thread share. A key set by two axes, or varied by an axis and also fixed by the scale's `set` or `--set`,
is refused: the grid would not be what it says.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ganlab.config.loading import deep_merge, explicit_keys, nest, raw_config, read_yaml, to_dict, typed_config
from ganlab.config.schema import Config
from ganlab.errors import ArgumentError, ConfigError
from ganlab.plugins import check_config
from ganlab.studies.schema import SCALE_CHOICES, Study, Variant, parse_study

STUDY_PACKAGE = "ganlab.studies"
# Keys that differ between the runs of one cell, or between machines, and say nothing about the model.
RUN_KEYS = ("train.seed", "train.threads", "name")


def study_names() -> list[str]:
    """The studies shipped with ganlab (`ganlab study NAME`)."""
    files = resources.files(STUDY_PACKAGE).iterdir()
    return sorted(f.name[: -len(".yaml")] for f in files if f.name.endswith(".yaml"))


def load_study(ref: str | Path) -> Study:
    """A named study or a study YAML file, parsed and checked (raises ConfigError)."""
    text = str(ref)
    path = Path(text)
    if text.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise ConfigError(text, "an existing study YAML file or a named study", "no such file")
        return parse_study(read_yaml(path, "study file"), origin=str(path.resolve()))
    if text not in study_names():
        close = difflib.get_close_matches(text, study_names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ArgumentError("STUDY", f"one of {', '.join(study_names())} or a study YAML file{hint}", text)
    from ganlab.config.loading import parse_yaml

    body = resources.files(STUDY_PACKAGE).joinpath(f"{text}.yaml").read_text(encoding="utf-8")
    return parse_study(parse_yaml(body, f"study {text}", "study file"), origin=f"named study {text}")


@dataclass(frozen=True)
class Cell:
    """One run of the grid: the variants it combines, its seed, its directory and its checked config."""

    name: str
    variants: dict[str, str]  # axis -> variant name
    seed: int
    path: Path  # resolved, inside the study's --out
    config: Config
    metrics: tuple[str, ...] = ()  # the final evaluation's metrics that apply to this run

    @property
    def run(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Plan:
    study: Study
    out: Path  # resolved
    scale: str  # quick, lab or full
    base: Config  # the study's base with `set`, the scale's `set` and --set: what `diff` compares against
    cells: tuple[Cell, ...]
    metrics: tuple[str, ...]
    samples: int
    threads: int


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def diff(config: Config, base: Config) -> dict[str, Any]:
    """Dotted keys whose value in `config` differs from `base` (seed, threads and name left out)."""
    a, b = flatten(to_dict(config)), flatten(to_dict(base))
    return {k: v for k, v in a.items() if k not in RUN_KEYS and b.get(k) != v}


def _base_raw(study: Study, preset: str | None) -> dict[str, Any]:
    base = preset or study.base
    if isinstance(base, dict):
        inline = dict(base)
        parent = inline.pop("base", None)
        return deep_merge(raw_config(parent) if parent else {}, inline)
    path = Path(base)
    if base.endswith((".yaml", ".yml")) and not path.is_absolute() and Path(study.origin).is_file():
        path = Path(study.origin).parent / path  # a base file is relative to the study file
        return raw_config(path)
    return raw_config(base)


def checked_config(raw: dict[str, Any], where: str) -> Config:
    """The Config of a merged mapping with the same checks as `load_config`, errors prefixed by `where`."""
    try:
        cfg = typed_config(raw)
        check_config(cfg, explicit_keys(raw))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.key}", exc.expected, exc.got) from None
    return cfg


def _check_scale(scale: str) -> None:
    if scale not in SCALE_CHOICES:
        raise ArgumentError("--scale", f"one of {', '.join(SCALE_CHOICES)}", scale)


def _check_conflicts(study: Study, scale: str, sets: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    for axis in study.axes:
        for key in {k for v in axis.variants for k in v.set}:
            if key in owner and owner[key] != axis.name:
                raise ConfigError(f"axes.{axis.name}", f"keys no other axis sets ('{key}' is set by axis {owner[key]})")
            owner[key] = axis.name
    fixed = {**study.scale(scale).set, **sets}
    for key in fixed:
        if key in owner:
            origin = "--set" if key in sets else f"{scale}.set"
            raise ConfigError(f"{origin} {key}", f"a key no axis varies (axis {owner[key]} varies it)")
    if "train.seed" in sets:
        raise ArgumentError("--set train.seed", "no seed: the study's repeats choose the seeds")


def _cell_raw(study: Study, combo: tuple[Variant, ...], scale: str, sets: dict[str, Any]) -> dict[str, Any]:
    presets = [v.base for v in combo if v.base]
    if len(presets) > 1:
        raise ConfigError("axes", "at most one variant with a base preset in any cell", presets)
    raw = deep_merge(_base_raw(study, presets[0] if presets else None), nest(study.set))
    layers = [study.scale(scale).set] + [v.set for v in combo] + [v.at(scale) for v in combo] + [sets]
    for layer in layers:
        raw = deep_merge(raw, nest(layer))
    return raw


def _explicit_threads(study: Study, scale: str, sets: dict[str, Any]) -> bool:
    layers = [study.set, sets, study.scale(scale).set]
    layers += [v.set for a in study.axes for v in a.variants]
    return any("train.threads" in layer for layer in layers)


MAX_RUNS = 1_000  # a grid above this many runs is planned only when asked for (--allow-large)


def grid_size(study: Study, scale: str = "full") -> tuple[int, str]:
    """How many runs the study has at `scale`, and how that count is made ("3 x 4 variants x 5 seeds"),
    computed without building the grid."""
    spec = study.scale(scale)
    seeds = len(study.seeds[: spec.repeats] if spec.repeats else study.seeds)
    sizes = [len(axis.variants) for axis in study.axes]
    runs = math.prod(sizes) * seeds
    how = (
        " x ".join(str(n) for n in sizes) + f" variants x {seeds} seed{'s' * (seeds != 1)}"
        if sizes
        else f"{seeds} seeds"
    )
    return runs, how


def plan_study(
    study: Study,
    out: str | Path,
    scale: str = "full",
    sets: dict[str, Any] | None = None,
    workers: int = 1,
    cores: int | None = None,
    allow_large: bool = False,
) -> Plan:
    """Every cell of the study at `scale` (quick, lab, full) with its checked config and directory under `out`.
    A grid of more than MAX_RUNS runs is refused unless `allow_large`, before any cell is built."""
    _check_scale(scale)
    runs, how = grid_size(study, scale)
    if runs > MAX_RUNS and not allow_large:
        raise ConfigError(
            f"study {study.name}",
            f"a grid of at most {MAX_RUNS:,} runs, or --allow-large to plan a larger one (this one has {runs:,}: "
            f"{how})",
        )
    sets = dict(sets or {})
    _check_conflicts(study, scale, sets)
    root = Path(out).resolve()
    spec = study.scale(scale)
    seeds = study.seeds[: spec.repeats] if spec.repeats else study.seeds
    combos = list(itertools.product(*(axis.variants for axis in study.axes)))
    threads = max(1, (cores or usable_cores()) // max(1, min(workers, runs)))  # workers x threads <= cores
    own_threads = _explicit_threads(study, scale, sets)
    base_raw = deep_merge(_base_raw(study, None), nest(study.set))
    for layer in [spec.set, sets]:
        base_raw = deep_merge(base_raw, nest(layer))
    base = checked_config(base_raw, f"study {study.name} base")
    cells = []
    for combo in combos:
        name = "_".join(v.name for v in combo) or "base"
        raw = _cell_raw(study, combo, scale, sets)
        for seed in seeds:
            extra = {"train.seed": seed, "name": name, **({} if own_threads else {"train.threads": threads})}
            cfg = checked_config(deep_merge(raw, nest(extra)), f"cell {name}")
            path = (root / f"{name}-seed{seed}").resolve()
            if not path.is_relative_to(root) or path == root:
                raise ConfigError(f"cell {name}", f"a run directory inside --out {root}", str(path))
            variants = {axis.name: v.name for axis, v in zip(study.axes, combo, strict=True)}
            cells.append(Cell(name, variants, seed, path, cfg))
    samples = spec.samples or study.samples
    metrics = study.metrics if study.metrics is not None else tuple(base.eval.metrics)
    cells = [replace(c, metrics=applicable_metrics(metrics, c.config)) for c in cells]
    return Plan(study, root, scale, base, tuple(cells), metrics, samples, threads)


def applicable_metrics(metrics: tuple[str, ...], config: Config) -> tuple[str, ...]:
    """The study's metrics less those for conditional runs when this run is not one (class_accuracy)."""
    from ganlab.metrics.registry import needs_conditional

    return tuple(m for m in metrics if config.model.conditional or not needs_conditional(m))
