"""The run directory on disk (shared/SPEC.md "A run directory"): paths, the writer lock, JSONL logs."""

from __future__ import annotations

import errno
import json
import math
import os
from pathlib import Path
from typing import Any

from ganlab.errors import RunDirError
from ganlab.train.checkpoint import write_json_atomic

LOCK = ".lock"


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    config = property(lambda self: self.path / "config.yaml")
    metrics = property(lambda self: self.path / "metrics.jsonl")
    evals = property(lambda self: self.path / "eval.jsonl")
    summary = property(lambda self: self.path / "summary.json")
    samples = property(lambda self: self.path / "samples")
    checkpoints = property(lambda self: self.path / "checkpoints")

    def holds_run(self) -> bool:
        return self.config.exists() or self.checkpoints.exists()

    def create(self, resume: bool) -> None:
        """Make the directory; refuse to start a new run over an existing one (nothing is overwritten)."""
        if not resume and self.holds_run():
            raise RunDirError(f"{self.path} already holds a run: pass --resume to continue it, or choose another --out")
        if resume and not self.holds_run():
            raise RunDirError(f"{self.path} holds no run to resume (no config.yaml or checkpoints/)")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.samples.mkdir(exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create run directory {self.path}: {exc.strerror}") from None

    def acquire(self) -> None:
        """Take the writer lock (a file holding our PID); a stale lock of a dead process is taken over."""
        lock = self.path / LOCK
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read_pid(lock)
                if holder is not None and holder != os.getpid() and _alive(holder):
                    raise RunDirError(
                        f"{self.path} is being written by another ganlab process (PID {holder}, lock {lock})"
                    ) from None
                lock.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            return
        raise RunDirError(f"cannot take the lock {lock}")

    def release(self) -> None:
        lock = self.path / LOCK
        if _read_pid(lock) == os.getpid():
            lock.unlink(missing_ok=True)

    def truncate_logs(self, step: int) -> None:
        """Drop log rows beyond `step` (written after the checkpoint a resume starts from)."""
        for path in (self.metrics, self.evals):
            rows = read_jsonl(path)
            kept = [r for r in rows if r.get("step", 0) <= step]
            if len(kept) != len(rows) or _has_partial_line(path):
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
                os.replace(tmp, path)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.summary, _finite(summary))


class JsonlWriter:
    """Appends one JSON object per line, flushed, so a crash loses at most the line being written."""

    def __init__(self, path: Path) -> None:
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def write(self, row: dict[str, Any]) -> None:
        self.file.write(json.dumps(_finite(row)) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Complete rows of a JSONL file; a torn last line (a crash mid-write) is ignored."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _has_partial_line(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
