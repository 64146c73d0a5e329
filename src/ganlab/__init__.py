"""ganlab: train, evaluate, diagnose and compare generative adversarial networks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["load_config", "train", "load_run", "evaluate", "Config", "Run", "__version__"]

if TYPE_CHECKING:
    from ganlab.compose import train
    from ganlab.config import Config
    from ganlab.evaluation import evaluate
    from ganlab.plugins import load_config
    from ganlab.rundir.run import Run, load_run

_LAZY = {
    "load_config": "ganlab.plugins",
    "Config": "ganlab.config",
    "train": "ganlab.compose",
    "load_run": "ganlab.rundir.run",
    "Run": "ganlab.rundir.run",
    "evaluate": "ganlab.evaluation",
}


def __getattr__(name: str) -> Any:
    # Lazy imports keep `ganlab --help` fast: torch is loaded only when a command needs it.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganlab' has no attribute {name!r}")
