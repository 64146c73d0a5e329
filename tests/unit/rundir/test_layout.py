"""The run directory around the checkpoints: the writer lock, log truncation on resume, clean refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.errors import RunDirError
from ganlab.rundir.layout import LOCK, JsonlWriter, RunDir, read_jsonl


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    first, second = RunDir(tmp_path), RunDir(tmp_path)
    first.acquire()
    try:
        with pytest.raises(RunDirError, match=f"another ganlab process \\(PID {os.getpid()}"):
            second.acquire()
    finally:
        first.release()
    assert not (tmp_path / LOCK).exists()
    second.acquire()  # free again
    second.release()


def test_the_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(dead.stdout.strip())
    run = RunDir(tmp_path)
    run.acquire()
    assert (tmp_path / LOCK).read_text() == str(os.getpid())
    run.release()


def test_truncation_drops_rows_after_the_checkpoint_and_a_torn_line(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    writer = JsonlWriter(run.metrics)
    for step in (3, 6, 9):
        writer.write({"step": step, "loss_d": float(step)})
    writer.close()
    with open(run.metrics, "a") as f:
        f.write('{"step": 12, "loss')  # a kill mid-line
    run.truncate_logs(6)
    assert [r["step"] for r in read_jsonl(run.metrics)] == [3, 6]
    assert run.metrics.read_text().endswith("\n")
    JsonlWriter(run.metrics).write({"step": 7, "loss_d": float("nan")})
    assert json.loads(run.metrics.read_text().splitlines()[-1]) == {"step": 7, "loss_d": "nan"}


def test_a_new_run_over_an_old_one_is_refused_and_discard_keeps_foreign_files(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    assert run.make() is True
    run.write_config("name: x\n")
    with pytest.raises(RunDirError, match="already holds a run"):
        run.check_start(resume=False)
    run.check_start(resume=True)
    other = RunDir(tmp_path / "other")
    other.make()
    (other.path / "notes.txt").write_text("mine")
    other.discard()
    assert (other.path / "notes.txt").exists() and not other.samples.exists()
    empty = RunDir(tmp_path / "empty")
    empty.make()
    empty.discard()
    assert not empty.path.exists()
