"""Hooks at fixed points of the loop: periodic evaluation and diagnostics plug in here, not in the step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganlab.training.loop import Loop
    from ganlab.training.state import TrainState


class Hook:
    """Every method is optional; the loop calls them in the order the hooks were given."""

    def on_start(self, state: TrainState, loop: Loop) -> None:
        return None

    def on_log(self, state: TrainState, row: dict[str, Any]) -> dict[str, Any]:
        """Called with each metrics row before it is written; returns scalars to add to it."""
        return {}

    def on_step_end(self, state: TrainState, loop: Loop) -> None:
        """After every generator step; must not sync the device except at its own cadence."""
        return None

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        """Before summary.json is written; may add keys to it."""
        return None
