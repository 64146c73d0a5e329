"""A study file, parsed and checked: base config, axes of named variants, repeats, evaluation, quick, claims.

    name: wgan-vs-wgan-gp                 # names the --out default and the report's sections
    source: "seed 002 §IV"                # the section it reproduces
    description: "..."
    budget: "epochs: ..."                 # the unit the variants are matched in, and why
    differences: ["...", ...]             # each way the study differs from its source (the results page lists them)
    base: wgan                            # a preset, a config file, or an inline config mapping
    set: {data.name: fashion-mnist}       # dotted overrides for every run
    axes:                                 # the grid: every combination of one variant per axis
      loss:                               # named variants, each a set of dotted overrides
        - {name: wgan}                    #   (`base: PRESET` switches the base preset for that variant)
        - {name: wgan-gp, set: {lipschitz.name: gp}, quick: {...}}
      model.kernel_size: [3, 5]           # or a dotted key and its values
    repeats: 3                            # seeds 0..2 (train.seed), or a list of seeds
    evaluate: {metrics: [fd_domain], samples: 10000}   # final evaluation; absent: each run's eval.metrics
    quick: {repeats: 2, samples: 1000, set: {train.steps: 200}}   # applied with --scale quick (--quick)
    lab: {repeats: 3, samples: 5000, set: {train.steps: 3000}}    # applied with --scale lab
    claims:                               # checked by `ganlab report`
      - {claim: "...", source: "seed 002 §V", metric: fd_domain, better: lower, compare: [wgan-gp, wgan],
         statistic: final | best | curve_mean | instability}   # or winner: NAME, among: [...]; where: {data.name: mnist}

Every key is checked the way config keys are (unknown keys fail with "did you mean", wrong types name the
key); the configs a study produces are checked later, cell by cell, by `ganlab.studies.grid`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ganlab.errors import ConfigError

# The reduced scales a study file may define beside its full (the source's) scale: `quick` is a smoke test
# for tests and CI, `lab` the scale whose verdicts are published (docs/studies.md says how it was sized).
SCALES = ("quick", "lab")
SCALE_CHOICES = ("quick", "lab", "full")
STUDY_KEYS = (
    "name",
    "source",
    "description",
    "differences",
    "budget",
    "base",
    "set",
    "axes",
    "repeats",
    "evaluate",
    *SCALES,
    "claims",
)
VARIANT_KEYS = ("name", "base", "set", *SCALES)
SCALE_KEYS = ("set", "repeats", "samples", "budget")
EVALUATE_KEYS = ("metrics", "samples")
CLAIM_KEYS = ("claim", "source", "metric", "better", "statistic", "compare", "value", "winner", "among", "where")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")  # a variant name is part of a directory name
# Quantities read from summary.json rather than from an evaluation (seed 000 Table 2 compares wall time).
SUMMARY_QUANTITIES = ("wall_s", "imgs_per_s", "gen_steps_per_s")
Statistic = Literal["final", "best", "curve_mean", "instability"]
STATISTICS = ("final", "best", "curve_mean", "instability")


@dataclass(frozen=True)
class Variant:
    """One value of an axis: a name, optionally another base preset, and dotted overrides."""

    name: str
    set: dict[str, Any] = field(default_factory=dict)
    scaled: dict[str, dict[str, Any]] = field(default_factory=dict)  # scale -> overrides (e.g. smaller MLP widths)
    base: str | None = None
    value: Any = None  # the raw value of an axis written as `dotted.key: [values]`

    def at(self, scale: str) -> dict[str, Any]:
        """The variant's own overrides at a scale (empty at full scale or when it has none)."""
        return self.scaled.get(scale, {})


@dataclass(frozen=True)
class ScaleSpec:
    """A reduced scale: overrides for every run, repeats (the first N seeds), final-evaluation samples."""

    set: dict[str, Any] = field(default_factory=dict)
    repeats: int | None = None
    samples: int | None = None
    budget: str = ""  # how the scale was sized, printed by --dry-run and on the results page


@dataclass(frozen=True)
class Axis:
    name: str
    variants: tuple[Variant, ...]

    def names(self) -> list[str]:
        return [v.name for v in self.variants]


@dataclass(frozen=True)
class Claim:
    """A qualitative claim of a source, as a check: `compare: [A, B]` (A better than B) or `winner` among."""

    claim: str
    source: str
    metric: str
    better: Literal["lower", "higher"]
    statistic: Statistic = "final"  # final value, best over training, mean over the eval curve (speed), instability
    compare: tuple[str, str] | tuple[str] | None = None  # [A, B]: A better than B; [A] with `value`
    value: float | None = None  # `compare: [A]`: A better than this constant (chance, say)
    winner: str | None = None
    among: tuple[str, ...] = ()
    where: dict[str, Any] = field(default_factory=dict)  # dotted config values the claim is about


@dataclass(frozen=True)
class Study:
    name: str
    source: str
    description: str
    budget: str  # the unit variants are matched in (epochs, generator steps, wall time) and why
    base: str | dict[str, Any]
    set: dict[str, Any]
    axes: tuple[Axis, ...]
    seeds: tuple[int, ...]
    metrics: tuple[str, ...] | None  # None: the base config's eval.metrics
    samples: int
    scales: dict[str, ScaleSpec]  # "quick" and/or "lab"; full scale is the file's own settings
    claims: tuple[Claim, ...]
    raw: dict[str, Any] = field(default_factory=dict)  # the mapping it was parsed from (kept in study.json)
    origin: str = ""  # the file it came from, resolved, or "named study <name>"

    def axis_of(self, variant: str) -> Axis | None:
        """The axis holding a variant called `variant` (or whose raw value prints as it)."""
        for axis in self.axes:
            if any(variant in (v.name, _text(v.value)) for v in axis.variants):
                return axis
        return None

    def scale(self, name: str) -> ScaleSpec:
        """The reduced scale `name` (an empty one when the file does not define it, or at full scale)."""
        return self.scales.get(name, ScaleSpec())

    def variant_name(self, ref: str) -> str:
        axis = self.axis_of(ref)
        if axis is None:
            return ref
        return next(v.name for v in axis.variants if ref in (v.name, _text(v.value)))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{where}{key}", f"one of {', '.join(allowed)}{hint}")


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, "a mapping of dotted config keys to values", value)
    return {str(k): v for k, v in value.items()}


def _string(value: Any, key: str, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "a non-empty string", value)
    return value


def _positive_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(key, "a positive integer", value)
    return value


def _value_name(key: str, value: Any) -> str:
    """Directory-safe name of an axis value: `model.kernel_size: 3` -> `kernel_size-3`."""
    shown = "x".join(map(str, value)) if isinstance(value, list) else str(value)
    name = f"{key.split('.')[-1]}-{shown}"
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name)


def parse_variant(item: Any, axis: str, index: int) -> Variant:
    where = f"axes.{axis}[{index}]"
    if not isinstance(item, dict) or "name" not in item:
        raise ConfigError(where, "a named variant {name: ..., set: {dotted.key: value}}", item)
    _check_keys(item, VARIANT_KEYS, f"{where}.")
    name = _string(item["name"], f"{where}.name")
    if not SAFE_NAME.match(name):
        raise ConfigError(f"{where}.name", "letters, digits, '.', '_', '+' or '-' (it names directories)", name)
    base = item.get("base")
    if base is not None and not isinstance(base, str):
        raise ConfigError(f"{where}.base", "the name of a preset", base)
    scaled = {scale: _mapping(item[scale], f"{where}.{scale}") for scale in SCALES if item.get(scale) is not None}
    return Variant(name, _mapping(item.get("set"), f"{where}.set"), scaled, base)


def parse_axis(name: str, values: Any) -> Axis:
    """`loss: [{name: gan, set: {...}}, ...]` (named variants) or `model.kernel_size: [3, 4, 5]` (values)."""
    if not isinstance(values, list) or not values:
        raise ConfigError(f"axes.{name}", "a non-empty list of values or of named variants", values)
    if all(isinstance(v, dict) and "name" in v for v in values):
        variants = tuple(parse_variant(v, name, i) for i, v in enumerate(values))
    elif any(isinstance(v, dict) for v in values):
        raise ConfigError(f"axes.{name}", "either all values or all named variants {name: ..., set: ...}", values)
    else:
        if "." not in name:
            raise ConfigError(f"axes.{name}", "a dotted config key (e.g. model.kernel_size) when listing values")
        variants = tuple(Variant(_value_name(name, v), {name: v}, value=v) for v in values)
    names = [v.name for v in variants]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f"axes.{name}", "distinct variant names", duplicate)
    return Axis(name, variants)


def parse_seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        if not value or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in value):
            raise ConfigError("repeats", "a number of repeats or a list of non-negative seeds", value)
        if len(set(value)) != len(value):
            raise ConfigError("repeats", "distinct seeds", value)
        return tuple(value)
    return tuple(range(_positive_int(1 if value is None else value, "repeats")))


def parse_scale(value: Any, scale: str) -> ScaleSpec:
    data = _mapping(value, scale)
    _check_keys(data, SCALE_KEYS, f"{scale}.")
    budget = data.get("budget", "")
    if not isinstance(budget, str):
        raise ConfigError(f"{scale}.budget", "a sentence on how the scale was sized", budget)
    return ScaleSpec(
        set=_mapping(data.get("set"), f"{scale}.set"),
        repeats=_positive_int(data["repeats"], f"{scale}.repeats") if "repeats" in data else None,
        samples=_positive_int(data["samples"], f"{scale}.samples") if "samples" in data else None,
        budget=budget,
    )


def parse_claim(item: Any, index: int) -> Claim:
    where = f"claims[{index}]"
    if not isinstance(item, dict):
        raise ConfigError(where, "a mapping {claim, source, metric, better, compare | winner}", item)
    _check_keys(item, CLAIM_KEYS, f"{where}.")
    better = item.get("better")
    if better not in ("lower", "higher"):
        raise ConfigError(f"{where}.better", "lower or higher", better)
    statistic = item.get("statistic", "final")
    if statistic not in STATISTICS:
        raise ConfigError(f"{where}.statistic", " or ".join(STATISTICS), statistic)
    compare, winner = item.get("compare"), item.get("winner")
    if (compare is None) == (winner is None):
        raise ConfigError(where, "exactly one of compare: [A, B] or winner: A")
    if compare is not None and (not isinstance(compare, list) or len(compare) not in (1, 2)):
        raise ConfigError(f"{where}.compare", "two variant names [better, worse], or one with value:", compare)
    value = item.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ConfigError(f"{where}.value", "a number the variant is claimed to beat", value)
    if compare is not None and (len(compare) == 1) != (value is not None):
        raise ConfigError(where, "value: with a one-variant compare: [A], and only then", item.get("value"))
    among = item.get("among", [])
    if not isinstance(among, list):
        raise ConfigError(f"{where}.among", "a list of variant names", among)
    return Claim(
        claim=_string(item.get("claim"), f"{where}.claim"),
        source=_string(item.get("source"), f"{where}.source"),
        metric=_string(item.get("metric"), f"{where}.metric"),
        better=better,
        statistic=statistic,
        compare=tuple(str(c) for c in compare) if compare is not None else None,  # type: ignore[arg-type]
        value=float(value) if value is not None else None,
        winner=str(winner) if winner is not None else None,
        among=tuple(str(a) for a in among),
        where=_mapping(item.get("where"), f"{where}.where"),
    )


def _check_claim(study: Study, claim: Claim, index: int) -> None:
    where = f"claims[{index}]"
    refs = list(claim.compare or ()) + ([claim.winner] if claim.winner else []) + list(claim.among)
    axes = set()
    for ref in refs:
        axis = study.axis_of(ref)
        if axis is None:
            choices = [v for a in study.axes for v in a.names()]
            close = difflib.get_close_matches(ref, choices, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(where, f"variant names of the study's axes{hint}", ref)
        axes.add(axis.name)
    if len(axes) > 1:
        raise ConfigError(where, "variants of one axis (the others are held fixed)", refs)
    from ganlab.metrics import METRICS

    known = set(study.metrics or ()) | set(SUMMARY_QUANTITIES) | set(METRICS.names())
    if claim.metric not in known:
        raise ConfigError(f"{where}.metric", f"one of {', '.join(sorted(known))}", claim.metric)


def parse_study(data: dict[str, Any], origin: str = "") -> Study:
    """A Study from the mapping of a study file; ConfigError naming the key on anything unexpected."""
    _check_keys(data, STUDY_KEYS, "")
    name = _string(data.get("name"), "name")
    if not SAFE_NAME.match(name):
        raise ConfigError("name", "letters, digits, '.', '_', '+' or '-'", name)
    base = data.get("base")
    if not isinstance(base, (str, dict)) or not base:
        raise ConfigError("base", "a preset name, a config file, or an inline config mapping", base)
    axes_raw = data.get("axes") or {}
    if not isinstance(axes_raw, dict):
        raise ConfigError("axes", "a mapping of axis name -> list of values or named variants", axes_raw)
    evaluate = _mapping(data.get("evaluate"), "evaluate")
    _check_keys(evaluate, EVALUATE_KEYS, "evaluate.")
    metrics = evaluate.get("metrics")  # absent: each run's eval.metrics; [] : no final evaluation
    if metrics is not None and (not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics)):
        raise ConfigError("evaluate.metrics", "a list of metric names", metrics)
    differences = data.get("differences") or []
    if not isinstance(differences, list) or not all(isinstance(d, str) and d.strip() for d in differences):
        raise ConfigError("differences", "a list of sentences, each a way the study differs from its source")
    claims_raw = data.get("claims") or []
    if not isinstance(claims_raw, list):
        raise ConfigError("claims", "a list of claims", claims_raw)
    study = Study(
        name=name,
        source=_string(data.get("source"), "source", ""),
        description=_string(data.get("description"), "description", ""),
        budget=_string(data.get("budget"), "budget", ""),
        base=base,
        set=_mapping(data.get("set"), "set"),
        axes=tuple(parse_axis(str(k), v) for k, v in axes_raw.items()),
        seeds=parse_seeds(data.get("repeats")),
        metrics=tuple(metrics) if metrics is not None else None,
        samples=_positive_int(evaluate.get("samples", 10_000), "evaluate.samples"),
        scales={scale: parse_scale(data[scale], scale) for scale in SCALES if data.get(scale) is not None},
        claims=tuple(parse_claim(c, i) for i, c in enumerate(claims_raw)),
        raw=data,
        origin=origin,
    )
    for i, claim in enumerate(study.claims):
        _check_claim(study, claim, i)
    return study
