"""Periodic evaluation during training (seed 004 §5.2 computes FID every 200 iterations).

Every `eval.every` generator steps: `eval.samples` samples from the sampling generator (EMA weights when
kept) with a fixed latent seed, so successive rows differ only by the generator; metric values and their
provenance appended to eval.jsonl and TensorBoard; the best checkpoint by `eval.best_metric` (default: the
first metric) kept in checkpoints/best/. The reference statistics are computed once, when training starts,
so a metric that cannot be computed (offline Inception, a wrong name) fails before step 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ganlab.atomic import write_json
from ganlab.config.schema import Config
from ganlab.data import load_dataset
from ganlab.data.base import Dataset
from ganlab.evaluation import PeriodicEvaluator
from ganlab.metrics import higher_is_better
from ganlab.rundir.layout import JsonlWriter, read_jsonl
from ganlab.training.hooks import Hook, HookContext
from ganlab.training.snapshot import save_snapshot
from ganlab.viz.grids import render_samples

if TYPE_CHECKING:
    from ganlab.training.state import TrainState


class PeriodicEvaluation(Hook):
    def __init__(self, config: Config, train_data: Dataset, device: torch.device) -> None:
        start = time.perf_counter()
        test = load_dataset(config.data, "test")
        self.evaluator = PeriodicEvaluator(config, train_data.to("cpu"), test, device)
        self.every = config.eval.every
        self.best_metric = config.eval.best_metric or self.evaluator.names[0]
        self.higher = higher_is_better(self.best_metric)
        self.best: float | None = None
        self.setup_s = time.perf_counter() - start  # reference statistics, before the loop's clock starts
        self.seconds = 0.0  # evaluations inside the loop
        self.count = 0

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self.best = state.extra.get("best_value")  # survives resume through the checkpoint's state

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        if state.step % self.every and state.step != state.config.train.steps:
            return
        if ctx.run.evals.exists() and any(r.get("step") == state.step for r in _tail(ctx.run.evals)):
            return  # already evaluated at this step (a resume from this very step)
        start = time.perf_counter()
        values, provenance = self.evaluator(state_sampler(state), state.step)
        self.seconds += time.perf_counter() - start
        self.count += 1
        row: dict[str, Any] = {
            "step": state.step,
            "time_s": round(ctx.wall_s(), 3),
            **values,
            "provenance": provenance,
        }
        writer = JsonlWriter(ctx.run.evals)
        writer.write(row)
        writer.close()
        ctx.scalars(values, "eval", state.step)
        self._keep_best(state, ctx, values)

    def _keep_best(self, state: TrainState, ctx: HookContext, values: dict[str, float]) -> None:
        value = values.get(self.best_metric)
        if value is None or value != value:
            return
        if self.best is not None and (value <= self.best if self.higher else value >= self.best):
            return
        self.best = value
        state.extra["best_value"] = value
        root = ctx.run.checkpoints / "best"
        save_snapshot(state, root, 1, {"elapsed_s": ctx.wall_s()}, {})
        write_json(root / "best.json", {"metric": self.best_metric, "value": value, "step": state.step})

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        wall = summary.get("wall_s") or 0.0
        summary["eval_s"] = round(self.seconds, 3)
        summary["eval_setup_s"] = round(self.setup_s, 3)
        summary["evaluations"] = self.count
        summary["eval_share"] = round(self.seconds / wall, 4) if wall else None
        if self.best is not None:
            summary["best"] = {"metric": self.best_metric, "value": self.best}


def state_sampler(state: TrainState) -> Callable[[int, Tensor | None], Tensor]:
    """n samples (for the given labels) from the state's sampling generator, on the CPU; its noise stream is
    seeded from train.seed, so every evaluation of a run sees the same z sequence."""
    gen = torch.Generator(state.device).manual_seed(state.config.train.seed + 12_345)
    G = state.sampling_G

    def sample(n: int, labels: Tensor | None) -> Tensor:
        z = torch.randn(n, state.config.model.z_dim, generator=gen, device=state.device)
        y = None if labels is None else labels.to(state.device)
        return render_samples(G, z, y).cpu()

    return sample


def _tail(path: Path, n: int = 3) -> list[dict[str, Any]]:
    return read_jsonl(path)[-n:]
