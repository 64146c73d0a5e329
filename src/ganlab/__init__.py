"""ganlab: train, evaluate, diagnose and compare generative adversarial networks."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# OpenMP threads that wait for a sibling sleep instead of spinning: on a machine where another process holds a core
# (a browser, a second job), a spinning thread waits for a sibling that is descheduled and every step pays, so 2
# threads ran 5x slower than 1 (benchmarks/contention.py). The OpenMP runtime reads this once, when torch is first
# imported: ganlab sets it only before that and only when the user chose no policy of their own (OMP_WAIT_POLICY,
# or libgomp's GOMP_SPINCOUNT, which takes precedence), so child processes (study workers) inherit it too.
if "torch" not in sys.modules and "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
__all__ = ["load_config", "train", "load_run", "evaluate", "Config", "Run", "__version__"]

if TYPE_CHECKING:
    from ganlab.config import Config, load_config
    from ganlab.evaluation import evaluate
    from ganlab.run import Run, load_run
    from ganlab.training import train

_LAZY = {
    "load_config": "ganlab.config",
    "Config": "ganlab.config",
    "train": "ganlab.training",
    "load_run": "ganlab.run",
    "Run": "ganlab.run",
    "evaluate": "ganlab.evaluation",
}


def __getattr__(name: str) -> Any:
    # Lazy imports keep `ganlab --help` fast: torch is loaded only when a command needs it.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")
