"""A real tiny study on this machine: subprocess workers, resume of an interrupted run, skip on re-run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.cli_helpers import run_cli
from tests.integration.study_helpers import tiny_study, write_study

from ganlab.compose import train
from ganlab.studies import load_study, plan_study

pytestmark = pytest.mark.slow


def test_study_runs_resumes_and_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study_file = write_study(tmp_path / "tiny.yaml", tiny_study("tiny"))
    out = tmp_path / "out"
    # An interrupted run: the first cell trained 2 of its 4 steps (train.steps may change on resume).
    first = plan_study(load_study(study_file), out, workers=2).cells[0]
    train(replace(first.config, train=replace(first.config.train, steps=2)), out=first.path)

    code, stdout, err = run_cli(capsys, "study", str(study_file), "--out", str(out), "--workers", "2")
    assert code == 0, err
    assert "3 of 4 runs to do" not in err and "4 of 4 runs to do" in err  # the partial one is resumed
    index = json.loads((out / "study.json").read_text())
    assert [c["status"] for c in index["cells"]] == ["finished"] * 4
    timing = index["timing"]  # the probe's estimate beside the measured time, and where it ran
    assert timing["estimate"]["wall_s"] > 0 and set(timing["estimate"]["runs"]) == {c["run"] for c in index["cells"]}
    assert timing["wall_s"] > 0 and timing["sessions"][-1]["environment"]["cores"] >= 1
    assert "estimated wall time of the whole study" in err
    assert {c["run"] for c in index["cells"]} == {"gan-seed0", "gan-seed1", "wgan-gp-seed0", "wgan-gp-seed1"}
    for cell in index["cells"]:
        run = out / cell["run"]
        summary = json.loads((run / "summary.json").read_text())
        assert (summary["status"], summary["steps"]) == ("completed", 4)
        assert json.loads((run / "eval.json").read_text())["step"] == 4
        assert cell["metrics"]["w1_exact"] > 0
    steps = [json.loads(line)["step"] for line in (first.path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4]  # continued from the step-2 checkpoint, not restarted

    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    code, stdout, err = run_cli(capsys, "study", str(study_file), "--out", str(out), "--workers", "2")
    assert code == 0 and "0 of 4 runs to do" in err
    assert stamps == {p: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}  # nothing re-trained
    assert "finished" in stdout and f"report: ganlab report {out.resolve()}" in stdout


def test_sigterm_stops_a_study_promptly_and_starts_no_queued_run(tmp_path: Path) -> None:
    """SIGTERM while two workers train: both checkpoint and stop, the queued runs never train (a process pool
    hands queued jobs to fresh workers even while shutting down), exit 130, and a re-run resumes."""
    import signal
    import subprocess
    import sys
    import time

    study = tiny_study("stop", repeats=3)
    study["set"] = {**study["set"], "train.steps": 100_000, "train.checkpoint_every": 50, "log.every": 10}
    study_file = write_study(tmp_path / "stop.yaml", study)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ganlab", "study", str(study_file), "--out", str(out), "--workers", "2"]
    process = subprocess.Popen([*command, "--no-estimate"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def logging() -> list[str]:  # runs that have written at least one metrics row
        return sorted(p.parent.name for p in out.glob("*/metrics.jsonl") if p.read_text().strip())

    deadline = time.monotonic() + 180
    while len(logging()) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    started = logging()
    assert len(started) == 2, "two runs should be training"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    runs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert runs == started  # a queued job handed to a fresh worker after the signal returned before training
    index = json.loads((out / "study.json").read_text())
    statuses = {c["run"]: c["status"] for c in index["cells"]}
    assert sorted(statuses.values()) == ["new"] * 4 + ["partial"] * 2
