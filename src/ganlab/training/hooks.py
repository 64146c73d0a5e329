"""Hooks at fixed points of the loop: periodic evaluation and diagnostics plug in here, not in the step.

A hook sees the training state and a `HookContext`: the run directory, the run's wall time and TensorBoard.
It never sees the loop itself, so the loop's insides can change without touching evaluation or diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor

    from ganlab.rundir.layout import RunDir
    from ganlab.training.state import TrainState


class HookContext:
    """What the loop lends its hooks: where the run is written, how long it has trained, and TensorBoard's
    writer (None when log.tensorboard is off; opened by the loop when training starts)."""

    def __init__(self, run: RunDir, wall_s: Callable[[], float], board: Callable[[], Any]) -> None:
        self.run, self._wall_s, self._board = run, wall_s, board

    def wall_s(self) -> float:
        """Seconds this run has trained, earlier sessions included."""
        return self._wall_s()

    @property
    def tensorboard(self) -> Any:
        """TensorBoard's SummaryWriter, or None."""
        return self._board()

    def scalars(self, values: dict[str, Any], group: str, step: int) -> None:
        """The numeric values of a row to TensorBoard as `group/key` (step and time_s left out)."""
        board_scalars(self.tensorboard, values, group, step)


def board_scalars(writer: Any, values: dict[str, Any], group: str, step: int) -> None:
    if writer is None:
        return
    for key, value in values.items():
        if key not in ("step", "time_s") and isinstance(value, (int, float)):
            writer.add_scalar(f"{group}/{key}", value, step)


class Hook:
    """Every method is optional; the loop calls them in the order the hooks were given."""

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        return None

    def measure_critic(
        self, state: TrainState, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor
    ) -> dict[str, Tensor]:
        """Called inside the first critic update of a log step, before D's forward passes, with D (at the
        step's labels) and the batches it is about to see; returns scalar tensors for the metrics row. It must
        leave D and its buffers as it found them; its randomness comes from state.rng["penalty"], which the
        checkpoint keeps, so a resumed run measures the same values."""
        return {}

    def on_log(self, state: TrainState, row: dict[str, Any]) -> dict[str, Any]:
        """Called with each metrics row before it is written; returns scalars to add to it."""
        return {}

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        """After every generator step; must not sync the device except at its own cadence."""
        return None

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        """Before summary.json is written; may add keys to it."""
        return None
