"""ganlab's cache directory, shared by the metrics' artefacts (classifiers, reference statistics) and the C
kernels built on first use."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "GANLAB_CACHE"


def cache_root() -> Path:
    """ganlab's cache directory: $GANLAB_CACHE, else ~/.cache/ganlab."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ganlab")
