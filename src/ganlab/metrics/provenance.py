"""Where metric artefacts are cached and how library versions are named in provenance records."""

from __future__ import annotations

from importlib import metadata

from ganlab.cache import CACHE_ENV, cache_root

__all__ = ["CACHE_ENV", "cache_root", "ganlab_version", "library_version"]


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
