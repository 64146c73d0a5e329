"""What G minimises, chosen once when the training state is built from the config's tricks.

- the adversarial loss through D: loss_G(D(G(z))) (Goodfellow et al. 2014; the loss's generator side);
- feature matching: ||E f(x) - E f(G(z))||² on D's last hidden layer (Salimans et al. 2016 §3.1);
- either one against D unrolled k optimiser steps ahead on this batch (Metz et al. 2017), D itself unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ganlab.config.schema import TricksConfig
from ganlab.tricks import feature_matching_loss, look_ahead
from ganlab.tricks.unrolled import Discriminator, LookAheadD

if TYPE_CHECKING:
    from ganlab.training.state import TrainState


@dataclass(frozen=True)
class GeneratorObjective:
    unrolled: int | None = None  # look-ahead steps of D (None: the current D)
    second_order: bool = False  # back-propagate through the look-ahead (Metz et al. 2017 §2.2)
    feature_matching: bool = False

    @classmethod
    def from_config(cls, tricks: TricksConfig) -> GeneratorObjective:
        return cls(tricks.unrolled, tricks.unrolled_second_order, tricks.feature_matching)

    @property
    def needs_real(self) -> bool:
        """Feature matching and the look-ahead compare with the last real batch."""
        return bool(self.unrolled) or self.feature_matching

    def __call__(self, state: TrainState, fake: Tensor, labels: Tensor | None, real: Tensor | None) -> Tensor:
        """G's loss on its fake batch `fake` (D's input: tricks applied), through D as it is or unrolled."""
        if self.needs_real and real is None:
            raise ValueError("feature matching and the unrolled discriminator need the real batch")
        D: Discriminator = state.D  # type: ignore[assignment]
        if self.unrolled:
            assert real is not None
            D = self._unrolled(state, real, fake, labels)
        if self.feature_matching:
            assert real is not None
            with torch.no_grad():
                real_features = D.features(real, labels)
            return feature_matching_loss(real_features, D.features(fake, labels))
        return state.loss.generator(D(fake, labels).float())

    def _unrolled(self, state: TrainState, real: Tensor, fake: Tensor, labels: Tensor | None) -> LookAheadD:
        """D after `unrolled` look-ahead steps on this batch, with its optimizer's rule and a copy of its state."""
        real_t, fake_t = state.tricks.targets(real.new_ones(len(real)), fake.new_zeros(len(fake)), state.step)

        def d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
            return state.loss.discriminator(real_logits, fake_logits, real_t.float(), fake_t.float())

        clip = getattr(state.lipschitz, "bound", None)  # weight clipping is part of D's update
        assert self.unrolled is not None
        return look_ahead(state.D, state.opt_d, d_loss, real, fake, labels, self.unrolled, self.second_order, clip)
