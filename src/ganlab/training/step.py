"""Training's discriminator step and generator step: the algorithm (training/algorithm.py) with the tricks,
the joint forward pass, precision and the logged scalars around it.

Step functions return scalar tensors; nothing here calls `.item()` (a host sync): the loop reads the
accumulated values only when it logs. Tricks enter through `state.tricks` hooks (inputs, fake batch,
targets, after G's step) and through G's objective (state.g_objective: feature matching, the unrolled D).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganlab.config.schema import TrainConfig
from ganlab.training.algorithm import critic_update, generator_update
from ganlab.training.phases import phase
from ganlab.training.state import TrainState
from ganlab.tricks import fake_side_loss


def critic_updates(cfg: TrainConfig, step: int) -> int:
    """D updates before generator step `step` (0-based): n_critic, or the boost of seed 001 §5.3.1
    (k = 100 for the first 100 iterations and every 500th) when train.critic_boost > 0."""
    if cfg.critic_boost and (step < cfg.critic_boost_first or step % cfg.critic_boost_every == 0):
        return cfg.critic_boost
    return cfg.n_critic


def generate(state: TrainState, n: int, labels: Tensor | None) -> Tensor:
    """G(z) for fresh z: (n, C, H, W) in [-1, 1], or (n, D) points."""
    fake = state.G(state.noise(n), labels)
    if fake.dim() == 4 and state.config.train.channels_last:
        fake = fake.contiguous(memory_format=torch.channels_last)
    return fake


def _real_and_fake_logits(
    state: TrainState, real: Tensor, labels: Tensor | None, fake: Tensor, fake_labels: Tensor | None
) -> tuple[Tensor, Tensor]:
    """D on the real and on the fake batch. A critic that treats samples independently (no batch norm, no
    minibatch discrimination) takes both in one forward pass over the concatenated batch: the same logits in
    one pass over the weights, faster (benchmarks/README.md). A batch-norm D gets two passes, so that
    each batch is normalised with its own statistics as in seed 001's reference code."""
    if state.joint_critic:
        both_labels = None if labels is None or fake_labels is None else torch.cat([labels, fake_labels])
        logits = state.D(torch.cat([real, fake]), both_labels).float()
        return logits[: len(real)], logits[len(real) :]
    return state.D(real, labels).float(), state.D(fake, fake_labels).float()


# Measures D before its update: (critic, real batch, fake batch) -> scalars for the metrics row (Hook.measure_critic).
CriticProbe = Callable[[Callable[[Tensor], Tensor], Tensor, Tensor], dict[str, Tensor]]


def d_step(
    state: TrainState, real: Tensor, labels: Tensor | None, measure: bool = False, probe: CriticProbe | None = None
) -> dict[str, Tensor]:
    """One update of D on a real batch and a fresh fake batch (training.algorithm.critic_update, with the
    tricks around it). `measure` adds D's gradient norm to the returned scalars; `probe` (the hooks'
    measurements) sees D before its update."""
    with phase("fake_batch"), torch.no_grad(), state.autocast():  # no back-propagation into G in D's step
        fake = generate(state, len(real), labels)
    fake, fake_labels = state.tricks.fake_for_d(fake, labels, state.step)  # experience replay (seed 001 §4.2)

    def critic(x: Tensor) -> Tensor:  # D at this batch's labels, for the penalty and the probes
        return state.D(x, labels)

    with state.autocast():
        real_in = state.tricks.d_input(real, state.step)  # instance noise
        fake_in = state.tricks.d_input(fake, state.step)
        probed = probe(critic, real_in, fake_in) if probe is not None else {}
    step = critic_update(
        state.D,
        critic,
        state.loss,
        state.lipschitz,
        state.update_d,
        real_in,
        fake_in,
        state.rng["penalty"],
        outputs=lambda r, f: _real_and_fake_logits(state, r, labels, f, fake_labels),
        targets=lambda r, f: state.tricks.targets(torch.ones_like(r), torch.zeros_like(f), state.step),
        precision=state.autocast,
        measure=measure,
    )
    state.d_steps += 1
    out = {
        "loss_d": step.loss,
        "d_real": state.loss.readout(step.real).mean(),  # a probability for a logit
        "d_fake": state.loss.readout(step.fake).mean(),
    }
    if state.loss.is_critic:  # the critic's estimate of W1, without the penalty (seed 000 §5.1)
        out["wasserstein"] = step.real.mean() - step.fake.mean()
    out.update(probed)
    if step.penalty.grad_norm is not None:  # the penalty's own measurement of ||grad_x D|| on the interpolates
        out["gp"] = step.penalty.value.detach()
        out["grad_norm_interp"] = step.penalty.grad_norm
    if step.grad_norm is not None:
        out["grad_norm_d"] = step.grad_norm
    replayed = state.tricks.replayed_for_d()  # seed 001 §4.2: a full replay list earns D an extra step
    if replayed is not None:
        out["loss_d_replay"] = replay_d_step(state, *replayed)
    return out


def replay_d_step(state: TrainState, fake: Tensor, fake_labels: Tensor | None) -> Tensor:
    """An extra update of D on past fakes alone, regressed to D's fake target as the target tricks set it (seed
    001 §4.2: "we make a discriminator training step using these images"). It sees no real batch, so
    state.d_steps, which counts the real batches D has seen, does not count it."""
    if fake.dim() == 4 and state.config.train.channels_last:
        fake = fake.contiguous(memory_format=torch.channels_last)
    with state.autocast():
        fake_logits = state.D(state.tricks.d_input(fake, state.step), fake_labels).float()
        _, fake_t = state.tricks.targets(torch.ones_like(fake_logits), torch.zeros_like(fake_logits), state.step)
        d_loss = fake_side_loss(state.loss.discriminator, fake_logits, fake_t)
    state.update_d(d_loss)
    with phase("optimizer"):
        state.lipschitz.after_d_step(state.D)  # weight clipping lives here
    return d_loss.detach()


def g_step(
    state: TrainState, labels: Tensor | None, measure: bool = False, real: Tensor | None = None
) -> dict[str, Tensor]:
    """One update of G through the current D (training.algorithm.generator_update); its objective
    (state.g_objective: the adversarial loss or feature matching, against D or D unrolled) was chosen when the
    state was built. `real` (the last real batch) is what feature matching and the unrolled D compare with."""

    def objective() -> Tensor:
        fake_in = state.tricks.d_input(generate(state, state.batch_size, labels), state.step)
        real_in = state.tricks.d_input(real, state.step) if state.g_objective.needs_real and real is not None else None
        return state.g_objective(state, fake_in, labels, real_in)

    g_loss, grad_norm = generator_update(state.D, objective, state.update_g, state.autocast, measure)
    state.tricks.after_g_step(state.G, state.step)
    out = {"loss_g": g_loss}
    if grad_norm is not None:
        out["grad_norm_g"] = grad_norm
    return out
