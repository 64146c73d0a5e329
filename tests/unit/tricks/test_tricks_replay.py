"""Experience replay (seed 001 §4.2): buffer contents, the replayed share, labels, and a checkpoint round trip."""

from __future__ import annotations

import torch

from ganlab.tricks.replay import ExperienceReplay, ReplayBuffer, replay_count


def _batch(step: int, n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose every pixel holds a unique id 1000*step + i, labels i % 3."""
    ids = 1000 * step + torch.arange(n, dtype=torch.float32)
    return ids[:, None, None, None].expand(n, 1, 2, 2).clone(), torch.arange(n) % 3


def test_buffer_keeps_the_last_capacity_images_oldest_overwritten_first() -> None:
    buf = ReplayBuffer(capacity=5)
    for step in range(3):  # 3 x 2 images stored: the first one is overwritten
        images, labels = _batch(step, 2)
        buf.store(images, labels)
    assert len(buf) == 5 and buf.stored == 6
    assert buf.images is not None
    ids = sorted(buf.images[:, 0, 0, 0].tolist())
    assert ids == [1.0, 1000.0, 1001.0, 2000.0, 2001.0]


def test_replay_replaces_the_stated_share_with_past_images_and_their_labels() -> None:
    trick = ExperienceReplay(share=0.5, capacity=100, store=2, generator=torch.Generator().manual_seed(0))
    fresh, labels = _batch(0)
    out, out_labels = trick.fake_for_d(fresh, labels, step=0)
    assert out is fresh and out_labels is labels  # nothing to replay yet
    assert len(trick.buffer) == 2 and set(trick.buffer.images[:2, 0, 0, 0].tolist()) <= set(range(8))
    for step in range(1, 6):
        fresh, labels = _batch(step)
        out, out_labels = trick.fake_for_d(fresh, labels, step)
        n_old = replay_count(0.5, 8)
        ids = out[:, 0, 0, 0]
        assert n_old == 4 and out.shape == fresh.shape
        assert bool((ids[:n_old] < 1000 * step).all())  # from earlier steps
        torch.testing.assert_close(out[n_old:], fresh[n_old:])  # the rest is this step's batch
        torch.testing.assert_close(out_labels, (ids % 1000).long() % 3)  # each image keeps its own label
    assert len(trick.buffer) == 12  # two fresh images stored per step (replay_store)


def test_replay_state_round_trips_exactly() -> None:
    a = ExperienceReplay(0.25, 6, 3, torch.Generator().manual_seed(1))
    for step in range(4):
        a.fake_for_d(*_batch(step), step=step)
    b = ExperienceReplay(0.25, 6, 3, torch.Generator().manual_seed(1))
    b.load_state_tensors(a.state_tensors())
    b.generator.set_state(a.generator.get_state())
    assert b.buffer.stored == a.buffer.stored
    out_a, labels_a = a.fake_for_d(*_batch(9), step=9)
    out_b, labels_b = b.fake_for_d(*_batch(9), step=9)
    torch.testing.assert_close(out_a, out_b)
    torch.testing.assert_close(labels_a, labels_b)
