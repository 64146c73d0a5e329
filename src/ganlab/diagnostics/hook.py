"""The diagnostics hooks: health scalars added to each metrics row, warning rules run on the rows, weight
histograms to TensorBoard. Thin shells over diagnostics/scalars.py and diagnostics/rules.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ganlab.config.schema import Config
from ganlab.diagnostics.rules import EVAL_RULES, METRICS_RULES, Finding, Row, RuleContext
from ganlab.diagnostics.scalars import buffers_kept, clipped_share, critic_estimate, critic_gradient_norm
from ganlab.rundir.layout import read_jsonl
from ganlab.training.hooks import Hook, HookContext

if TYPE_CHECKING:
    from collections.abc import Callable

    from ganlab.training.state import TrainState

HISTORY_ROWS = 500  # rows the rules see: a peak "so far" is the peak of the last 500 logged rows


def rule_context(config: Config) -> RuleContext:
    """The loss's chance level and the clipping bound, for the rules."""
    from ganlab.losses import LOSSES

    loss = LOSSES.get(config.loss.name, "loss.name")
    zero, one = torch.zeros(1), torch.ones(1)
    chance = float(loss.discriminator(zero, zero, one, zero))  # D's loss when it tells nothing apart
    clip = config.lipschitz.clip if config.lipschitz.name == "clip" else None
    return RuleContext(config.log.warn_window, chance, critic=loss.is_critic, clip=clip)


class CriticGradientNorm(Hook):
    """`grad_norm_interp`: mean ||grad_x D|| on interpolates of the critic step's own batches, before D's update,
    for every Lipschitz strategy but gp, whose penalty measures it anyway. Every torchrun rank measures it (the
    logged means are averaged over ranks)."""

    def measure_critic(
        self, state: TrainState, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor
    ) -> dict[str, Tensor]:
        with buffers_kept(state.D):  # before D's forward passes, whose backward reads these buffers
            return {"grad_norm_interp": critic_gradient_norm(critic, real, fake, state.rng["penalty"])}


class Diagnostics(Hook):
    """Adds `clipped_share` and `wasserstein_heldout` to metrics rows; fires each warning rule at most once.

    Warnings go to summary.json `warnings` (rule, step, message, evidence) and, as text, to TensorBoard. On a
    resume or a rollback the rules replay the rows of metrics.jsonl, so the same warnings come back.
    """

    def __init__(self, config: Config, held_out: tuple[Tensor, Tensor | None] | None) -> None:
        self.config, self.rules, self.held_out = config, rule_context(config), held_out
        self.fixed_z: Tensor | None = None
        if held_out is not None:  # one noise batch for the whole run: the curve moves only with G and D
            gen = torch.Generator().manual_seed(config.train.seed)
            self.fixed_z = torch.randn(len(held_out[0]), config.model.z_dim, generator=gen).to(held_out[0].device)
        self.rows: list[Row] = []
        self.findings: list[Finding] = []
        self.context: HookContext | None = None

    def on_start(self, state: TrainState, ctx: HookContext) -> None:
        self.context, self.rows, self.findings = ctx, [], []
        for row in read_jsonl(ctx.run.metrics):
            self._observe(row, announce=False)

    def on_log(self, state: TrainState, row: dict[str, Any]) -> dict[str, Any]:
        extra = {k: float(v) for k, v in self.scalars(state).items()}
        self._observe({**row, **extra})
        return extra

    def on_end(self, state: TrainState, summary: dict[str, Any]) -> None:
        self._check_evals()
        summary["warnings"] = [*summary.get("warnings", []), *(f.as_dict() for f in self.findings)]

    def scalars(self, state: TrainState) -> dict[str, Tensor]:
        """The health scalars measured at a log step (beside what the steps log)."""
        out: dict[str, Tensor] = {}
        if self.rules.clip is not None:
            out["clipped_share"] = clipped_share(list(state.D.parameters()), self.rules.clip)
        if self.held_out is not None and self.fixed_z is not None:
            real, labels = self.held_out
            # seed 001 §5.3.3: the critic's estimate on data it never trained on, without the penalty.
            with buffers_kept(state.G, state.D), torch.no_grad(), state.autocast():
                fake = state.G(self.fixed_z, labels)
                out["wasserstein_heldout"] = critic_estimate(lambda x: state.D(x, labels), real, fake)
        return out

    def _observe(self, row: Row, announce: bool = True) -> None:
        self.rows = [*self.rows[1 - HISTORY_ROWS :], row]
        for rule in METRICS_RULES:
            self._fire(rule(self.rows, self.rules), announce)
        if self.config.eval.every and announce:
            self._check_evals()

    def _check_evals(self) -> None:
        if self.context is None or not self.config.eval.every:
            return
        evals = read_jsonl(self.context.run.evals)
        for rule in EVAL_RULES:
            self._fire(rule(evals, self.rules), True)

    def _fire(self, finding: Finding | None, announce: bool) -> None:
        if finding is None or any(f.rule == finding.rule for f in self.findings):
            return  # each warning once per run
        self.findings.append(finding)
        writer = self.context.tensorboard if self.context is not None else None
        if announce and writer is not None:
            writer.add_text("warnings", finding.message, finding.step)


class WeightHistograms(Hook):
    """Histograms of every weight of G and D in TensorBoard every `log.hist_every` generator steps."""

    def __init__(self, every: int) -> None:
        self.every = every

    def on_step_end(self, state: TrainState, ctx: HookContext) -> None:
        writer = ctx.tensorboard
        if writer is None or state.step % self.every:
            return
        for side, module in (("G", state.G), ("D", state.D)):
            for name, param in module.named_parameters():
                writer.add_histogram(f"weights/{side}/{name}", param.detach().float().cpu(), state.step)


def held_out_batch(config: Config, device: torch.device) -> tuple[Tensor, Tensor | None] | None:
    """A fixed batch of the test split (train.batch_size samples) for the held-out critic estimate, or None
    when the loss has no critic estimate or the dataset has no test split."""
    from ganlab.data import load_dataset
    from ganlab.errors import DataError
    from ganlab.losses import LOSSES

    if not LOSSES.get(config.loss.name, "loss.name").is_critic:
        return None
    try:
        test = load_dataset(config.data, "test")
    except DataError:
        return None
    idx = torch.arange(min(config.train.batch_size, len(test)))
    labels = test.batch_labels(idx)
    return test.batch(idx).to(device), None if labels is None else labels.to(device)


def step_probes(config: Config) -> list[Hook]:
    """The diagnostics that measure inside the training step: the same on every torchrun rank."""
    return [CriticGradientNorm()] if config.log.diagnostics and config.lipschitz.name != "gp" else []


def diagnostics_hooks(config: Config, device: torch.device) -> list[Hook]:
    """The diagnostics hooks a config asks for (log.diagnostics, log.hist_every)."""
    hooks = step_probes(config)
    if config.log.diagnostics:
        hooks.append(Diagnostics(config, held_out_batch(config, device)))
    if config.log.hist_every:
        hooks.append(WeightHistograms(config.log.hist_every))
    return hooks
