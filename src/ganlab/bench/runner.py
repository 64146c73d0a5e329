"""One benchmark: the real training loop of a config for a warm-up and a fixed window, measured.

The loop is `ganlab.training.loop.Loop.fit` itself, with no hooks but the bench's window hook, in a
throwaway run directory; checkpoints and sample grids are taken out of the window and their cost added
back amortised over their cadence, so the phase shares cover everything a real run spends per step
except periodic evaluation (measured by benchmarks/eval_cost.py).

The peak the achieved rate is compared with is timed in slices interleaved with the window (one just
before it, `peak_slices - 2` inside it at even intervals, one just after), the slices' time taken out of
the window: training and peak see the same machine state (`ganlab.bench.hardware`).
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from ganlab.accel.norm_act import BatchNormAct2d, fused_norm_available
from ganlab.bench.flops import StepFlops, flops_per_gen_step
from ganlab.bench.hardware import PeakMeter, Peaks, bf16_support, probe_peaks, synchronizer
from ganlab.bench.phases import PhaseClock, shares
from ganlab.config.schema import Config, DataConfig
from ganlab.data import load_dataset
from ganlab.data.base import Dataset
from ganlab.lipschitz import Lipschitz
from ganlab.rundir.layout import RunDir
from ganlab.training.hooks import Hook, HookContext
from ganlab.training.loop import Loop
from ganlab.training.phases import recorded
from ganlab.training.state import TrainState, build_state
from ganlab.training.step import d_step
from ganlab.training.threads import thread_tuner

NEVER = 10**9  # steps: "not within the bench"


@dataclass(frozen=True)
class BenchSettings:
    seconds: float = 10.0  # the measured window
    warmup_s: float = 3.0  # at least this long and WARMUP_STEPS steps before the window (compilation, caches)
    warmup_steps: int = 3
    peak_budget_s: float = 1.2  # the probe: best short blocks of the matmul and of each convolution shape
    peak_slices: int = 4  # sustained peak slices: before, inside (evenly spaced) and after the window
    peak_slice_s: float = 0.45  # seconds per slice (2/3 convolution, 1/3 matmul)
    penalty_pairs: int = 4  # interleaved (gp, plain) critic steps timed for the penalty's cost


class WindowDone(Exception):
    """Raised by the window hook to end `Loop.fit` once the window is over."""


class WindowHook(Hook):
    """Opens the window after the warm-up (resetting the phase clock), times the peak slices around and inside
    it (their time is not the window's), and ends the run after `seconds` of training."""

    def __init__(self, clock: PhaseClock, settings: BenchSettings, meter: PeakMeter) -> None:
        self.clock, self.settings, self.meter = clock, settings, meter
        self.started = 0.0
        self.first_step = 0
        self.window_start: float | None = None
        self.window_s = 0.0
        self.paused_s = 0.0  # peak slices inside the window
        self.slices_inside = 0
        self.steps = self.d_steps = 0
        self._step0 = self._d0 = 0

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self.started, self.first_step = time.perf_counter(), state.step

    def _slice(self) -> float:
        self.clock.sync()  # the training's queued work is not the slice's
        return self.meter.slice(self.settings.peak_slice_s)

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        now = time.perf_counter()
        if self.window_start is None:
            warm = now - self.started >= self.settings.warmup_s
            if warm and state.step - self.first_step >= self.settings.warmup_steps:
                self._slice()
                self.clock.reset()
                self.window_start, self._step0, self._d0 = time.perf_counter(), state.step, state.d_steps
            return
        trained = now - self.window_start - self.paused_s
        if trained >= self.settings.seconds:
            self.clock.sync()
            self.window_s = time.perf_counter() - self.window_start - self.paused_s
            self.steps, self.d_steps = state.step - self._step0, state.d_steps - self._d0
            self._slice()
            raise WindowDone
        inside = max(self.settings.peak_slices - 2, 0)
        if self.slices_inside < inside and trained >= self.settings.seconds * (self.slices_inside + 1) / (inside + 1):
            self.paused_s += self._slice()
            self.slices_inside += 1


def bench_variant(cfg: Config) -> Config:
    """The config as the bench runs it: no end, and no checkpoints, grids or evaluation in the window."""
    return replace(
        cfg,
        train=replace(cfg.train, steps=NEVER, checkpoint_every=NEVER),
        log=replace(cfg.log, sample_every=0),
        eval=replace(cfg.eval, every=0),
    )


def timed_once(fn: Any, sync: Any) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def warm_time(fn: Any, sync: Any) -> float:
    """Seconds of the second of two calls: the first pays one-off costs (imports, file creation)."""
    fn()
    return timed_once(fn, sync)


def penalty_cost_ratio(state: TrainState, pairs: int) -> float:
    """Seconds of a critic step with the state's gradient penalty over one without, same critic and
    batch size: interleaved pairs of real `d_step` calls, ratio of the medians."""
    sync = synchronizer(state.device)
    penalised, plain = state.lipschitz, Lipschitz()
    times: dict[str, list[float]] = {"gp": [], "plain": []}
    for i in range(pairs + 1):  # the first pair warms up
        for name, lipschitz in (("gp", penalised), ("plain", plain)):
            state.lipschitz = lipschitz
            real, labels = state.real_batch()
            seconds = timed_once(lambda real=real, labels=labels: d_step(state, real, labels), sync)
            if i:
                times[name].append(seconds)
    state.lipschitz = penalised
    return statistics.median(times["gp"]) / statistics.median(times["plain"])


def peak_memory(device: torch.device) -> dict[str, float]:
    if device.type == "cuda":
        return {"cuda_max_allocated_mib": torch.cuda.max_memory_allocated(device) / 2**20}
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return {"process_peak_rss_mib": kib / (2**20 if sys.platform == "darwin" else 2**10)}


class DataCache:
    """Datasets loaded once per data section and device for all the configs of one bench."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.sets: dict[DataConfig, Dataset] = {}

    def get(self, cfg: DataConfig) -> Dataset:
        if cfg not in self.sets:
            self.sets[cfg] = load_dataset(cfg, "train").to(self.device)
        return self.sets[cfg]


def bench_config(
    cfg: Config, device: torch.device, settings: BenchSettings, data: DataCache, workdir: Path | None = None
) -> dict[str, Any]:
    """Measure `cfg`'s training loop on `device` (see the module docstring); one `results` entry."""
    threads_before = torch.get_num_threads()
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    try:
        with tempfile.TemporaryDirectory(prefix="ganlab-bench-", dir=workdir, ignore_cleanup_errors=True) as tmp:
            return _bench(cfg, device, settings, data.get(cfg.data), Path(tmp))
    finally:
        torch.set_num_threads(threads_before)


def _bench(cfg: Config, device: torch.device, settings: BenchSettings, data: Dataset, tmp: Path) -> dict[str, Any]:
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as train() sets it: fixed shapes
        torch.cuda.reset_peak_memory_stats(device)
    variant = bench_variant(cfg)
    best_block, meter = probe_peaks(device, cfg.train.precision, settings.peak_budget_s)
    flops = flops_per_gen_step(build_state(replace(variant, train=replace(variant.train, compile=False)), data, device))
    state = build_state(variant, data, device)
    clock = PhaseClock(synchronizer(device))
    window = WindowHook(clock, settings, meter)
    run = RunDir(tmp / "run")
    run.make()
    tuner = thread_tuner(cfg.train, device)  # as ganlab.compose gives it to a training
    loop = Loop(state, run, [window] if tuner is None else [tuner, window], progress=False)
    with recorded(clock), contextlib.suppress(WindowDone):
        loop.fit()
    seconds = dict(clock.seconds)
    amortised = {"checkpoint": warm_time(loop.checkpoint, clock.sync) * window.steps / cfg.train.checkpoint_every}
    if cfg.log.sample_every:
        amortised["samples"] = warm_time(loop.save_samples, clock.sync) * window.steps / cfg.log.sample_every
    ratio = penalty_cost_ratio(state, settings.penalty_pairs) if state.lipschitz.name == "gp" else None
    if loop.writer is not None:  # TensorBoard's writer thread, before the run directory is removed
        loop.writer.close()
    phases = shares(seconds, window.window_s, amortised)
    return summarise(cfg, state, window, flops, peak_record(meter, best_block), phases, ratio)


def peak_record(meter: PeakMeter, best_block: Peaks) -> dict[str, Any]:
    """The sustained, interleaved peaks (the reference of share_of_peak), how they were timed, and the probe's
    best-of-short-blocks figures beside them."""
    return {
        **meter.peaks().as_dict(),
        "method": f"sustained rate over {len(meter.slice_rates)} slices interleaved with the window",
        "conv_slice_gflops": meter.slice_rates,
        "best_block": best_block.as_dict(),
    }


def summarise(
    cfg: Config,
    state: TrainState,
    window: WindowHook,
    flops: StepFlops,
    peaks: dict[str, Any],
    phases: dict[str, float],
    penalty_ratio: float | None,
) -> dict[str, Any]:
    gen_steps_per_s = window.steps / window.window_s
    achieved = flops.total * gen_steps_per_s / 1e9
    use_conv = flops.conv_share >= 0.5
    peak = peaks["conv_gflops"] if use_conv else peaks["matmul_gflops"]
    shape = state.data.shape
    loop_phases = ("data", "logging", "watch", "loop", "checkpoint", "samples")
    result: dict[str, Any] = {
        "config": cfg.name,
        "batch_size": cfg.train.batch_size,
        "resolution": shape[-1] if len(shape) == 3 else None,
        "channels": shape[0] if len(shape) == 3 else None,
        "n_critic": flops.critic_updates,
        "precision": cfg.train.precision,
        "compile": cfg.train.compile,
        "channels_last": cfg.train.channels_last,
        "device": str(state.device),
        "threads": torch.get_num_threads(),
        "window_s": round(window.window_s, 3),
        "gen_steps": window.steps,
        "gen_steps_per_s": gen_steps_per_s,
        "d_imgs_per_s": 2 * window.d_steps * cfg.train.batch_size / window.window_s,  # real + fake through D
        "flops_per_gen_step": flops.total,
        "conv_flop_share": flops.conv_share,
        "achieved_gflops": achieved,
        "peak_kind": "conv" if use_conv else "matmul",
        "peak_gflops": peak,
        "share_of_peak": achieved / peak if peak > 0 else None,
        "peaks": peaks,
        "phases": phases,
        "loop_overhead_share": sum(phases.get(name, 0.0) for name in loop_phases),
        "penalty_step_ratio": penalty_ratio,
        **peak_memory(state.device),
        "notes": notes(cfg, state),
    }
    return result


def notes(cfg: Config, state: TrainState) -> list[str]:
    found = []
    if cfg.train.precision == "bf16" and not bf16_support(state.device)["native"]:
        found.append("bf16 is not native on this device (no AVX512-BF16/AMX with oneDNN): it is emulated, slowly")
    if cfg.train.compile and state.lipschitz.name == "gp":
        found.append("train.compile: the critic stays eager under the gradient penalty (no compiled double backward)")
    fusable = any(isinstance(m, BatchNormAct2d) for model in (state.G, state.D) for m in model.modules())
    if cfg.train.fused_norm and fusable and state.device.type == "cpu" and not fused_norm_available():
        found.append("the fused batch-norm kernel could not be built here (no C compiler?): torch's kernels ran")
    return found
