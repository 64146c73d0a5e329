"""The training loop: D steps, a G step, and at fixed cadences logging, samples, hooks, checkpoints.

Losses are accumulated as device tensors and read once per `log.every` steps, so the loop adds no host
syncs on other steps. The divergence watch (training/divergence.py) folds each step's losses and gradients
into a device flag; it is read in that same sync, with the weights, at every log step and before every
checkpoint, so a checkpoint on disk is always a good one.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.errors import Interrupted
from ganlab.progress import Mode, Progress
from ganlab.rundir.checkpoint import has_checkpoints, load_latest
from ganlab.rundir.layout import JsonlWriter, RunDir
from ganlab.rundir.state import state_problem
from ganlab.training.algorithm import iteration
from ganlab.training.distributed import mean_over_ranks
from ganlab.training.divergence import DivergenceWatch, raise_if_diverged, weights_finite
from ganlab.training.hooks import Hook, HookContext, board_scalars
from ganlab.training.phases import phase
from ganlab.training.snapshot import restore_snapshot, save_snapshot
from ganlab.training.state import TrainState
from ganlab.training.step import critic_updates, d_step, g_step
from ganlab.viz.grids import render_samples, save_image_grid, save_point_cloud


class Loop:
    def __init__(
        self, state: TrainState, run: RunDir, hooks: Sequence[Hook] = (), progress: bool | Mode = True
    ) -> None:
        self.state, self.run, self.hooks = state, run, list(hooks)
        self.progress = progress
        self.accum: dict[str, Tensor] = {}  # running sums over the log window, on the device
        self.accum_counts: dict[str, int] = {}  # how many values each sum holds (grad norms: once a window)
        self.accum_steps = 0
        self.elapsed_before = 0.0  # wall seconds of earlier sessions of this run
        self.session_start = time.perf_counter()
        self.stop_signal: str | None = None
        self.messages: list[str] = []  # notes for the user (fallbacks, rollbacks), printed by the CLI
        self.last_row: dict[str, Any] = {}
        self.writer: Any = None  # TensorBoard SummaryWriter, opened lazily
        self.saved_step = -1  # step of the checkpoint last written or restored
        self.checked_step = -1  # step of the last divergence check that passed
        self.purge_step: int | None = None  # TensorBoard events after the restored step are hidden
        self.watch = DivergenceWatch(state.device, check_grads=not state.scaler_g.is_enabled())
        self.context = HookContext(run, self.wall_s, lambda: self.writer)  # all the hooks see of the loop

    # --- time and state -------------------------------------------------------------------------------
    def wall_s(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.session_start

    def checkpoint(self) -> None:
        """Write the state at this step, after the divergence check (a checkpoint on disk is a good one)."""
        cfg = self.state.config.train
        if self.checked_step != self.state.step:  # a log step has just checked this very state
            self.check()
        loop_info = {
            "elapsed_s": self.wall_s(),
            "accum_steps": self.accum_steps,
            "accum_counts": self.accum_counts,
            "last_row": self.last_row,
        }
        try:
            save_snapshot(self.state, self.run.checkpoints, cfg.keep_checkpoints, loop_info, self.accum)
        except OSError as exc:  # a full disk, say: say what was being written and what is still there
            raise OSError(
                exc.errno,
                f"{exc.strerror or exc} while writing checkpoint step_{self.state.step:07d} ({self._kept()})",
                str(self.run.checkpoints),
            ) from None
        self.saved_step = self.state.step

    def _kept(self) -> str:
        if self.saved_step >= 0:
            return f"the previous checkpoint step_{self.saved_step:07d} is intact"
        return "no earlier checkpoint"

    def restore(self, checkpoints: Path | None = None) -> None:
        """Load the newest good checkpoint (of this run, or of `checkpoints`: a torchrun follower reads
        rank 0's) and drop log rows written after it."""
        path, tensors, info = load_latest(
            checkpoints or self.run.checkpoints, warn=self.messages.append, check=state_problem
        )
        loop_info, self.accum = restore_snapshot(self.state, tensors, info, path)
        self.elapsed_before = float(loop_info.get("elapsed_s", 0.0))
        self.accum_steps = int(loop_info.get("accum_steps", 0))
        self.accum_counts = {k: int(v) for k, v in loop_info.get("accum_counts", {}).items()}
        self.last_row = dict(loop_info.get("last_row", {}))
        self.session_start = time.perf_counter()
        self.saved_step = self.purge_step = self.state.step
        self.watch.reset()
        self.run.truncate_logs(self.state.step, warn=self.messages.append)
        self.apply_lr_scale()

    def apply_lr_scale(self) -> None:
        cfg = self.state.config.optim
        for opt, base in ((self.state.opt_g, cfg.g.lr), (self.state.opt_d, cfg.d.lr)):
            for group in opt.param_groups:
                group["lr"] = base * self.state.lr_scale

    def check(self) -> dict[str, float]:
        """Window means of the logged scalars, after raising Diverged for a non-finite loss, gradient or
        weight since the last check: the one host sync of a log step."""
        keys = sorted(self.accum)
        # In a torchrun training every rank checks at the same steps: the logged means are over all ranks.
        parts = [mean_over_ranks(torch.stack([self.accum[k] for k in keys]).double(), self.state.world)] if keys else []
        parts += [self.watch.first.double(), weights_finite([self.state.G, self.state.D])]
        values = torch.cat(parts).cpu().tolist()  # .cpu() syncs the device: once per log step
        sums, first_bad, weights_ok = values[: len(keys)], values[len(keys) : -2], values[-2:]
        means = {k: v / self.accum_counts[k] for k, v in zip(keys, sums, strict=True)}
        raise_if_diverged(first_bad, weights_ok, means, self.state.step)
        self.checked_step = self.state.step
        return means

    # --- logging --------------------------------------------------------------------------------------
    def _accumulate(self, logs: dict[str, Tensor]) -> None:
        for key, value in logs.items():
            value = value.detach().float()
            self.accum[key] = self.accum[key] + value if key in self.accum else value.clone()
            self.accum_counts[key] = self.accum_counts.get(key, 0) + 1

    def log(self, metrics: JsonlWriter, means: dict[str, float]) -> None:
        row: dict[str, Any] = {"step": self.state.step, "time_s": round(self.wall_s(), 3), **means}
        for hook in self.hooks:
            row.update(hook.on_log(self.state, row))
        metrics.write(row)
        board_scalars(self.writer, row, "train", self.state.step)
        self.last_row = row
        self.accum, self.accum_counts, self.accum_steps = {}, {}, 0

    def _measure_critic(self, critic: Any, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for hook in self.hooks:
            out.update(hook.measure_critic(self.state, critic, real, fake))
        return out

    def save_samples(self) -> None:
        state = self.state
        fake = render_samples(state.sampling_G, state.fixed_z, state.fixed_labels)
        path = self.run.samples / f"step_{state.step:07d}.png"
        try:
            if state.data.kind == "points":
                real = state.data.x[: len(fake) * 4]
                save_point_cloud(fake, path, real, title=f"{state.config.name}, step {state.step}")
            else:
                nrow = state.num_classes or None
                save_image_grid(fake, path, nrow=nrow)
        except OSError as exc:
            raise OSError(
                exc.errno, f"{exc.strerror or exc} while writing a sample grid ({self._kept()})", str(path)
            ) from None
        if self.writer is not None and state.data.kind != "points":
            from torchvision.utils import make_grid

            grid = make_grid(fake.cpu(), nrow=state.num_classes or 8, normalize=True, value_range=(-1, 1))
            self.writer.add_image("samples", grid, state.step)

    # --- the loop -------------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        state, cfg = self.state, self.state.config
        if cfg.log.tensorboard and self.writer is None:
            from torch.utils.tensorboard import SummaryWriter

            purge = None if self.purge_step is None else self.purge_step + 1
            self.writer = SummaryWriter(log_dir=str(self.run.path), purge_step=purge)
        if state.step == 0 and not has_checkpoints(self.run.checkpoints):
            self.checkpoint()  # step 0: a rollback or a resume always has a good checkpoint to go back to
        metrics = JsonlWriter(self.run.metrics)
        for hook in self.hooks:
            hook.on_start(state, self.context)
        bar = Progress(cfg.train.steps, cfg.name, "step", self.progress, initial=state.step)
        try:
            with _signals(self):
                while state.step < cfg.train.steps:
                    self._one_step(metrics)
                    bar.update(1)
                    self._cadences(metrics, bar)
            self.save_samples()
        finally:
            bar.close()
            metrics.close()
            if self.writer is not None:
                self.writer.flush()
        return self.summary("completed")

    def _one_step(self, metrics: JsonlWriter) -> None:
        state, cfg = self.state, self.state.config
        if self.stop_signal is not None:
            if self.saved_step != state.step:
                metrics.sync()
                self.checkpoint()
            raise Interrupted(state.step, self.stop_signal)
        measure = (state.step + 1) % cfg.log.every == 0 or state.step + 1 == cfg.train.steps
        real: Tensor | None = None  # the last real batch and its labels
        labels: Tensor | None = None

        def critic_step(i: int) -> Tensor:
            nonlocal real, labels
            with phase("data"):
                real, labels = state.real_batch()  # by index on the device; this rank's shard under torchrun
            first = measure and i == 0
            with phase("d_forward_backward"):
                d_logs = d_step(state, real, labels, first, self._measure_critic if first else None)
            if i == 0:
                with phase("logging"):
                    self._accumulate(d_logs)
            return d_logs["loss_d"]

        def generator_step() -> dict[str, Tensor]:
            # seed 001 §2.4: G is trained on the labels of the last real batch (class frequencies of the data)
            with phase("g_step"):
                g_logs = g_step(state, labels, measure, real)
            with phase("logging"):
                self._accumulate(g_logs)
            return g_logs

        losses, g_logs = iteration(critic_updates(cfg.train, state.step), critic_step, generator_step)
        watched = [*losses, *(v for k, v in g_logs.items() if k.startswith("loss"))]
        with phase("watch"):
            self.watch.observe(watched, state.G, state.D, state.step + 1)
        state.step += 1
        self.accum_steps += 1

    def _cadences(self, metrics: JsonlWriter, bar: Progress) -> None:
        state, cfg = self.state, self.state.config
        last = state.step == cfg.train.steps
        if state.step % cfg.log.every == 0 or last:
            with phase("logging"):
                self.log(metrics, self.check())
            bar.set_postfix({k: f"{self.last_row[k]:.3g}" for k in ("loss_d", "loss_g") if k in self.last_row})
        for hook in self.hooks:
            hook.on_step_end(state, self.context)
        if cfg.log.sample_every and state.step % cfg.log.sample_every == 0 and not last:
            self.save_samples()
        if state.step % cfg.train.checkpoint_every == 0 or last:
            metrics.sync()  # the rows up to this step reach the disk before the checkpoint that vouches for them
            self.checkpoint()

    def summary(self, status: str, **extra: Any) -> dict[str, Any]:
        state, cfg = self.state, self.state.config
        wall = self.wall_s()
        summary: dict[str, Any] = {
            "status": status,
            "steps": state.step,
            "steps_planned": cfg.train.steps,
            "d_steps": state.d_steps,
            "wall_s": round(wall, 3),
            "imgs_per_s": round(state.d_steps * cfg.train.batch_size / wall, 2) if wall > 0 else None,
            "gen_steps_per_s": round(state.step / wall, 3) if wall > 0 else None,
            "device": str(state.device),
            "precision": cfg.train.precision,
            "final": {k: v for k, v in self.last_row.items() if k not in ("step", "time_s")},
            "warnings": [],
            "messages": self.messages,
            **extra,
        }
        for hook in self.hooks:
            hook.on_end(state, summary)
        return summary


@contextmanager
def _signals(loop: Loop) -> Iterator[None]:
    """SIGINT/SIGTERM set a flag; the loop writes a checkpoint at the next step boundary and stops (exit 130)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        loop.stop_signal = signal.Signals(signum).name
        for s, h in previous.items():  # a second Ctrl-C is not polite: it stops at once
            signal.signal(s, h)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
