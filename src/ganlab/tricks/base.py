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

from torch import Tensor, nn

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
