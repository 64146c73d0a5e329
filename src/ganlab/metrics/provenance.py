"""Where metric artefacts are cached and how library versions are named in provenance records."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

CACHE_ENV = "GANLAB_CACHE"


def cache_root() -> Path:
    """ganlab's cache directory: $GANLAB_CACHE, else ~/.cache/ganlab."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ganlab")


def library_version(package: str) -> str:
    """'package X.Y.Z' as installed, or 'package (version unknown)'."""
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} (version unknown)"


def ganlab_version() -> str:
    """'ganlab X.Y.Z' of the running package."""
    from ganlab import __version__

    return f"ganlab {__version__}"
