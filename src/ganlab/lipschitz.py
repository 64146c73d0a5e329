"""Lipschitz control of the discriminator as three hooks: prepare(D), penalty(...), after_d_step(D).

`none` does nothing, `clip` clamps every weight after each D step (WGAN, seed 003 Alg. 1 line 7),
`gp` adds the gradient penalty on random interpolates (WGAN-GP, seed 003), and `sn` reparametrises every
weight layer by its spectral norm (Miyato et al. 2018; seed 004 §4.2.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganlab.config.loading import differs_from_default
from ganlab.config.schema import Config, LipschitzConfig
from ganlab.errors import ConfigError
from ganlab.losses.penalties import gradient_norms, gradient_penalty, interpolates, skip_if_nonfinite
from ganlab.registry import Registry

Critic = Callable[[Tensor], Tensor]  # x (B, ...) -> scores (B,), labels already bound


@dataclass
class PenaltyResult:
    value: Tensor  # scalar added to D's loss (zero when the strategy has no penalty)
    grad_norm: Tensor | None  # mean ||grad D(x_hat)|| on the interpolates, when computed


class Lipschitz:
    """No constraint: the base class every strategy overrides only where it acts."""

    name = "none"

    def prepare(self, D: nn.Module) -> nn.Module:
        return D

    def penalty(
        self,
        critic: Critic,
        real: Tensor,
        fake: Tensor,
        generator: torch.Generator | None,
        scaler: torch.amp.GradScaler | None = None,
        shards: tuple[int, int] = (1, 0),
    ) -> PenaltyResult:
        """The term added to D's loss on these batches. `scaler`: D's loss scale under fp16 (the penalty's input
        gradient is scaled too); `shards`: (processes, this rank) of a torchrun training, whose ranks draw
        their slices of one global set of interpolation weights."""
        return PenaltyResult(real.new_zeros(()), None)

    def after_d_step(self, D: nn.Module) -> None:
        return None


class WeightClipping(Lipschitz):
    name = "clip"

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self._params: list[Tensor] | None = None

    @torch.no_grad()
    def after_d_step(self, D: nn.Module) -> None:
        # Every parameter, biases and norm affine terms included, as in the original WGAN code.
        if self._params is None:
            self._params = list(D.parameters())
        torch._foreach_clamp_min_(self._params, -self.bound)
        torch._foreach_clamp_max_(self._params, self.bound)


class GradientPenalty(Lipschitz):
    name = "gp"

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def penalty(
        self,
        critic: Critic,
        real: Tensor,
        fake: Tensor,
        generator: torch.Generator | None,
        scaler: torch.amp.GradScaler | None = None,
        shards: tuple[int, int] = (1, 0),
    ) -> PenaltyResult:
        # The fake batch of this D step is reused and detached: no extra generator forward and no
        # back-propagation into G during critic steps.
        points = interpolates(real, fake.detach(), generator, *shards)
        if scaler is None or not scaler.is_enabled():
            norms = gradient_norms(critic, points)
            return PenaltyResult(gradient_penalty(norms, self.weight), norms.detach().mean())
        scale = scaler.scale(torch.ones((), device=real.device))  # the current factor, without a host sync
        norms = gradient_norms(critic, points, grad_scale=scale)
        finite = torch.isfinite(norms).all()
        value = skip_if_nonfinite(gradient_penalty(norms, self.weight), finite)
        return PenaltyResult(value, torch.where(finite, norms.detach().mean(), 0.0))


class SpectralNorm(Lipschitz):
    name = "sn"

    def prepare(self, D: nn.Module) -> nn.Module:
        for module in list(D.modules()):
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and not _has_sn(module):
                nn.utils.parametrizations.spectral_norm(module)
        return D


def _has_sn(module: nn.Module) -> bool:
    parametrizations = getattr(module, "parametrizations", None)
    return parametrizations is not None and "weight" in parametrizations


def check_gp(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.model.discriminator != "mlp" and cfg.model.d_norm == "batch":
        # Batch norm couples the samples while the penalty treats each one alone (seed 001 §5.1.2).
        raise ConfigError("model.d_norm", "layer or none with lipschitz.name=gp (seed 001 §5.1.2)", "batch")


LIPSCHITZ: Registry[Callable[[LipschitzConfig], Lipschitz]] = Registry("lipschitz")
LIPSCHITZ.add("none", lambda cfg: Lipschitz())
LIPSCHITZ.add("clip", lambda cfg: WeightClipping(cfg.clip))
LIPSCHITZ.add("gp", lambda cfg: GradientPenalty(cfg.gp_weight), check=check_gp)
LIPSCHITZ.add("sn", lambda cfg: SpectralNorm())

# Keys of LipschitzConfig that only one strategy reads: setting them with another is refused at load.
OWN_KEYS = {"clip": "clip", "gp_weight": "gp"}


@LIPSCHITZ.add_check
def check_own_keys(cfg: Config, explicit: frozenset[str]) -> None:
    for key, owner in OWN_KEYS.items():
        if cfg.lipschitz.name != owner and differs_from_default(cfg, f"lipschitz.{key}", explicit):
            raise ConfigError(
                f"lipschitz.{key}", f"only with lipschitz.name={owner}", f"lipschitz.name={cfg.lipschitz.name}"
            )


def build_lipschitz(cfg: LipschitzConfig) -> Lipschitz:
    return LIPSCHITZ.get(cfg.name, "lipschitz.name")(cfg)
