"""What a toy experiment is: a name, what it shows, its source, and a function that runs it.

Each experiment module builds its figure(s) and the numbers behind them and registers itself in TOYS;
`ganlab.toys.run_toy` times the run and writes the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# run(out, quick, seed) writes figures into `out` and returns them with their numbers.
ToyRun = Callable[[Path, bool, int], ToyOutput]


@dataclass(frozen=True)
class Toy:
    name: str
    summary: str  # one line: what the figure shows
    source: str  # the seed section or paper figure it reproduces
    run: ToyRun


TOYS: Registry[Toy] = Registry("toy")


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
