"""A thread count that follows the load (train.adaptive_threads): on a shared machine, one busy process beside a
training makes OpenMP threads spin for a descheduled sibling, and the default one-thread-per-core training
falls to a third of its idle speed, below a one-thread run (benchmarks/README.md, "On a busy machine").

`ThreadTuner` measures generator steps per second over windows of `window_s` at the current thread count, and
after the first window, then every `explore_every_s` (or as soon as the rate falls below `drop` of the best rate seen at this count) runs one
window at the other count of {one per core, 1}; it keeps the faster, staying put unless the other is at least
`margin` faster (idle, a look at one thread costs window_s / explore_every_s of half the speed: 1.5 %).
Windows holding an evaluation, a checkpoint or a sample grid are not counted. Thread counts
change the order of floating-point sums (torch's own kernels included: a DCGAN's weights after 3 steps differ by
up to 6e-4 between 1 and 2 threads), so an adaptive run is not reproducible bit for bit: off by default; the
counts used are in summary.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from ganlab.config.schema import TrainConfig
from ganlab.training.hooks import Hook, HookContext

if TYPE_CHECKING:
    from ganlab.training.state import TrainState


def thread_tuner(train: TrainConfig, device: torch.device) -> ThreadTuner | None:
    """The tuner train.adaptive_threads asks for on the CPU (between train.threads, or one per core, and 1)."""
    if not train.adaptive_threads or device.type != "cpu":
        return None
    return ThreadTuner(train.threads or torch.get_num_threads())


class ThreadTuner(Hook):
    def __init__(
        self,
        most: int,
        window_s: float = 2.0,
        explore_every_s: float = 60.0,
        margin: float = 0.05,
        drop: float = 0.7,
        clock: Callable[[], float] = time.perf_counter,
        set_threads: Callable[[int], None] = torch.set_num_threads,
    ) -> None:
        self.counts = (most, 1) if most > 1 else (1,)
        self.window_s, self.explore_every_s, self.margin, self.drop = window_s, explore_every_s, margin, drop
        self.clock, self.set_threads = clock, set_threads
        self.current = self.counts[0]
        self.best: dict[int, float] = {}  # the best rate seen at each count since it was last chosen
        self.steps_at: dict[int, int] = dict.fromkeys(self.counts, 0)  # generator steps run at each count
        self.switches = 0
        self.exploring_from: int | None = None  # the count to compare with while a window runs at the other
        self._window_start = self._last_explore = 0.0
        self._window_steps = 0
        self._last_rate: float | None = None
        self._discard = False

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self._use(self.current)
        self._window_start = self.clock()
        self._last_explore = float("-inf")  # compare both counts right after the first window

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        self.steps_at[self.current] += 1
        cfg, step = state.config, state.step
        if self._discard or (cfg.eval.every and step % cfg.eval.every == 0):
            self._restart()  # an evaluation, checkpoint or grid was timed: not the training's rate
        else:
            self._window_steps += 1
            now = self.clock()
            if len(self.counts) > 1 and now - self._window_start >= self.window_s:
                self._decide(self._window_steps / (now - self._window_start), now)
                self._restart()
        # the checkpoint and the sample grid of this step are written after the hooks run: skip the next window
        self._discard = (
            step % cfg.train.checkpoint_every == 0 or bool(cfg.log.sample_every) and (step % cfg.log.sample_every == 0)
        )

    def _restart(self) -> None:
        self._window_start, self._window_steps = self.clock(), 0

    def _decide(self, rate: float, now: float) -> None:
        if self.exploring_from is not None:  # the window at the other count is over: keep the faster
            before = self._last_rate or 0.0
            keep = self.current if rate >= before * (1 + self.margin) else self.exploring_from
            self.exploring_from = None
            self.best = {keep: rate if keep == self.current else before}
            self._use(keep)
            return
        self._last_rate = rate
        self.best[self.current] = max(self.best.get(self.current, 0.0), rate)
        dropped = rate < self.drop * self.best[self.current]
        if dropped or now - self._last_explore >= self.explore_every_s:
            self.exploring_from, self._last_explore = self.current, now
            self._use(next(c for c in self.counts if c != self.current))

    def _use(self, count: int) -> None:
        if count != self.current:
            self.switches += 1
        self.current = count
        self.set_threads(count)

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        summary["threads"] = {
            "adaptive": True,
            "steps_at": {str(count): steps for count, steps in self.steps_at.items()},
            "switches": self.switches,
        }
