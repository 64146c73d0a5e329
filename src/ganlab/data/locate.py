"""Where dataset files are looked for, in order, and the one-line error when none serves.

Order: `data.root` (and `data.root/<name>`), `$GANLAB_DATA` (and `$GANLAB_DATA/<name>`), the Debian system
directory where a package installs the set, then `~/.cache/ganlab/<name>`, the only place ganlab downloads into.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ganlab.errors import DataError

# Debian's dataset packages (e.g. `dataset-fashion-mnist`) install under here; tests monkeypatch it.
SYSTEM_DATA = Path("/usr/share/datasets")
ENV_VAR = "GANLAB_DATA"


def cache_dir(name: str) -> Path:
    """The directory a download of `name` goes to: ~/.cache/ganlab/<name> (read at call time, so $HOME counts)."""
    return Path.home() / ".cache" / "ganlab" / name


@dataclass
class Search:
    """The outcome of looking for a dataset: the directory that serves (or None) and every place looked."""

    found: Path | None = None
    looked: list[str] = field(default_factory=list)


def candidate_dirs(name: str, root: str | None, system: bool) -> list[tuple[str, Path | None]]:
    """(label, directory) pairs in search order; a directory is None when its source is unset."""
    places: list[tuple[str, Path | None]] = []
    if root is not None:
        base = Path(root).expanduser()
        places += [("data.root", base), ("data.root", base / name)]
    else:
        places.append(("data.root (unset)", None))
    env = os.environ.get(ENV_VAR)
    if env:
        places += [(f"${ENV_VAR}", Path(env)), (f"${ENV_VAR}", Path(env) / name)]
    else:
        places.append((f"${ENV_VAR} (unset)", None))
    if system:
        places.append(("system", SYSTEM_DATA / name))
    places.append(("cache", cache_dir(name)))
    return places


def search(
    name: str, root: str | None, serves: Callable[[Path], bool], layouts: Sequence[str] = ("",), system: bool = False
) -> Search:
    """The first candidate directory (or `layout` sub-directory of one) for which `serves` holds."""
    result = Search()
    for label, base in candidate_dirs(name, root, system):
        if base is None:
            result.looked.append(label)
            continue
        result.looked.append(str(base))
        for layout in layouts:
            directory = base / layout if layout else base
            if directory.is_dir() and serves(directory):
                result.found = directory
                return result
    return result


def try_download(name: str, fetch: Callable[[Path], None], serves: Callable[[Path], bool], result: Search) -> None:
    """Run `fetch` into the cache directory; record success in `result.found`, failure in `result.looked`."""
    target = cache_dir(name)
    try:
        target.mkdir(parents=True, exist_ok=True)
        fetch(target)
    except Exception as err:  # network, TLS, checksum and disk errors all mean "not available here"
        result.looked.append(f"torchvision download into {target} (failed: {type(err).__name__}: {err})")
        return
    if serves(target):
        result.found = target
    else:
        result.looked.append(f"torchvision download into {target} (finished but the files are incomplete)")


def missing(name: str, what: str, result: Search, download: bool | None, how: str) -> DataError:
    """The one-line DataError for a dataset found nowhere: what was wanted, where it was looked for, how to get it."""
    looked = list(result.looked)
    if download is False:
        looked.append("download (off: data.download=false)")
    return DataError(f"{name}: no {what} found; looked in {', '.join(looked)}; {how}")
