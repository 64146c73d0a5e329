"""How long a planned study takes on this machine: a short probe of each distinct model, scaled to the plan.

The probe runs the real training loop (`Loop.fit`, no checkpoints or grids inside the timed part) of one cell
per distinct model at the plan's thread share for a few seconds, and the plan's periodic and final evaluations
on a few hundred samples twice (the first call pays the reference statistics, the second gives the cost per
sample). A run's estimate is then

    steps x seconds per step + evaluations x (reference set-up + samples x seconds per sample)

and the study's is the runs handed to `workers` processes in cell order, as `ganlab study` does. The probe
runs alone, so it does not see two workers competing for memory bandwidth; the results pages print the
estimate beside the measured wall time, which shows how far off it was.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ganlab.config.loading import to_dict
from ganlab.config.schema import Config
from ganlab.studies.grid import Cell, Plan

PROBE_SECONDS = 2.0  # timed training per distinct model, after the warm-up
WARMUP_STEPS = 2
PROBE_SAMPLES = 256  # samples per probe evaluation


@dataclass(frozen=True)
class Probe:
    """Measured costs of one distinct model at one thread count."""

    step_s: float  # a generator step with its critic steps, in the real loop
    eval_setup_s: float  # one evaluation's fixed cost: reference statistics, classifier loading (per run)
    eval_sample_s: float  # generating and measuring one sample
    threads: int

    def run_seconds(self, config: Config, final_metrics: tuple[str, ...], final_samples: int) -> float:
        """Wall seconds of one run of `config` and its final evaluation. The steps of the seed 001 §5.3.1
        critic boost add their extra critic steps, each costed as a step's share of one of its n_critic + 1
        network updates (the probe itself runs with the boost off)."""
        from ganlab.training.step import critic_updates

        train = config.train
        steps = train.steps
        seconds = steps * self.step_s
        if train.critic_boost:
            extra = sum(critic_updates(train, s) for s in range(steps)) - steps * train.n_critic
            seconds += extra * self.step_s / (train.n_critic + 1)
        if config.eval.every:
            count = steps // config.eval.every + (steps % config.eval.every != 0)
            seconds += self.eval_setup_s + count * config.eval.samples * self.eval_sample_s
        if final_metrics:
            seconds += self.eval_setup_s + final_samples * self.eval_sample_s
        return seconds


@dataclass(frozen=True)
class Estimate:
    runs: dict[str, float]  # run name -> estimated wall seconds
    wall_s: float  # the study, with its workers
    workers: int
    probes: dict[str, Probe]  # model key -> probe

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 1),
            "workers": self.workers,
            "runs": {k: round(v, 1) for k, v in self.runs.items()},
            "probes": {
                k: {
                    "step_s": p.step_s,
                    "eval_setup_s": p.eval_setup_s,
                    "eval_sample_s": p.eval_sample_s,
                    "threads": p.threads,
                }
                for k, p in self.probes.items()
            },
            "method": f"probe of each distinct model ({PROBE_SECONDS:g} s of training, {PROBE_SAMPLES} samples "
            f"evaluated twice), scaled to the plan's steps and evaluations, runs handed to {self.workers} "
            "worker(s) in cell order",
        }


# Keys that change a run's length or cadence, not the cost of one step: one probe serves every value.
_NOT_MODEL = ("name", "description", "source", "train.seed", "train.steps", "train.checkpoint_every", "log", "eval")


def model_key(config: Config) -> str:
    """What decides the cost of one step: the config without seed, length, cadences and labels."""
    data = to_dict(config)
    for key in _NOT_MODEL:
        parts = key.split(".")
        holder = data
        for part in parts[:-1]:
            holder = holder.get(part, {})
        holder.pop(parts[-1], None)
    return json.dumps(data, sort_keys=True)


def _quiet(config: Config, metrics: tuple[str, ...]) -> Config:
    """The config as the probe trains it: endless, no critic boost, checkpoints, grids, TensorBoard or periodic
    evaluation."""
    return replace(
        config,
        train=replace(config.train, steps=10**9, checkpoint_every=10**9, compile=False, critic_boost=0),
        log=replace(config.log, sample_every=0, tensorboard=False, every=10**9),
        eval=replace(config.eval, every=0, metrics=list(metrics) or config.eval.metrics, samples=PROBE_SAMPLES),
    )


class _Done(Exception):
    pass


def probe_model(config: Config, metrics: tuple[str, ...], device: str = "cpu") -> Probe:
    """Time `config`'s training step and the evaluation of `metrics` (see the module docstring)."""
    import torch

    from ganlab.bench.hardware import synchronizer
    from ganlab.data import load_dataset
    from ganlab.evaluation import PeriodicEvaluator
    from ganlab.evaluation.hook import state_sampler
    from ganlab.rundir.layout import RunDir
    from ganlab.training.device import resolve_device
    from ganlab.training.hooks import Hook
    from ganlab.training.loop import Loop
    from ganlab.training.state import build_state

    dev = resolve_device(device)
    threads_before = torch.get_num_threads()
    threads = config.train.threads or threads_before
    torch.set_num_threads(threads)
    sync = synchronizer(dev)
    cfg = _quiet(config, metrics)

    class Timer(Hook):
        def __init__(self) -> None:
            self.count, self.start, self.seconds = 0, 0.0, 0.0

        def on_step_end(self, state: Any, ctx: Any) -> None:
            self.count += 1
            if self.count == WARMUP_STEPS:
                sync()
                self.start = time.perf_counter()
            elif self.count > WARMUP_STEPS and time.perf_counter() - self.start >= PROBE_SECONDS:
                sync()
                self.seconds = time.perf_counter() - self.start
                raise _Done

    try:
        train = load_dataset(cfg.data, "train").to(dev)
        state = build_state(cfg, train, dev)
        timer = Timer()
        with tempfile.TemporaryDirectory(prefix="ganlab-probe-", ignore_cleanup_errors=True) as tmp:
            run = RunDir(Path(tmp) / "run")
            run.make()
            with contextlib.suppress(_Done):
                Loop(state, run, [timer], progress=False).fit()
        step_s = timer.seconds / max(1, timer.count - WARMUP_STEPS)
        eval_setup_s = eval_sample_s = 0.0
        if cfg.eval.metrics:
            start = time.perf_counter()
            test = load_dataset(cfg.data, "test")
            evaluator = PeriodicEvaluator(cfg, train.to("cpu"), test, dev)
            sample = state_sampler(state)
            evaluator(sample, 0)
            first = time.perf_counter() - start
            start = time.perf_counter()
            evaluator(sample, 0)
            second = time.perf_counter() - start
            eval_sample_s = second / PROBE_SAMPLES
            eval_setup_s = max(0.0, first - second)
    finally:
        torch.set_num_threads(threads_before)
    return Probe(step_s, eval_setup_s, eval_sample_s, threads)


def schedule(seconds: list[float], workers: int) -> float:
    """Wall time of jobs of these lengths started in order on `workers` processes, each taking the next job
    when it is free (as the study's process pool does)."""
    free = [0.0] * max(1, min(workers, len(seconds) or 1))
    for length in seconds:
        heapq.heappush(free, heapq.heappop(free) + length)
    return max(free) if seconds else 0.0


def estimate_plan(
    plan: Plan,
    workers: int,
    device: str = "cpu",
    probes: dict[str, Probe] | None = None,
    on_probe: Callable[[Cell, Probe], None] | None = None,
) -> Estimate:
    """The estimated wall time of every run of `plan` and of the whole study on `workers` processes; models
    already in `probes` are not probed again."""
    known = dict(probes or {})
    runs: dict[str, float] = {}
    used: dict[str, Probe] = {}
    for cell in plan.cells:
        key = model_key(cell.config)
        if key not in known:
            known[key] = probe_model(cell.config, cell.metrics, device)
            if on_probe is not None:
                on_probe(cell, known[key])
        used[key] = known[key]
        runs[cell.run] = known[key].run_seconds(cell.config, cell.metrics, plan.samples)
    return Estimate(runs, schedule(list(runs.values()), workers), workers, used)
