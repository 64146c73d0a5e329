"""train.adaptive_threads: the tuner keeps the faster thread count, re-checks on schedule and when the rate falls,
and does not count evaluations, checkpoints or grids as training time. A fake clock stands in for the machine."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch

from ganlab.compose import standard_hooks
from ganlab.data import load_dataset
from ganlab.plugins import load_config
from ganlab.training.threads import ThreadTuner


class Machine:
    """A clock that advances by one step's duration at the current thread count, and the counts that were set."""

    def __init__(self, step_s: dict[int, float]) -> None:
        self.step_s, self.now, self.threads, self.set_calls = step_s, 0.0, 0, []

    def clock(self) -> float:
        return self.now

    def set_threads(self, count: int) -> None:
        self.threads = count
        self.set_calls.append(count)


def state_at(step: int, **train: Any) -> Any:
    config = SimpleNamespace(
        eval=SimpleNamespace(every=train.get("eval_every", 0)),
        train=SimpleNamespace(checkpoint_every=train.get("checkpoint_every", 10**9)),
        log=SimpleNamespace(sample_every=train.get("sample_every", 0)),
    )
    return SimpleNamespace(config=config, step=step)


def run(tuner: ThreadTuner, machine: Machine, steps: int, start: int = 0, **train: Any) -> None:
    for step in range(start + 1, start + steps + 1):
        machine.now += machine.step_s[machine.threads]
        tuner.on_step_end(state_at(step, **train), None)  # type: ignore[arg-type]


def tuner_on(machine: Machine, most: int = 2) -> ThreadTuner:
    tuner = ThreadTuner(most, window_s=1.0, explore_every_s=10.0, clock=machine.clock, set_threads=machine.set_threads)
    tuner.on_start(None, None)  # type: ignore[arg-type]
    return tuner


def test_an_idle_machine_keeps_one_thread_per_core() -> None:
    machine = Machine({2: 0.05, 1: 0.09})  # two threads nearly twice as fast
    tuner = tuner_on(machine)
    run(tuner, machine, 1000)
    assert machine.set_calls[0] == 2 and (machine.threads == 2 or tuner.exploring_from == 2)
    assert machine.set_calls.count(1) >= 4  # it did look, every 10 s, and came back each time
    assert tuner.steps_at[2] > 10 * tuner.steps_at[1]


def test_a_busy_machine_moves_to_one_thread_and_back_when_the_load_goes() -> None:
    machine = Machine({2: 0.05, 1: 0.09})
    tuner = tuner_on(machine)
    run(tuner, machine, 100)
    machine.step_s = {2: 0.30, 1: 0.07}  # a competitor arrives: spinning threads collapse (benchmarks/README.md)
    run(tuner, machine, 40, start=100)
    assert machine.threads == 1  # the drop triggered the check at once, not after 10 s
    run(tuner, machine, 200, start=140)
    assert machine.threads == 1
    machine.step_s = {2: 0.05, 1: 0.09}  # the competitor is gone: the next scheduled look finds 2 faster
    run(tuner, machine, 400, start=340)
    assert machine.threads == 2
    summary: dict[str, Any] = {}
    tuner.on_end(None, summary)  # type: ignore[arg-type]
    assert summary["threads"]["adaptive"] and summary["threads"]["switches"] >= 3
    assert sum(summary["threads"]["steps_at"].values()) == 740


def test_a_small_gain_does_not_move_it() -> None:
    machine = Machine({2: 0.050, 1: 0.049})  # 1 thread 2 % faster, within the 5 % margin
    tuner = tuner_on(machine)
    run(tuner, machine, 1000)
    assert machine.threads == 2 or tuner.exploring_from == 2


def test_evaluation_checkpoint_and_grid_time_is_not_training_time() -> None:
    """A slow evaluation every 20 steps would make 2 threads look slow if it counted."""
    machine = Machine({2: 0.05, 1: 0.09})
    tuner = tuner_on(machine)
    for step in range(1, 801):
        machine.now += machine.step_s[machine.threads] + (3.0 if step % 20 == 0 else 0.0)
        tuner.on_step_end(state_at(step, eval_every=20), None)  # type: ignore[arg-type]
    assert (machine.threads == 2 or tuner.exploring_from == 2) and tuner.steps_at[2] > 5 * tuner.steps_at[1]


def test_one_core_has_nothing_to_choose() -> None:
    machine = Machine({1: 0.05})
    tuner = tuner_on(machine, most=1)
    run(tuner, machine, 200)
    assert machine.set_calls == [1]


def test_the_config_switch_adds_the_tuner_last() -> None:
    cfg = load_config("gan", {"data.name": "digits", "train.adaptive_threads": True, "train.threads": 2})
    state = SimpleNamespace(world=SimpleNamespace(is_main=True))
    hooks = standard_hooks(cfg, state, load_dataset(cfg.data), torch.device("cpu"))  # type: ignore[arg-type]
    assert isinstance(hooks[-1], ThreadTuner) and hooks[-1].counts == (2, 1)
    plain = load_config("gan", {"data.name": "digits"})
    assert not any(isinstance(h, ThreadTuner) for h in standard_hooks(plain, state, load_dataset(plain.data), "cpu"))  # type: ignore[arg-type]
