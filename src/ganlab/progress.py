"""Where a long job is, wherever its output goes: a tqdm bar on a terminal, a plain line at a steady cadence
otherwise (a log file, CI, a notebook cell, `nohup`), nothing when silenced.

A bar redrawn with carriage returns is unreadable in a log (one line, megabytes long) and invisible in many
notebook front ends; a line every `every` seconds says the same: done / total, rate, ETA and the latest values.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Literal, TextIO

Mode = Literal["auto", "bar", "lines", "off"]
LINE_EVERY_S = 15.0  # the cadence of progress lines when the output is not a terminal


def format_duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3.4 h`, `41 days`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 72 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def resolve_mode(progress: bool | Mode, stream: TextIO) -> Mode:
    """True / "auto": a bar on a terminal, lines elsewhere; False / "off": nothing."""
    if progress is False or progress == "off":
        return "off"
    if progress is True or progress == "auto":
        isatty = getattr(stream, "isatty", None)
        return "bar" if isatty is not None and isatty() else "lines"
    if progress not in ("bar", "lines"):
        raise ValueError(f"progress must be True, False, 'auto', 'bar', 'lines' or 'off', not {progress!r}")
    return progress


class Progress:
    """`update`, `set_postfix`, `write` and `close` of a tqdm bar, shown as the output allows."""

    def __init__(
        self,
        total: int,
        desc: str,
        unit: str,
        progress: bool | Mode = True,
        initial: int = 0,
        every: float | None = None,
        stream: TextIO | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.mode = resolve_mode(progress, self.stream)
        self.total, self.desc, self.unit, self.clock = total, desc, unit, clock
        self.every = LINE_EVERY_S if every is None else every
        self.n = self.initial = initial
        self.postfix: dict[str, str] = {}
        self.start = self.last_line = clock()
        self.lines = 0
        self.printed_n = initial  # where the last line said the job was
        self.bar: Any = None
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, dynamic_ncols=True, file=self.stream)

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.mode == "lines" and self.clock() - self.last_line >= self.every:
            self._line()

    def set_postfix(self, values: dict[str, str]) -> None:
        self.postfix = dict(values)
        if self.bar is not None:
            self.bar.set_postfix(values)

    def write(self, line: str) -> None:
        """A message of its own line, above the bar on a terminal."""
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        elif self.mode != "off":
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.lines and self.n != self.printed_n:
            self._line()  # a log that said where the job was also says where it ended

    def status(self) -> str:
        """`step 250/1000 (25%), 12.3 step/s, ETA 1 min, loss_d=1.23, loss_g=0.98`."""
        elapsed = self.clock() - self.start
        done = self.n - self.initial
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.unit} {self.n}/{self.total} ({100 * self.n / max(self.total, 1):.0f}%)"]
        if rate > 0:
            parts.append(f"{rate:.3g} {self.unit}/s" if rate >= 1 else f"{1 / rate:.3g} s/{self.unit}")
            if self.n < self.total:
                parts.append(f"ETA {format_duration((self.total - self.n) / rate)}")
            else:
                parts.append(f"in {format_duration(elapsed)}")
        parts += [f"{k}={v}" for k, v in self.postfix.items()]
        return ", ".join(parts)

    def _line(self) -> None:
        self.last_line = self.clock()
        self.lines += 1
        self.printed_n = self.n
        print(f"ganlab: {self.desc}: {self.status()}", file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
