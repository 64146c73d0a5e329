"""Batches by index from a tensor on the training device: a fresh permutation per epoch, drop-last.

The state is the data RNG's state at the start of the current epoch plus the position in it, so a resume
regenerates the same permutation and continues exactly where the run stopped.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class BatchSampler:
    def __init__(self, n: int, batch_size: int, generator: torch.Generator) -> None:
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self.epoch, self.pos = -1, n  # forces a new epoch on the first draw
        self.perm: Tensor | None = None
        self.epoch_rng = generator.get_state()

    def _new_epoch(self) -> None:
        self.epoch_rng = self.generator.get_state()
        self.perm = torch.randperm(self.n, generator=self.generator, device=self.generator.device)
        self.epoch, self.pos = self.epoch + 1, 0

    def next(self) -> Tensor:
        """Indices (B,) of the next batch, on the generator's device."""
        if self.pos + self.batch_size > self.n:
            self._new_epoch()
        assert self.perm is not None
        idx = self.perm[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def state(self) -> tuple[dict[str, Any], Tensor]:
        return {"epoch": self.epoch, "pos": self.pos}, self.epoch_rng

    def load_state(self, info: dict[str, Any], epoch_rng: Tensor) -> None:
        self.epoch = int(info["epoch"])
        if self.epoch < 0:
            self.pos, self.perm = self.n, None
            self.generator.set_state(epoch_rng)
            self.epoch_rng = epoch_rng
            return
        self.generator.set_state(epoch_rng)
        self.epoch -= 1
        self._new_epoch()
        self.pos = int(info["pos"])
