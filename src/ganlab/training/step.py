"""One discriminator step and one generator step, written to read like the papers' algorithms.

Step functions return scalar tensors; nothing here calls `.item()` (a host sync): the loop reads the
accumulated values only when it logs. Tricks enter through `state.tricks` hooks (inputs, fake batch,
targets, after G's step) and, for G's objective, feature matching and the unrolled discriminator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import torch
from torch import Tensor

from ganlab.config.schema import TrainConfig
from ganlab.training.device import frozen
from ganlab.training.distributed import average_gradients
from ganlab.training.phases import phase
from ganlab.training.state import TrainState
from ganlab.tricks import fake_side_loss, feature_matching_loss, look_ahead
from ganlab.tricks.unrolled import Discriminator, LookAheadD


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
    one pass over the weights, 1.02-1.2x faster (benchmarks/README.md). A batch-norm D gets two passes, so that
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
    """One update of D on a real batch and a fresh fake batch (seed 003 Alg. 1 lines 2-7). `measure` adds
    D's gradient norm to the returned scalars; `probe` (the hooks' measurements) sees D before its update."""
    with phase("fake_batch"), torch.no_grad(), state.autocast():  # no back-propagation into G in D's step
        fake = generate(state, len(real), labels)
    fake, fake_labels = state.tricks.fake_for_d(fake, labels, state.step)  # experience replay (seed 001 §4.2)
    with state.autocast():
        real_in = state.tricks.d_input(real, state.step)  # instance noise
        fake_in = state.tricks.d_input(fake, state.step)
        probed = probe(lambda x: state.D(x, labels), real_in, fake_in) if probe is not None else {}
        real_logits, fake_logits = _real_and_fake_logits(state, real_in, labels, fake_in, fake_labels)
        real_t, fake_t = state.tricks.targets(torch.ones_like(real_logits), torch.zeros_like(fake_logits), state.step)
        d_loss = state.loss.discriminator(real_logits, fake_logits, real_t, fake_t)
        with phase("penalty"):
            penalty = state.lipschitz.penalty(lambda x: state.D(x, labels), real_in, fake_in, state.rng["penalty"])
    state.opt_d.zero_grad(set_to_none=True)
    state.scaler_d.scale(d_loss + penalty.value).backward()
    average_gradients(state.D, state.world)  # a no-op in a single process
    grad_norm = _grad_norm(state.D, state.scaler_d) if measure else None
    with phase("optimizer"):
        state.scaler_d.step(state.opt_d)
        state.scaler_d.update()
        state.lipschitz.after_d_step(state.D)  # weight clipping lives here
    state.d_steps += 1
    out = {
        "loss_d": d_loss.detach(),
        "d_real": state.loss.readout(real_logits.detach()).mean(),  # a probability for a logit
        "d_fake": state.loss.readout(fake_logits.detach()).mean(),
    }
    if state.loss.is_critic:  # the critic's estimate of W1, without the penalty (seed 000 §5.1)
        out["wasserstein"] = real_logits.detach().mean() - fake_logits.detach().mean()
    out.update(probed)
    if penalty.grad_norm is not None:  # the penalty's own measurement of ||grad_x D|| on the interpolates
        out["gp"] = penalty.value.detach()
        out["grad_norm_interp"] = penalty.grad_norm
    if grad_norm is not None:
        out["grad_norm_d"] = grad_norm
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
    state.opt_d.zero_grad(set_to_none=True)
    state.scaler_d.scale(d_loss).backward()
    average_gradients(state.D, state.world)
    with phase("optimizer"):
        state.scaler_d.step(state.opt_d)
        state.scaler_d.update()
        state.lipschitz.after_d_step(state.D)  # weight clipping lives here
    return d_loss.detach()


def g_step(
    state: TrainState, labels: Tensor | None, measure: bool = False, real: Tensor | None = None
) -> dict[str, Tensor]:
    """One update of G through the current D (seed 003 Alg. 1 lines 9-11); `real` (the last real batch) is
    needed by feature matching and the unrolled discriminator."""
    tricks, batch_size = state.config.tricks, state.batch_size
    with frozen(state.D), state.autocast():
        fake = generate(state, batch_size, labels)
        fake_in = state.tricks.d_input(fake, state.step)
        D = cast(Discriminator, state.D)
        if tricks.unrolled or tricks.feature_matching:
            assert real is not None, "feature matching and the unrolled discriminator need the real batch"
            real_in = state.tricks.d_input(real, state.step)
        if tricks.unrolled:  # Metz et al. 2017: answer D as it will be k steps from now
            D = _unrolled(state, real_in, fake_in, labels)
        if tricks.feature_matching:  # Salimans et al. 2016 §3.1: match E[f(x)] on D's last hidden layer
            with torch.no_grad():
                real_features = D.features(real_in, labels)
            g_loss = feature_matching_loss(real_features, D.features(fake_in, labels))
        else:
            g_loss = state.loss.generator(D(fake_in, labels).float())
    state.opt_g.zero_grad(set_to_none=True)
    state.scaler_g.scale(g_loss).backward()
    average_gradients(state.G, state.world)
    grad_norm = _grad_norm(state.G, state.scaler_g) if measure else None
    with phase("optimizer"):
        state.scaler_g.step(state.opt_g)
        state.scaler_g.update()
    state.tricks.after_g_step(state.G, state.step)
    out = {"loss_g": g_loss.detach()}
    if grad_norm is not None:
        out["grad_norm_g"] = grad_norm
    return out


def _unrolled(state: TrainState, real_in: Tensor, fake_in: Tensor, labels: Tensor | None) -> LookAheadD:
    """D after tricks.unrolled look-ahead steps on this batch, with its optimizer's rule and a copy of its state."""
    tricks = state.config.tricks
    real_t, fake_t = state.tricks.targets(real_in.new_ones(len(real_in)), fake_in.new_zeros(len(fake_in)), state.step)

    def d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return state.loss.discriminator(real_logits, fake_logits, real_t.float(), fake_t.float())

    clip = getattr(state.lipschitz, "bound", None)  # weight clipping is part of D's update
    assert tricks.unrolled is not None
    return look_ahead(
        state.D, state.opt_d, d_loss, real_in, fake_in, labels, tricks.unrolled, tricks.unrolled_second_order, clip
    )


def _grad_norm(module: torch.nn.Module, scaler: torch.amp.GradScaler) -> Tensor:
    """Global L2 norm of the parameter gradients (unscaled under fp16, by the scale tensor: no host sync)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = scaler._get_scale_async() if scaler.is_enabled() else None  # get_scale() would read it on the host
    return norm / scale if scale is not None else norm
