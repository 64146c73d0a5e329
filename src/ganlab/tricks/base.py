"""Tricks override only the hooks they need; a TrickSet chains the enabled ones at fixed points of a step.

Hook points (all optional, identity by default):
- `d_input(x, step)`: what D sees, for real and fake alike (instance noise);
- `fake_for_d(fake, labels, step)`: the fake batch D trains on and its labels (experience replay);
- `replayed_for_d()`: past fakes and their labels for an extra D step after this one, or None (the list form of
  experience replay); a trick hands each batch out once;
- `targets(real_t, fake_t, step)`: D's regression targets (label smoothing, noisy labels);
- `after_g_step(G, step)`: after each generator update (weight averaging);
- `state_tensors()` / `load_state_tensors(d)`: what a checkpoint must hold for an exact resume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import torch
from torch import Tensor, nn

from ganlab.config.loading import differs_from_default
from ganlab.errors import ConfigError
from ganlab.registry import Check, Registry

if TYPE_CHECKING:
    from ganlab.config.schema import Config, TricksConfig

Labels = Tensor | None  # (B,) int64 class labels, or None for an unconditional model


class Trick:
    name = "trick"

    def d_input(self, x: Tensor, step: int) -> Tensor:
        return x

    def fake_for_d(self, fake: Tensor, labels: Labels, step: int) -> tuple[Tensor, Labels]:
        return fake, labels

    def replayed_for_d(self) -> tuple[Tensor, Labels] | None:
        return None

    def targets(self, real_t: Tensor, fake_t: Tensor, step: int) -> tuple[Tensor, Tensor]:
        return real_t, fake_t

    def after_g_step(self, G: nn.Module, step: int) -> None:
        return None

    def state_tensors(self) -> dict[str, Tensor]:
        return {}

    def load_state_tensors(self, tensors: dict[str, Tensor]) -> None:
        return None


class TrickSet(Trick):
    """The enabled tricks, applied in a fixed order."""

    name = "tricks"

    def __init__(self, tricks: list[Trick]) -> None:
        self.tricks = tricks

    def names(self) -> list[str]:
        return [t.name for t in self.tricks]

    def get(self, name: str) -> Trick | None:
        return next((t for t in self.tricks if t.name == name), None)

    def d_input(self, x: Tensor, step: int) -> Tensor:
        for t in self.tricks:
            x = t.d_input(x, step)
        return x

    def fake_for_d(self, fake: Tensor, labels: Labels, step: int) -> tuple[Tensor, Labels]:
        for t in self.tricks:
            fake, labels = t.fake_for_d(fake, labels, step)
        return fake, labels

    def replayed_for_d(self) -> tuple[Tensor, Labels] | None:
        return next((batch for t in self.tricks if (batch := t.replayed_for_d()) is not None), None)

    def targets(self, real_t: Tensor, fake_t: Tensor, step: int) -> tuple[Tensor, Tensor]:
        for t in self.tricks:
            real_t, fake_t = t.targets(real_t, fake_t, step)
        return real_t, fake_t

    def after_g_step(self, G: nn.Module, step: int) -> None:
        for t in self.tricks:
            t.after_g_step(G, step)

    def state_tensors(self) -> dict[str, Tensor]:
        return {f"{t.name}.{k}": v for t in self.tricks for k, v in t.state_tensors().items()}

    def load_state_tensors(self, tensors: dict[str, Tensor]) -> None:
        for t in self.tricks:
            prefix = f"{t.name}."
            t.load_state_tensors({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})


# (tricks config, G, the run's generator steps, the tricks' random stream) -> the hook object
Builder = Callable[["TricksConfig", nn.Module, int, torch.Generator], Trick]


@dataclass(frozen=True)
class TrickSpec:
    """One trick as the config switches it: the key that turns it on (`tricks.<name>`, set when not null or
    false), the keys that mean something only while it is on, and its hook object (None for a trick that lives
    in the models or in G's objective). `order` places its hooks among the others: lower applies first."""

    order: int
    build: Builder | None = None
    companions: tuple[str, ...] = ()
    on: Callable[[TricksConfig], bool] | None = None  # default: tricks.<name> is set


# Every trick, with its checks (run right after a config loads, by ganlab.plugins). Each trick module registers
# its own; ganlab.tricks imports every module of the package, so a new trick is its module and its config keys.
TRICKS: Registry[TrickSpec] = Registry("trick")


V = TypeVar("V")


def given(value: V | None) -> V:
    """A trick's setting inside its builder, which runs only when the trick is on (the value is set)."""
    assert value is not None
    return value


def is_on(name: str, spec: TrickSpec, tricks: TricksConfig) -> bool:
    return spec.on(tricks) if spec.on is not None else getattr(tricks, name) not in (None, False)


def chosen_tricks(tricks: TricksConfig) -> list[str]:
    """The names of the tricks a config turns on, in the order their hooks apply."""
    entries = sorted(TRICKS.entries(), key=lambda entry: entry[1].order)
    return [name for name, spec in entries if is_on(name, spec, tricks)]


@TRICKS.add_check
def _companions_need_their_trick(cfg: Config, explicit: frozenset[str]) -> None:
    """A key that only means something with another trick on, set while that trick is off, is refused."""
    for name, spec in TRICKS.entries():
        if is_on(name, spec, cfg.tricks):
            continue
        for key in spec.companions:
            if differs_from_default(cfg, f"tricks.{key}", explicit):
                got = f"tricks.{name}={getattr(cfg.tricks, name)}"
                raise ConfigError(f"tricks.{key}", f"only with tricks.{name} on", got)


def needs_targets(*keys: str) -> Check:
    """A check that the loss has targets for the label tricks `keys` that are set."""

    def check(cfg: Config, explicit: frozenset[str]) -> None:
        from ganlab.losses import LOSSES

        if LOSSES.get(cfg.loss.name, "loss.name").uses_targets:
            return
        with_targets = ", ".join(name for name, loss in LOSSES.entries() if loss.uses_targets)
        for key in keys:
            if getattr(cfg.tricks, key) is not None:
                raise ConfigError(
                    f"tricks.{key}", f"a loss with targets ({with_targets})", f"loss.name={cfg.loss.name}"
                )

    return check
