"""What a toy experiment is: a name, what it shows, its source, and a function that runs it.

Each experiment module builds its figure(s) and the numbers behind them and registers itself in TOYS;
`ganlab.toys.run_toy` times the run and writes the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ganlab.errors import ArgumentError
from ganlab.progress import Mode, Progress
from ganlab.registry import Registry

# how the toy being run shows where it is (set by run_toy for the duration of one toy)
PROGRESS: ContextVar[bool | Mode] = ContextVar("toy_progress", default=False)


@dataclass
class ToyOutput:
    """What one experiment produced: the PNGs it wrote and the numbers they were drawn from."""

    figures: list[Path]
    numbers: dict[str, Any]  # JSON-serialisable: floats, ints, strings, lists and dicts of them
    settings: dict[str, Any] = field(default_factory=dict)  # the settings dataclass it ran with, as a dict


# run(out, settings, seed) writes figures into `out` and returns them with their numbers.
ToyRun = Callable[[Path, Any, int], ToyOutput]
# check(numbers, settings), both as the toy's JSON holds them: whether the claim holds, and the numbers that
# decide it in one line
ClaimCheck = Callable[[dict[str, Any], dict[str, Any]], tuple[bool, str]]


@dataclass(frozen=True)
class ToyClaim:
    """A statement of the source that a toy's numbers show or fail to show. A toy is one deterministic run per
    seed: its claims hold or do not on that run's numbers, with no statistics (the studies judge with those)."""

    claim: str
    source: str
    check: ClaimCheck


@dataclass(frozen=True)
class Toy:
    name: str
    summary: str  # one line: what the figure shows
    source: str  # the seed section or paper figure it reproduces
    run: ToyRun
    full: Any  # the settings (a frozen dataclass) of the source's scale
    quick: Any  # the same settings reduced to seconds (`--quick`, the tests)
    claims: tuple[ToyClaim, ...] = ()  # judged on the numbers by `judge` (the tests, the published results)

    def settings(self, quick: bool, overrides: dict[str, Any] | None = None) -> Any:
        """The full or quick settings with `overrides` ({field: value}, e.g. from `--set iterations=20000`)
        applied, each checked against the field's type; ConfigError naming `--set KEY` otherwise."""
        base = self.quick if quick else self.full
        changed = {}
        for key, value in (overrides or {}).items():
            changed[key] = checked_setting(base, key, value)
        return replace(base, **changed)


def checked_setting(settings: Any, key: str, value: Any) -> Any:
    """`value` for field `key` of the settings dataclass, converted where it is safe (int -> float, list ->
    tuple), or ConfigError."""
    names = [f.name for f in fields(settings)]
    if key not in names:
        raise ArgumentError(f"--set {key}", f"a setting of this toy ({', '.join(names)})", key)
    default = getattr(settings, key)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = (
            isinstance(value, (list, tuple)) and all(isinstance(v, type(default[0])) for v in value)
            if default
            else True
        )
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ArgumentError(f"--set {key}", f"a value like the default {default!r}", value)
    return value


TOYS: Registry[Toy] = Registry("toy")


@dataclass(frozen=True)
class Judged:
    claim: ToyClaim
    holds: bool
    measured: str


def judge(record: dict[str, Any]) -> list[Judged]:
    """Each claim of the toy that wrote `record` (its `<name>.json`, as read back), judged on its numbers."""
    toy = TOYS.get(str(record.get("toy")), "toy")
    numbers, settings = record.get("numbers") or {}, record.get("settings") or {}
    return [Judged(c, *c.check(numbers, settings)) for c in toy.claims]


def register(toy: Toy) -> Toy:
    """Add `toy` to TOYS under its own name."""
    TOYS.add(toy.name, toy)
    return toy


def iterations(total: int, what: str, start: int = 0) -> Iterator[int]:
    """range(start, start + total), saying where it is as run_toy's `progress` asks (a bar on a terminal, a line
    every 15 s in a log): the toys' training loops run through it."""
    with Progress(total, what, "iteration", PROGRESS.get()) as bar:
        for i in range(start, start + total):
            yield i
            bar.update()
