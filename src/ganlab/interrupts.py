"""SIGTERM handled like Ctrl-C: `with sigterm_as_interrupt():` turns it into `Terminated`, a KeyboardInterrupt, so
the same clean-up runs (an empty run directory removed, a study's index written) and the CLI says in one line
what was kept. Training installs its own handler inside (a flag, then a checkpoint at the next step)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while no handler of its own (a training's) was installed."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated in the main thread while the block runs (other threads cannot install one)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
