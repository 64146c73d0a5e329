"""Named phases of a training step, marked where they happen, for whoever times them (`ganlab bench`).

The loop and the step put `with phase(name):` around their pieces: the batch draw, D's update, G's forward
for D's fake batch, the penalty, the optimizers, G's update, the logging and the divergence watch. Nobody
listens in a training: each mark is then a shared null context, a fraction of a microsecond. `recorded(r)`
makes `r.span(name)` time every mark inside its block; `ganlab.bench.phases.PhaseClock` is that recorder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


class Recorder(Protocol):
    def span(self, name: str) -> AbstractContextManager[None]: ...


_NOTHING = contextlib.nullcontext()
_recorder: Recorder | None = None


def phase(name: str) -> AbstractContextManager[None]:
    """The mark of one phase: times its block when a recorder listens, does nothing otherwise."""
    return _NOTHING if _recorder is None else _recorder.span(name)


@contextlib.contextmanager
def recorded(recorder: Recorder) -> Iterator[None]:
    """Every `phase` mark inside the block goes to `recorder`."""
    global _recorder
    previous, _recorder = _recorder, recorder
    try:
        yield
    finally:
        _recorder = previous
