"""Every file ganlab writes for the user appears whole or not at all: written to a temporary file beside it,
flushed to disk, renamed over the target. A crash, a full disk or Ctrl-C leaves the previous file (or none) and
no temporary file; an error names the path the user asked for, never the temporary one.

A leaf: the standard library only, so the run directory, the report, the evaluation and the data tools all
write through the same few lines.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def temporary_for(path: Path) -> Path:
    """The hidden temporary file beside `path` (same directory: the rename stays on one file system); the
    process id keeps two writers of the same target from sharing it. The suffix is kept, for writers that
    choose a format by it (matplotlib, PIL)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def fsync_file(path: Path) -> None:
    """Flush `path` to disk: a file just written, or a directory whose entries (a rename) must be durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_durably(path: Path, data: bytes) -> None:
    """Write, flush and fsync `path` through one handle (an OSError such as ENOSPC propagates); no rename: for
    files inside a temporary directory that is renamed as a whole (checkpoints)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_with(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call `writer(tmp)` to write the file, then fsync and rename it to `path`; on any failure the temporary
    file is removed and an OSError names `path`."""
    path = Path(path)
    tmp = temporary_for(path)
    try:
        writer(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            code = exc.errno if exc.errno is not None else errno.EIO
            raise OSError(code, exc.strerror or str(exc), str(path)) from None
        raise
    fsync_file(path.parent)
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """`data` into `path`, atomically (see the module)."""
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """`text` as UTF-8 into `path`, atomically (see the module)."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """`data` as indented JSON with sorted keys into `path`, atomically (see the module): the run directory's
    summary, checkpoint manifests, `latest.json`, a study's index."""
    return write_bytes(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
