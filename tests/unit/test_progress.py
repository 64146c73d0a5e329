"""Where a long job is, when the output is a terminal, a log file, or nothing (`ganlab.progress`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ganlab import progress as progress_module
from ganlab.progress import Progress, format_duration, resolve_mode


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_a_line_comes_at_the_cadence_with_rate_eta_and_the_latest_values() -> None:
    clock, log = Clock(), io.StringIO()
    bar = Progress(1000, "demo", "step", True, initial=200, every=15.0, stream=log, clock=clock)
    assert bar.mode == "lines"
    for _ in range(50):  # 50 steps in 10 s: before the cadence, nothing is printed
        clock.now += 0.2
        bar.update()
    assert log.getvalue() == ""
    bar.set_postfix({"loss_d": "1.23", "loss_g": "0.98"})
    for _ in range(25):  # 75 steps in 15 s: 5 step/s, 725 to go -> 145 s
        clock.now += 0.2
        bar.update()
    lines = log.getvalue().splitlines()
    assert lines == ["ganlab: demo: step 275/1000 (28%), 5 step/s, ETA 2 min, loss_d=1.23, loss_g=0.98"]
    for _ in range(725):
        clock.now += 0.2
        bar.update()
    bar.close()
    last = log.getvalue().splitlines()[-1]
    assert last.startswith("ganlab: demo: step 1000/1000 (100%), 5 step/s, in 2.7 min"[:40])
    assert "in 3 min" in last and "ETA" not in last
    # a new line every 15 s of 160 s, and one where it ended
    assert len(log.getvalue().splitlines()) == 160 // 15 + 1


def test_a_slow_unit_reads_as_seconds_per_unit() -> None:
    clock, log = Clock(), io.StringIO()
    bar = Progress(10, "study", "run", "lines", every=60.0, stream=log, clock=clock)
    clock.now += 90.0
    bar.update()
    assert log.getvalue() == "ganlab: study: run 1/10 (10%), 90 s/run, ETA 14 min\n"


def test_a_short_job_in_a_log_prints_nothing_and_off_prints_nothing_at_all() -> None:
    clock, log = Clock(), io.StringIO()
    bar = Progress(10, "demo", "step", True, every=15.0, stream=log, clock=clock)
    for _ in range(10):
        clock.now += 1.0
        bar.update()
    bar.close()
    assert log.getvalue() == ""
    quiet = Progress(10, "demo", "step", False, every=0.0, stream=log, clock=clock)
    for _ in range(10):
        clock.now += 100.0
        quiet.update()
    quiet.write("a message")
    quiet.close()
    assert log.getvalue() == ""


def test_a_terminal_gets_the_bar_and_messages_above_it() -> None:
    term = Terminal()
    assert resolve_mode(True, term) == "bar" and resolve_mode("auto", io.StringIO()) == "lines"
    with Progress(3, "demo", "step", True, stream=term) as bar:
        assert bar.mode == "bar"
        bar.write("ganlab: [1/3] run-a: train")
        bar.update(3)
    out = term.getvalue()
    assert "ganlab: [1/3] run-a: train" in out and "3/3" in out and "\r" in out
    with pytest.raises(ValueError, match="progress must be"):
        resolve_mode("loud", term)  # type: ignore[arg-type]


def test_durations_read_at_a_glance() -> None:
    assert [format_duration(s) for s in (45, 600, 3 * 3600, 6 * 86400)] == ["45 s", "10 min", "3.0 h", "6 days"]


def test_a_real_training_in_a_log_says_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Python API on Fashion-MNIST, stderr captured (not a terminal): lines with step, rate, ETA, losses;
    progress=False is silent."""
    from ganlab import load_config, train

    monkeypatch.setattr(progress_module, "LINE_EVERY_S", 0.0)  # every step, to see it in a few steps
    tiny = {"train.steps": 4, "train.batch_size": 16, "data.subset": 256, "log.every": 2, "eval.every": 0}
    train(load_config("demo", tiny), out=tmp_path / "loud", device="cpu")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ganlab: demo: step")]
    assert [line.split(",")[0] for line in lines[:4]] == [f"ganlab: demo: step {n}/4 ({25 * n}%)" for n in (1, 2, 3, 4)]
    assert "step/s" in lines[0] and "ETA" in lines[0]
    assert any("loss_d=" in line and "loss_g=" in line for line in lines)
    train(load_config("demo", tiny), out=tmp_path / "quiet", device="cpu", progress=False)
    assert capsys.readouterr().err == ""
    # a long evaluation's draw says where it is too; an evaluation without progress says nothing
    from ganlab import load_run

    load_run(tmp_path / "loud").sample(1000, seed=0, progress="lines")
    drawn = [line for line in capsys.readouterr().err.splitlines() if "drawing samples" in line]
    assert [line.split(",")[0] for line in drawn] == [
        "ganlab: demo: drawing samples: sample 500/1000 (50%)",
        "ganlab: demo: drawing samples: sample 1000/1000 (100%)",  # said once, not again when it closes
    ]
