"""Experience replay (seed 001 §4.2): D also sees images G produced in the past, so it keeps calling them fake.

Two forms, labels travelling with their images so that a conditional D judges each replayed image against the
class it was generated for:
- `ExperienceReplay` (tricks.replay, "mix"): a first-in-first-out buffer of `capacity` images. Each D step
  replaces the share `share` of the fresh fake batch by images drawn uniformly (with replacement) from the
  buffer, then stores `store` fresh images picked at random;
- `ReplayList` (tricks.replay_list, "list"), as the seed writes it: "we maintain a list of generated images by
  picking randomly an image for each batch. [...] When the length of the list is equal to exp_replay we make a
  discriminator training step using these images". D's own batches are left as they are; the extra step
  (training/step.py `replay_d_step`) regresses the listed images to the fake target, and the list starts again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ganlab.errors import ConfigError
from ganlab.losses.adversarial import DLoss
from ganlab.tricks.base import TRICKS, Labels, Trick, TrickSpec, given, needs_targets

if TYPE_CHECKING:
    from ganlab.config.schema import Config


def replay_count(share: float, batch: int) -> int:
    """How many of a fake batch of `batch` come from the buffer."""
    return round(share * batch)


class ReplayBuffer:
    """The last `capacity` stored images (and labels), oldest overwritten first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.images: Tensor | None = None  # (capacity, ...) float32, allocated at the first store
        self.labels: Tensor | None = None  # (capacity,) int64 when labels are stored
        self.stored = 0  # images ever stored; the next slot is stored % capacity

    def __len__(self) -> int:
        return min(self.stored, self.capacity)

    def store(self, images: Tensor, labels: Labels) -> None:
        if self.images is None:
            self.images = images.new_zeros((self.capacity, *images.shape[1:]), dtype=torch.float32)
            self.labels = None if labels is None else labels.new_zeros(self.capacity)
        slots = (self.stored + torch.arange(len(images), device=images.device)) % self.capacity
        self.images[slots] = images.detach().float()
        if self.labels is not None and labels is not None:
            self.labels[slots] = labels
        self.stored += len(images)

    def draw(self, n: int, generator: torch.Generator, device: torch.device) -> tuple[Tensor, Labels]:
        assert self.images is not None and len(self) > 0
        idx = torch.randint(len(self), (n,), generator=generator, device=device)
        return self.images[idx], None if self.labels is None else self.labels[idx]

    def state_tensors(self, counter: str) -> dict[str, Tensor]:
        """The images, labels and the count of stores (under the key `counter`) for a checkpoint."""
        out = {counter: torch.tensor([self.stored], dtype=torch.int64)}
        if self.images is not None:
            out["images"] = self.images
        if self.labels is not None:
            out["labels"] = self.labels
        return out

    def load_state_tensors(self, tensors: dict[str, Tensor], counter: str, device: torch.device) -> None:
        self.stored = int(tensors[counter][0]) if counter in tensors else 0
        self.images = tensors["images"].to(device) if "images" in tensors else None
        self.labels = tensors["labels"].to(device) if "labels" in tensors else None


class ExperienceReplay(Trick):
    name = "replay"

    def __init__(self, share: float, capacity: int, store: int, generator: torch.Generator) -> None:
        self.share, self.store, self.generator = share, store, generator
        self.buffer = ReplayBuffer(capacity)

    def fake_for_d(self, fake: Tensor, labels: Labels, step: int) -> tuple[Tensor, Labels]:
        n_fresh = min(self.store, len(fake))
        picked = torch.randperm(len(fake), generator=self.generator, device=fake.device)[:n_fresh]
        n_old = replay_count(self.share, len(fake)) if len(self.buffer) else 0
        out, out_labels = fake, labels
        if n_old:  # replayed images first: fake rows are exchangeable, so which rows they replace is immaterial
            old, old_labels = self.buffer.draw(n_old, self.generator, fake.device)
            out = torch.cat([old.to(fake.dtype), fake[n_old:]])
            if labels is not None and old_labels is not None:
                out_labels = torch.cat([old_labels, labels[n_old:]])
        self.buffer.store(fake[picked], None if labels is None else labels[picked])
        return out, out_labels

    def state_tensors(self) -> dict[str, Tensor]:
        return self.buffer.state_tensors("stored")

    def load_state_tensors(self, tensors: dict[str, Tensor]) -> None:
        self.buffer.load_state_tensors(tensors, "stored", self.generator.device)


def fake_side_loss(d_loss: DLoss, fake_logits: Tensor, fake_target: Tensor) -> Tensor:
    """The fake term alone of a loss with targets, for the replay step that shows D only past fakes.

    The target losses (logistic, least squares) are one per-sample term applied to each side and summed, so the
    loss with the replayed batch on both sides is twice its fake term."""
    return 0.5 * d_loss(fake_logits, fake_logits, fake_target, fake_target)


class ReplayList(Trick):
    """One fake image of each D batch into a list; a full list of `size` is handed out for an extra D step."""

    name = "replay_list"

    def __init__(self, size: int, generator: torch.Generator) -> None:
        self.size, self.generator = size, generator
        self.list = ReplayBuffer(size)  # filled from slot 0 and emptied when handed out: `stored` is its length

    def fake_for_d(self, fake: Tensor, labels: Labels, step: int) -> tuple[Tensor, Labels]:
        pick = torch.randint(len(fake), (1,), generator=self.generator, device=fake.device)  # stays on the device
        self.list.store(fake[pick], None if labels is None else labels[pick])
        return fake, labels  # D's own fake batch is untouched

    def replayed_for_d(self) -> tuple[Tensor, Labels] | None:
        if self.list.stored < self.size or self.list.images is None:
            return None
        self.list.stored = 0  # the list empties; its tensors are overwritten from the next batch on
        labels = self.list.labels
        return self.list.images.clone(), None if labels is None else labels.clone()

    def state_tensors(self) -> dict[str, Tensor]:
        return self.list.state_tensors("count")

    def load_state_tensors(self, tensors: dict[str, Tensor]) -> None:
        self.list.load_state_tensors(tensors, "count", self.generator.device)


def check_replay(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.tricks.replay_store > cfg.train.batch_size:
        raise ConfigError(
            "tricks.replay_store", f"at most train.batch_size ({cfg.train.batch_size})", cfg.tricks.replay_store
        )


def check_replay_list(cfg: Config, explicit: frozenset[str]) -> None:
    """The list form of experience replay (seed 001 §4.2): its extra D step shows D past fakes alone."""
    key, size = "tricks.replay_list", cfg.tricks.replay_list
    if cfg.tricks.replay is not None:
        raise ConfigError(key, "null with tricks.replay (one form of experience replay at a time)", size)
    needs_targets("replay_list")(cfg, explicit)  # a critic shown fakes alone would only push them down
    if cfg.lipschitz.name == "gp":
        raise ConfigError(
            key, "lipschitz.name none, clip or sn (the replay step has no real batch)", "lipschitz.name=gp"
        )
    if size is not None and size < 2 and cfg.model.d_norm == "batch":
        raise ConfigError(key, "at least 2 with batch norm in D (the replay step is a batch)", size)


TRICKS.add(
    "replay",
    TrickSpec(
        40,
        lambda t, G, steps, rng: ExperienceReplay(given(t.replay), t.replay_size, t.replay_store, rng),
        companions=("replay_size", "replay_store"),
    ),
    check=check_replay,
)
TRICKS.add(
    "replay_list",
    TrickSpec(50, lambda t, G, steps, rng: ReplayList(given(t.replay_list), rng)),
    check=check_replay_list,
)
