"""Wall time per phase of the real training loop, from the phase marks the loop and the step put around their
pieces (`ganlab.training.phases`).

`PhaseClock` is the recorder those marks report to while `recorded(clock)` is open. Times are exclusive: a
phase nested in another (the penalty inside the D step, the optimizer inside the G step) is subtracted from
its enclosing phase, so the phases add up to the wall time and the rest is the loop's own Python. On a GPU
every mark synchronises the device as it opens and closes (only in the bench: training itself never syncs per
step).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Phase names, in the order they are printed; "loop" is the rest of the wall time.
PHASES = ("data", "fake_batch", "d_forward_backward", "penalty", "g_step", "optimizer", "logging", "watch", "loop")


class PhaseClock:
    """Exclusive seconds per phase, accumulated until `reset`."""

    def __init__(self, sync: Callable[[], None]) -> None:
        self.sync = sync
        self.seconds: dict[str, float] = {}
        self._nested: list[float] = []  # seconds spent in phases nested in each open phase, innermost last

    def reset(self) -> None:
        self.seconds = {}

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        self.sync()
        start = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            self.sync()
            elapsed = time.perf_counter() - start
            nested = self._nested.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
            if self._nested:
                self._nested[-1] += elapsed


def shares(seconds: dict[str, float], wall_s: float, extra: dict[str, float]) -> dict[str, float]:
    """Each phase's share of the wall time, `loop` being the untimed rest; `extra` holds amortised costs
    (seconds per window) that happen outside the window, such as checkpoints, added to the total."""
    timed = {name: seconds.get(name, 0.0) for name in PHASES if name != "loop"}
    timed["loop"] = max(wall_s - sum(timed.values()), 0.0)
    timed.update(extra)
    total = sum(timed.values())
    return {name: value / total for name, value in timed.items()} if total > 0 else {}
