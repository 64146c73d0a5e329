"""A thread count that follows the load (train.adaptive_threads): on a shared machine, one busy process beside a
training makes OpenMP threads spin for a descheduled sibling, and the default one-thread-per-core training
falls to a third of its idle speed, below a one-thread run (benchmarks/README.md, "On a busy machine").

`ThreadTuner` reads, every `window_s`, how many of this process's cores other work kept busy (`OtherLoad`:
Linux's /proc/stat for the CPUs the process may run on, less the process's own CPU time), and runs on the
cores left: one thread per free core, between 1 and `train.threads` (or one per core). It moves down as soon
as other work takes more than half a core of those its threads need, and back up only when the free cores
exceed its count by 0.7, so a load near the threshold does not make it flap. An idle
machine pays one small file read a window and never changes count; the first window decides (the bench's
warm-up covers it). Where /proc/stat cannot be read (not Linux) the count stays as configured, and
summary.json says so.

On by default (benchmarks/README.md measures it: with one busy process beside the demo training, 0.97x the best
fixed count, against 0.52x for a fixed one per core). Thread counts change the order of floating-point sums
(torch's own kernels included: a DCGAN's weights after 3 steps differ by up to 6e-4 between 1 and 2 threads), so
a run during which the load changed is not reproducible bit for bit; on an idle machine nothing switches. The
counts used are in summary.json; train.adaptive_threads=false (or train.threads=1, what study workers use) keeps
the count fixed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganlab.config.schema import TrainConfig
from ganlab.training.hooks import Hook, HookContext

if TYPE_CHECKING:
    from ganlab.training.state import TrainState

# /proc/stat's busy columns (user nice system idle iowait irq softirq steal ...): all but idle and iowait.
# Steal is time the hypervisor gave the core to another guest: a competitor too.
BUSY_COLUMNS = (0, 1, 2, 5, 6, 7)


def thread_tuner(train: TrainConfig, device: torch.device) -> ThreadTuner | None:
    """The tuner train.adaptive_threads asks for on the CPU (between 1 and train.threads, or one per core)."""
    if not train.adaptive_threads or device.type != "cpu":
        return None
    return ThreadTuner(train.threads or torch.get_num_threads())


def allowed_cpus() -> list[int]:
    """The CPUs this process may run on (its affinity, which a container's cpuset narrows)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: no affinity call (and no /proc/stat: OtherLoad reads nothing)
        return list(range(os.cpu_count() or 1))


class OtherLoad:
    """Cores kept busy by everything but this process since the previous `read()`: the busy time of the allowed
    CPUs (from /proc/stat, in clock ticks) less this process's CPU time, over the wall time between reads."""

    def __init__(
        self,
        cpus: Iterable[int],
        stat: Path = Path("/proc/stat"),
        own_seconds: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.cpus = {f"cpu{i}" for i in cpus}
        self.stat, self.own_seconds, self.clock = stat, own_seconds, clock
        self.tick_s = 1.0 / _clock_ticks()
        self._last: tuple[float, float, float] | None = None  # (busy s, own s, wall s) at the previous read

    def busy_seconds(self) -> float | None:
        """Seconds the allowed CPUs were busy since boot, or None where /proc/stat cannot be read."""
        try:
            lines = self.stat.read_text().splitlines()
        except OSError:
            return None
        ticks = 0
        for line in lines:
            name, *values = line.split()
            if name in self.cpus:
                ticks += sum(int(values[i]) for i in BUSY_COLUMNS if i < len(values))
        return ticks * self.tick_s

    def read(self) -> float | None:
        """Other work's busy cores since the last read (None at the first read and where nothing is readable)."""
        busy = self.busy_seconds()
        if busy is None:
            return None
        now = (busy, self.own_seconds(), self.clock())
        last, self._last = self._last, now
        if last is None or now[2] <= last[2]:
            return None
        return max(0.0, (now[0] - last[0]) - (now[1] - last[1])) / (now[2] - last[2])


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return 100


class ThreadTuner(Hook):
    def __init__(
        self,
        most: int,
        cpus: int | None = None,
        window_s: float = 1.0,
        load: OtherLoad | None = None,
        clock: Callable[[], float] = time.perf_counter,
        set_threads: Callable[[int], None] = torch.set_num_threads,
    ) -> None:
        allowed = allowed_cpus()
        self.most = max(1, most)
        self.cpus = cpus or len(allowed)
        self.window_s, self.clock, self.set_threads = window_s, clock, set_threads
        self.load = load or OtherLoad(allowed)
        self.current = self.most
        self.steps_at: dict[int, int] = {self.most: 0}  # generator steps run at each count
        self.switches = 0
        self.readable = True
        self._window_start = 0.0

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self.set_threads(self.most)
        self.readable = self.load.busy_seconds() is not None
        self.load.read()  # the reference the first window is measured from
        self._window_start = self.clock()

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        self.steps_at[self.current] = self.steps_at.get(self.current, 0) + 1
        now = self.clock()
        if self.most == 1 or not self.readable or now - self._window_start < self.window_s:
            return
        self._window_start = now
        other = self.load.read()
        if other is not None:
            self._use(self.count_for(self.cpus - other))

    def count_for(self, free: float) -> int:
        """The thread count for `free` cores: down as soon as half a core of the current count is taken, up only
        once a core more is free with a margin of 0.2."""
        if free < self.current - 0.5:
            return max(1, math.floor(free + 0.5))
        if free > self.current + 0.7:
            return min(self.most, math.floor(free + 0.3))
        return self.current

    def _use(self, count: int) -> None:
        if count != self.current:
            self.switches += 1
            self.set_threads(count)
            self.current = count

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        summary["threads"] = {
            "adaptive": True if self.readable else "unavailable: no /proc/stat to read the load from",
            "steps_at": {str(count): steps for count, steps in sorted(self.steps_at.items(), reverse=True)},
            "switches": self.switches,
        }
