"""Wall time per phase of the real training loop, by timing wrappers around its own pieces.

Nothing is copied: `instrument` swaps the loop's callables (the step functions `d_step`/`g_step` as
loop.py calls them, `generate` as step.py calls it, the sampler, the optimizers, the penalty hook, the
loop's logging methods) for wrappers that time them and call the original, and puts them back after.
Times are exclusive: a timed call nested in another (the penalty inside the D step) is subtracted from
its caller, so the phases add up to the wall time and the rest is the loop's own Python. On a GPU every
wrapper synchronises the device first and last (only in the bench: training itself never syncs per step).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ganlab.training.loop import Loop

# Phase names, in the order they are printed; "loop" is the rest of the wall time.
PHASES = ("data", "fake_batch", "d_forward_backward", "penalty", "g_step", "optimizer", "logging", "watch", "loop")
Phase = str | Callable[[list[str]], str | None]  # a name, or a choice from the open phases (None: not timed)


class PhaseClock:
    """Exclusive seconds per phase, accumulated until `reset`."""

    def __init__(self, sync: Callable[[], None]) -> None:
        self.sync = sync
        self.seconds: dict[str, float] = {}
        self._open: list[str] = []  # phases of the calls in progress, innermost last
        self._nested: list[float] = []  # seconds spent in timed calls nested in each open call

    def reset(self) -> None:
        self.seconds = {}

    def wrap(self, fn: Callable[..., Any], phase: Phase) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = phase if isinstance(phase, str) else phase(self._open)
            if name is None:
                return fn(*args, **kwargs)
            self.sync()
            start = time.perf_counter()
            self._open.append(name)
            self._nested.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                self.sync()
                elapsed = time.perf_counter() - start
                self._open.pop()
                nested = self._nested.pop()
                self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
                if self._nested:
                    self._nested[-1] += elapsed

        return timed


def _fake_batch(open_phases: list[str]) -> str | None:
    """G's forward for D's fake batch is its own phase; inside the G step it is part of that step."""
    return "fake_batch" if open_phases and open_phases[-1] == "d_forward_backward" else None


@contextmanager
def patched(targets: list[tuple[Any, str, Phase]], clock: PhaseClock) -> Iterator[None]:
    """Replace each existing `owner.name` by its timed wrapper for the duration of the block."""
    undo: list[tuple[Any, str, Any, bool]] = []
    try:
        for owner, name, phase in targets:
            if not hasattr(owner, name):  # a piece this version of the loop does not have
                continue
            own = name in getattr(owner, "__dict__", {})
            original = getattr(owner, name)
            object.__setattr__(owner, name, clock.wrap(original, phase))  # frozen dataclasses included
            undo.append((owner, name, original, own))
        yield
    finally:
        for owner, name, original, own in reversed(undo):
            if own:
                object.__setattr__(owner, name, original)
            else:
                object.__delattr__(owner, name)


def loop_targets(loop: Loop) -> list[tuple[Any, str, Phase]]:
    """Every piece of one training step the bench times, as (owner, attribute, phase)."""
    import ganlab.training.loop as loop_module
    import ganlab.training.step as step_module

    state = loop.state
    targets: list[tuple[Any, str, Phase]] = [
        (state.sampler, "next", "data"),
        (state.data, "batch", "data"),
        (state.data, "batch_labels", "data"),
        (loop_module, "d_step", "d_forward_backward"),
        (loop_module, "g_step", "g_step"),
        (step_module, "generate", _fake_batch),
        (state.lipschitz, "penalty", "penalty"),
        (state.lipschitz, "after_d_step", "optimizer"),
        (state.opt_d, "step", "optimizer"),
        (state.opt_g, "step", "optimizer"),
        (loop, "_accumulate", "logging"),
        (loop, "check", "logging"),
        (loop, "log", "logging"),
    ]
    watch = getattr(loop, "watch", None)
    if watch is not None:
        targets.append((watch, "observe", "watch"))
    return targets


def shares(seconds: dict[str, float], wall_s: float, extra: dict[str, float]) -> dict[str, float]:
    """Each phase's share of the wall time, `loop` being the untimed rest; `extra` holds amortised costs
    (seconds per window) that happen outside the window, such as checkpoints, added to the total."""
    timed = {name: seconds.get(name, 0.0) for name in PHASES if name != "loop"}
    timed["loop"] = max(wall_s - sum(timed.values()), 0.0)
    timed.update(extra)
    total = sum(timed.values())
    return {name: value / total for name, value in timed.items()} if total > 0 else {}
