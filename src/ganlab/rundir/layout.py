"""The run directory on disk (shared/SPEC.md "A run directory"): paths, the writer lock, JSONL logs."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab.atomic import write_bytes_durably, write_json
from ganlab.errors import RunDirError

LOCK = ".lock"


MACHINE_FAILURES = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO}


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_fd: int | None = None  # open while we hold the writer lock

    config = property(lambda self: self.path / "config.yaml")
    metrics = property(lambda self: self.path / "metrics.jsonl")
    evals = property(lambda self: self.path / "eval.jsonl")
    summary = property(lambda self: self.path / "summary.json")
    samples = property(lambda self: self.path / "samples")
    checkpoints = property(lambda self: self.path / "checkpoints")

    def holds_run(self) -> bool:
        return self.config.exists() or self.checkpoints.exists()

    def make(self) -> bool:
        """Make the directory and samples/; True when the directory did not exist before."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path} is a file, not a run directory")
        created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.samples.mkdir(exist_ok=True)
        except OSError as exc:
            if exc.errno in MACHINE_FAILURES:  # the machine refuses (exit 1), not the path given (exit 2)
                raise OSError(exc.errno, f"cannot create run directory: {exc.strerror}", str(self.path)) from None
            raise RunDirError(f"cannot create run directory {self.path}: {exc.strerror}") from None
        return created

    def check_start(self, resume: bool) -> None:
        """Refuse to start a new run over an existing one (nothing is overwritten); with `resume`, a
        directory without a run yet is fine: the run starts from step 0."""
        if not resume and self.holds_run():
            raise RunDirError(f"{self.path} already holds a run: pass --resume to continue it, or choose another --out")

    def discard(self) -> None:
        """Remove what `create` made, when nothing else was written (never a file we did not make)."""
        for path in (self.path / LOCK, self.path / ".config.yaml.tmp"):
            path.unlink(missing_ok=True)
        for path in (self.samples, self.path):
            with contextlib.suppress(OSError):  # not empty: something else lives there, keep it
                path.rmdir()

    def write_config(self, text: str) -> None:
        """config.yaml, atomically (a crash leaves the old file or the new one)."""
        tmp = self.path / ".config.yaml.tmp"
        write_bytes_durably(tmp, text.encode("utf-8"))
        os.replace(tmp, self.config)

    def acquire(self) -> None:
        """Take the writer lock: an flock on `.lock`, which holds our PID for the message a second writer gets.

        The kernel drops an flock when its process dies, however it dies, so a lock file left by a killed
        run (a stale PID) is simply taken over."""
        lock = self.path / LOCK
        for _ in range(5):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                holder = _read_pid(lock)
                who = f"PID {holder}" if holder is not None else "a process that has not written its PID yet"
                raise RunDirError(
                    f"{self.path} is being written by another ganlab process ({who}, lock {lock})"
                ) from None
            if _same_file(fd, lock):  # not a lock file its holder unlinked while we waited
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self._lock_fd = fd
                return
            os.close(fd)
        raise RunDirError(f"cannot take the lock {lock}")

    def release(self) -> None:
        fd = self._lock_fd
        if fd is None:
            return
        (self.path / LOCK).unlink(missing_ok=True)  # unlink first, then unlock: see _same_file
        os.close(fd)
        self._lock_fd = None

    def remove_leftovers(self) -> None:
        """Temporary files of a process killed mid-write (the atomic writers' `.NAME.tmp*`); we hold the lock."""
        for folder in (self.path, self.samples):
            for tmp in folder.glob(".*.tmp*") if folder.is_dir() else []:
                if tmp.is_file():
                    tmp.unlink(missing_ok=True)

    def truncate_logs(self, step: int, warn: Callable[[str], None] | None = None) -> None:
        """Drop log rows beyond `step` (written after the checkpoint a resume starts from) and damaged lines (a
        torn last line, or any line `read_jsonl` skips), atomically, so a crash here leaves the old file. Damaged
        lines other than a torn last line are kept in NAME.damaged beside the log, and `warn` is told."""
        for path in (self.metrics, self.evals):
            rows, damaged, torn = split_jsonl(path)
            kept = [r for r in rows if _step_of(r) <= step]
            if len(kept) == len(rows) and not damaged and torn is None:
                continue
            worth_keeping = [d for d in damaged if d[0] != torn]  # half a row is never data
            if worth_keeping:
                aside = path.with_name(path.name + ".damaged")
                with open(aside, "ab") as f:
                    f.write(b"".join(raw + b"\n" for _, raw, _ in worth_keeping))
                    f.flush()
                    os.fsync(f.fileno())
                if warn is not None:
                    warn(f"{damage_line(path, worth_keeping)}; they are kept in {aside}")
            tmp = path.with_name(f".{path.name}.tmp")
            write_bytes_durably(tmp, "".join(json.dumps(r) + "\n" for r in kept).encode("utf-8"))
            os.replace(tmp, path)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json(self.summary, _finite(summary))


class JsonlWriter:
    """Appends one JSON object per line, flushed, so a crash loses at most the line being written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def write(self, row: dict[str, Any]) -> None:
        try:
            self.file.write(json.dumps(_finite(row)) + "\n")
            self.file.flush()
        except OSError as exc:  # name the file: a bare ENOSPC from write() has none
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def sync(self) -> None:
        """Flush to the disk (before a checkpoint: its rows must survive a power cut too)."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def close(self) -> None:
        self.file.close()


def read_jsonl(path: Path, warn: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """The rows of a JSONL log that ganlab can use. A line that is not UTF-8, not complete JSON (a torn last line
    after a crash mid-write), not an object, or whose step is not a whole number is skipped; `warn` gets one line
    naming the file and the lines skipped."""
    rows, damaged, _ = split_jsonl(path)
    if damaged and warn is not None:
        warn(damage_line(path, damaged))
    return rows


def split_jsonl(path: Path) -> tuple[list[dict[str, Any]], list[tuple[int, bytes, str]], int | None]:
    """The usable rows of a JSONL file, each damaged line as (line number, raw bytes, what is wrong), and the
    number of an unterminated last line (a write cut short), or None."""
    if not path.exists():
        return [], [], None
    rows, damaged = [], []
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        row, problem = parse_row(raw)
        if row is not None:
            rows.append(row)
        else:
            damaged.append((number, raw, problem))
    return rows, damaged, len(lines) if lines[-1] else None


def damage_line(path: Path, damaged: list[tuple[int, bytes, str]]) -> str:
    listed = ", ".join(f"line {number} ({problem})" for number, _, problem in damaged[:3])
    more = f" and {len(damaged) - 3} more" if len(damaged) > 3 else ""
    return f"{path}: skipped {len(damaged)} damaged line(s): {listed}{more}"


def parse_row(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """One JSONL line as a log row, or None and what makes it unusable."""
    try:
        row = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError:
        return None, "not complete JSON"
    if not isinstance(row, dict):
        return None, f"a JSON {type(row).__name__}, not an object"
    step = row.get("step", 0)
    if isinstance(step, bool) or not isinstance(step, int):
        return None, f"step {str(step)[:20]!r} is not a whole number"
    return row, ""


def _step_of(row: Any) -> float:
    step = row.get("step", 0) if isinstance(row, dict) else 0
    return step if isinstance(step, (int, float)) else float("inf")


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: write them as strings so every file stays standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _read_pid(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    """Whether `fd` is still the file at `path` (a releasing holder unlinks it before unlocking)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)
