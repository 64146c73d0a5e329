"""Kill `ganlab train` with SIGKILL again and again, resume each time, and demand the uninterrupted run.

Two chains of real CLI processes train the same small Fashion-MNIST run side by side with an uninterrupted
reference (issue 5, "A kill test"):
- random: plain `python -m ganlab train` processes, each SIGKILLed at a random moment (a few during start-up,
  the rest a random time after training visibly started; a checkpoint is written every other step, so many
  kills land inside one);
- targeted: the same CLI run by this file as a driver (`__main__` below) that pauses at a chosen point inside
  a write (a torn tensor file, a checkpoint before its manifest or its rename, a torn metrics line, a half
  pruned old checkpoint, ...) so the kill lands exactly there. While one of them pauses holding the run, a
  second `ganlab train` on the same --out must exit 2 naming it; after its SIGKILL its lock is stale and the
  next resume takes it over.
Every resume must succeed; metrics.jsonl must never hold a duplicated step; at the end the metrics rows
(except time_s) and every tensor of the last checkpoint (G, D, optimizers, RNG) must equal the reference's.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STEPS = 240  # enough that 9 kills, each at most 3 log rows + 50 ms after the last resume, never reach it
LOG_EVERY = 3
ARGS = [
    "gan",
    *("--set", "data.subset=256", "--set", "train.batch_size=16", "--set", f"train.steps={STEPS}"),
    *("--set", "train.checkpoint_every=2", "--set", f"log.every={LOG_EVERY}", "--set", "log.sample_every=5"),
    *("--set", "log.grid_size=4", "--set", "log.tensorboard=false", "--set", "train.threads=1"),
    *("--set", "model.g_hidden=[32]", "--set", "model.d_hidden=[32]", "--set", "model.z_dim=8"),
]
# (point, occurrence) of each targeted kill, in order; see `_install_pause`.
TARGETS = [
    ("torn_tensor", 1),  # inside the step-0 checkpoint: no complete checkpoint yet, resume starts at 0
    ("before_manifest", 2),
    ("torn_metrics", 2),
    ("mid_truncate", 1),  # the resume's own log truncation, killed half-way
    ("before_rename", 3),
    ("torn_tensor", 2),
    ("mid_prune", 2),
    ("before_latest", 1),
    ("torn_sample", 1),
    ("before_summary", 1),  # after the last checkpoint, before summary.json
]
RANDOM_KILLS = 11  # 2 during start-up, 9 while training
STARTUP_KILLS = 2


# --- the driver: this file run as a script pauses `ganlab train` at one point --------------------------
def _install_pause(point: str, nth: int) -> None:
    """Make the `nth` arrival at `point` print PAUSED and sleep, so the test can SIGKILL it right there."""
    import torchvision.utils

    import ganlab.rundir.checkpoint as ck
    import ganlab.rundir.layout as rd

    seen = {"n": 0}

    def hit(name: str) -> None:
        if name != point:
            return
        seen["n"] += 1
        if seen["n"] == nth:
            print(f"PAUSED {name}", flush=True)
            time.sleep(600)

    write_bytes, write_json, fsync_dir, prune = ck.write_bytes_durably, ck.write_json, ck._fsync_dir, ck._prune

    def torn(path: Path, data: bytes, name: str) -> None:
        if point == name and seen["n"] + 1 == nth:
            path.write_bytes(data[: len(data) // 2])  # half a file, never fsynced: what a kill mid-write leaves
        hit(name)

    def write_bytes_durably(path: Path, data: bytes) -> None:
        if path.suffix == ".safetensors" and path.name.startswith("G."):
            torn(path, data, "torn_tensor")
        if path.name == ".metrics.jsonl.tmp":
            torn(path, data, "mid_truncate")
        write_bytes(path, data)

    def write_json_hit(path: Path, data: object) -> None:
        hit({"manifest.json": "before_manifest", "latest.json": "before_latest"}.get(path.name, ""))
        write_json(path, data)

    def _fsync_dir(path: Path) -> None:
        fsync_dir(path)
        if path.name.startswith(".step_"):
            hit("before_rename")

    def _prune(root: Path, step: int, keep: int) -> None:
        old = [p for s, p in ck.step_dirs(root) if s <= step][:-keep]
        if point == "mid_prune" and old and seen["n"] + 1 == nth:
            (old[0] / "G.safetensors").unlink()  # rmtree interrupted after its first file
        hit("mid_prune" if old else "")
        prune(root, step, keep)

    rd.write_bytes_durably = write_bytes_durably  # layout imported it by name
    ck.write_bytes_durably, ck.write_json, ck._fsync_dir, ck._prune = (
        write_bytes_durably,
        write_json_hit,
        _fsync_dir,
        _prune,
    )
    jsonl_write, summary_write, save_image = rd.JsonlWriter.write, rd.RunDir.write_summary, torchvision.utils.save_image

    def write_row(self: rd.JsonlWriter, row: dict) -> None:
        if point == "torn_metrics" and seen["n"] + 1 == nth:
            line = json.dumps(row)
            self.file.write(line[: len(line) // 2])
            self.file.flush()
        hit("torn_metrics")
        jsonl_write(self, row)

    def write_summary(self: rd.RunDir, summary: dict) -> None:
        hit("before_summary")
        summary_write(self, summary)

    def save_image_torn(tensor, fp, **kwargs):
        if point == "torn_sample" and seen["n"] + 1 == nth:
            Path(fp).write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG cut after its signature
        hit("torn_sample")
        save_image(tensor, fp, **kwargs)

    rd.JsonlWriter.write, rd.RunDir.write_summary, torchvision.utils.save_image = (
        write_row,
        write_summary,
        save_image_torn,
    )


if __name__ == "__main__":
    _install_pause(sys.argv[1], int(sys.argv[2]))
    from ganlab.cli import main

    main(sys.argv[3:])
    sys.exit(0)

# --- the test ---------------------------------------------------------------------------------------
import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""), "PYTHONUNBUFFERED": "1"}


def _start(out: Path, log: Path, resume: bool, target: tuple[str, int] | None = None) -> subprocess.Popen:
    cli = [sys.executable, "-m", "ganlab"] if target is None else [sys.executable, __file__, target[0], str(target[1])]
    cmd = [*cli, "train", *ARGS, "--out", str(out), *(["--resume"] if resume else [])]
    with open(log, "ab") as f:
        return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=_env())


def _rows(run: Path) -> list[dict]:
    path = run / "metrics.jsonl"
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line of a killed writer: resume drops it
    return rows


def _no_duplicates(run: Path) -> None:
    steps = [r["step"] for r in _rows(run)]
    assert steps == sorted(set(steps)), f"duplicated or unordered metrics rows: {steps}"


def _wait(predicate, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> bool:
    """Poll until `predicate()`; False if the process ended first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    proc.kill()
    raise AssertionError(f"timed out waiting; log:\n{log.read_text()[-3000:]}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _finish(run: Path, log: Path) -> None:
    proc = _start(run, log, resume=True)
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]


def _random_chain(run: Path, log: Path, rng: random.Random, cycles: list[str]) -> None:
    for i in range(RANDOM_KILLS):
        reached = max([r["step"] for r in _rows(run)], default=0)
        proc = _start(run, log, resume=i > 0)
        if i < STARTUP_KILLS:
            delay = rng.uniform(0.5, 4.0)
            time.sleep(delay)
            what = f"start-up +{delay:.2f}s"
        else:
            # Kill a random short time after a random number of new rows: bounded in steps, not in seconds, so
            # a fast (quiet) machine cannot finish the run before the last kill.
            rows_ahead = rng.randint(1, 3)
            target = reached + rows_ahead * LOG_EVERY
            started = _wait(lambda t=target: max([x["step"] for x in _rows(run)], default=0) >= t, proc, log)
            assert started, f"resume {i} did not train; log:\n{log.read_text()[-3000:]}"
            delay = rng.uniform(0.0, 0.05)
            time.sleep(delay)
            what = f"training +{rows_ahead} rows +{delay:.2f}s"
        assert proc.poll() is None, f"the run ended before kill {i}; log:\n{log.read_text()[-3000:]}"
        _kill(proc)
        _no_duplicates(run)
        if list((run / "checkpoints").glob(".step_*")):
            what += ", inside a checkpoint write"
        cycles.append(f"random {what}")


def _targeted_chain(run: Path, log: Path, cycles: list[str], lock_check: list[str]) -> None:
    for i, target in enumerate(TARGETS):
        proc = _start(run, log, resume=i > 0, target=target)
        paused = _wait(lambda t=target[0]: f"PAUSED {t}" in log.read_text(errors="replace"), proc, log)
        assert paused, f"{target} never reached; log:\n{log.read_text()[-3000:]}"
        if i == 1:  # a second writer while this one holds the run
            second = subprocess.run(
                [sys.executable, "-m", "ganlab", "train", *ARGS, "--out", str(run), "--resume"],
                capture_output=True,
                text=True,
                env=_env(),
            )
            lock_check += [str(second.returncode), second.stderr, str(proc.pid)]
        _kill(proc)
        _no_duplicates(run)
        if i == 1:
            lock_check.append((run / ".lock").read_text())  # the dead holder's PID stays behind: stale
        log.write_text(log.read_text(errors="replace").replace("PAUSED", "paused"))
        cycles.append(f"targeted {target[0]}#{target[1]}")


def _same_run(run: Path, reference: Path) -> None:
    strip = [{k: v for k, v in r.items() if k != "time_s"} for r in _rows(reference)]
    assert [{k: v for k, v in r.items() if k != "time_s"} for r in _rows(run)] == strip
    assert [r["step"] for r in _rows(run)] == [*range(3, STEPS + 1, 3)]
    final = f"checkpoints/step_{STEPS:07d}"
    for name in ("G", "D", "opt_g", "opt_d", "rng"):
        ours, theirs = (
            load_file(run / final / f"{name}.safetensors"),
            load_file(reference / final / f"{name}.safetensors"),
        )
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), f"{name}.{key} differs from the uninterrupted run"
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["status"], summary["steps"]) == ("completed", STEPS)


@pytest.mark.slow
def test_sigkill_at_random_moments_and_inside_writes_resumes_bit_exactly(tmp_path: Path) -> None:
    rng = random.Random(5)
    reference = tmp_path / "reference"
    ref_proc = _start(reference, tmp_path / "reference.log", resume=False)
    random_run, random_log, random_cycles = tmp_path / "random", tmp_path / "random.log", []
    errors: list[BaseException] = []

    def random_chain() -> None:
        try:
            _random_chain(random_run, random_log, rng, random_cycles)
            _finish(random_run, random_log)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    worker = threading.Thread(target=random_chain)
    worker.start()
    targeted_run, targeted_log, targeted_cycles, lock_check = tmp_path / "targeted", tmp_path / "targeted.log", [], []
    try:
        _targeted_chain(targeted_run, targeted_log, targeted_cycles, lock_check)
        _finish(targeted_run, targeted_log)
    finally:
        worker.join()
    if errors:
        raise errors[0]
    assert ref_proc.wait(timeout=300) == 0, (tmp_path / "reference.log").read_text()[-3000:]

    # Two writers: the second exits 2 with one line naming the holder; the dead holder's lock was taken over.
    code, stderr, holder, stale = lock_check
    error_lines = [line for line in stderr.splitlines() if line.startswith("ganlab: error:")]
    assert code == "2" and len(error_lines) == 1 and f"PID {holder}" in error_lines[0], stderr
    assert "Traceback" not in stderr and stale.strip() == holder
    assert not (targeted_run / ".lock").exists()

    for run in (random_run, targeted_run):
        _same_run(run, reference)
        assert not list(run.rglob(".*.tmp*")), "temporary files of killed writers were left behind"
    kills = len(random_cycles) + len(targeted_cycles)
    print(f"\nkill/resume cycles survived: {kills} ({random_cycles + targeted_cycles})")
    assert kills >= 20
