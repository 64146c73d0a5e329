"""train.adaptive_threads: the tuner runs on the cores other work leaves free, read from /proc/stat less the
process's own CPU time. Fake loads and clocks stand in for the machine; one test reads the real /proc/stat with a
busy process beside it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from ganlab.compose import standard_hooks
from ganlab.data import load_dataset
from ganlab.plugins import load_config
from ganlab.training.threads import OtherLoad, ThreadTuner


class ScriptedLoad:
    """Other work's busy cores, as the test sets them (`other`), read once a window."""

    def __init__(self, readable: bool = True) -> None:
        self.other, self.readable, self.reads = 0.0, readable, 0

    def busy_seconds(self) -> float | None:
        return 0.0 if self.readable else None

    def read(self) -> float | None:
        self.reads += 1
        return self.other if self.readable and self.reads > 1 else None


class Machine:
    def __init__(self) -> None:
        self.now, self.threads = 0.0, 0
        self.set_calls: list[int] = []

    def clock(self) -> float:
        return self.now

    def set_threads(self, count: int) -> None:
        self.threads = count
        self.set_calls.append(count)


def tuner_on(machine: Machine, load: ScriptedLoad, most: int = 2, cpus: int = 2) -> ThreadTuner:
    tuner = ThreadTuner(most, cpus, window_s=1.0, load=load, clock=machine.clock, set_threads=machine.set_threads)  # type: ignore[arg-type]
    tuner.on_start(None, None)  # type: ignore[arg-type]
    return tuner


def run(tuner: ThreadTuner, machine: Machine, seconds: float, step_s: float = 0.125) -> None:
    for _ in range(round(seconds / step_s)):
        machine.now += step_s
        tuner.on_step_end(None, None)  # type: ignore[arg-type]


def test_an_idle_machine_keeps_one_thread_per_core_and_never_switches() -> None:
    machine, load = Machine(), ScriptedLoad()
    load.other = 0.05  # a shell, a logger
    tuner = tuner_on(machine, load)
    run(tuner, machine, 120)
    assert machine.set_calls == [2] and tuner.switches == 0
    assert load.reads == 1 + 120  # the reference, then one cheap read a second


def test_a_competitor_moves_it_to_one_thread_within_a_window_and_back_when_it_goes() -> None:
    machine, load = Machine(), ScriptedLoad()
    tuner = tuner_on(machine, load)
    run(tuner, machine, 10)
    load.other = 1.0  # a busy process: a core taken
    run(tuner, machine, 1.0)
    assert machine.threads == 1
    load.other = 0.95  # now it has the core to itself (at 1 thread the training leaves it one)
    run(tuner, machine, 30)
    assert machine.threads == 1 and tuner.switches == 1
    load.other = 0.1  # it is gone
    run(tuner, machine, 1.0)
    assert machine.threads == 2
    summary: dict[str, Any] = {}
    tuner.on_end(None, summary)  # type: ignore[arg-type]
    assert summary["threads"]["adaptive"] is True and summary["threads"]["switches"] == 2
    assert sum(summary["threads"]["steps_at"].values()) == 80 + 8 + 240 + 8


def test_a_load_near_the_threshold_does_not_make_it_flap() -> None:
    machine, load = Machine(), ScriptedLoad()
    tuner = tuner_on(machine, load)
    for other in [0.55, 0.45] * 30:  # a competitor using about half a core
        load.other = other
        run(tuner, machine, 1.0)
    assert tuner.switches == 1 and machine.threads == 1


@pytest.mark.parametrize(("other", "count"), [(0.0, 8), (0.6, 7), (3.2, 5), (7.9, 1), (12.0, 1)])
def test_a_larger_machine_runs_on_the_cores_left(other: float, count: int) -> None:
    machine, load = Machine(), ScriptedLoad()
    load.other = other
    tuner = tuner_on(machine, load, most=8, cpus=8)
    run(tuner, machine, 1.0)
    assert machine.threads == count


def test_where_the_load_cannot_be_read_the_count_stays_and_the_summary_says_why() -> None:
    machine, load = Machine(), ScriptedLoad(readable=False)
    tuner = tuner_on(machine, load)
    run(tuner, machine, 30)
    summary: dict[str, Any] = {}
    tuner.on_end(None, summary)  # type: ignore[arg-type]
    assert machine.set_calls == [2] and "unavailable" in summary["threads"]["adaptive"]


def test_other_load_is_busy_time_less_the_process_own(tmp_path: Path) -> None:
    """Two CPUs allowed of three; ticks of 10 ms (USER_HZ 100 on Linux); steal counts, idle and iowait do not."""
    stat = tmp_path / "stat"
    clock = {"wall": 0.0, "own": 0.0}
    load = OtherLoad([0, 2], stat, own_seconds=lambda: clock["own"], clock=lambda: clock["wall"])
    load.tick_s = 0.01

    def write(cpu0: list[int], cpu2: list[int]) -> None:
        lines = ["cpu  1 1 1 1 1 1 1 1 0 0"] + [
            f"cpu{i} " + " ".join(map(str, v)) for i, v in ((0, cpu0), (1, [9] * 10), (2, cpu2))
        ]
        stat.write_text("\n".join([*lines, "intr 1 2 3"]) + "\n")

    write([100, 0, 50, 1000, 10, 0, 0, 0, 0, 0], [100, 0, 50, 1000, 10, 0, 0, 0, 0, 0])
    assert load.read() is None  # the first read is the reference
    # 2 s later: cpu0 busy 150 ticks (user 100, system 30, softirq 10, steal 10), cpu2 busy 200; idle/iowait grow
    write([200, 0, 80, 1050, 90, 0, 10, 10, 0, 0], [250, 20, 80, 1000, 10, 0, 0, 0, 0, 0])
    clock.update(wall=2.0, own=1.5)  # this process used 1.5 CPU-seconds of the 3.5 busy
    assert load.read() == pytest.approx((1.5 + 2.0 - 1.5) / 2.0)
    clock.update(wall=3.0, own=3.0)  # no busy tick recorded, own time grew: never below zero
    assert load.read() == 0.0


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="the load is read from Linux's /proc/stat")
def test_a_busy_process_beside_is_seen_on_the_real_machine() -> None:
    load = OtherLoad(range(4096))  # every CPU the file lists
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        load.read()
        time.sleep(1.2)
        other = load.read()
    finally:
        spinner.kill()
        spinner.wait()
    assert other is not None and other >= 0.6  # the spinner's core (more if the machine is busier still)


def test_the_tuner_is_on_by_default_last_and_off_by_the_config_switch() -> None:
    state = SimpleNamespace(world=SimpleNamespace(is_main=True))
    cfg = load_config("gan", {"data.name": "digits", "train.threads": 2})
    hooks = standard_hooks(cfg, state, load_dataset(cfg.data), torch.device("cpu"))  # type: ignore[arg-type]
    assert isinstance(hooks[-1], ThreadTuner) and hooks[-1].most == 2
    fixed = load_config("gan", {"data.name": "digits", "train.adaptive_threads": False})
    assert not any(isinstance(h, ThreadTuner) for h in standard_hooks(fixed, state, load_dataset(fixed.data), "cpu"))  # type: ignore[arg-type]
