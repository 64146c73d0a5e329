"""Critic schedule (seed 001 §5.3.1) and the by-index batch sampler."""

from __future__ import annotations

import torch

from ganlab.config.schema import TrainConfig
from ganlab.training.sampler import BatchSampler
from ganlab.training.step import critic_updates


def test_critic_schedule_boosts_first_steps_and_every_500th() -> None:
    cfg = TrainConfig(n_critic=5, critic_boost=100, critic_boost_first=100, critic_boost_every=500)
    counts = [critic_updates(cfg, s) for s in range(1001)]
    assert counts[:100] == [100] * 100
    assert counts[100:500] == [5] * 400
    assert counts[500] == 100 and counts[1000] == 100 and counts[501] == 5
    assert critic_updates(TrainConfig(n_critic=5), 0) == 5


def test_sampler_matches_reference_indexing() -> None:
    n, b = 10, 4
    sampler = BatchSampler(n, b, torch.Generator().manual_seed(7))
    got = torch.cat([sampler.next() for _ in range(4)])
    ref = torch.Generator().manual_seed(7)
    p1, p2 = torch.randperm(n, generator=ref), torch.randperm(n, generator=ref)
    expected = torch.cat([p1[:4], p1[4:8], p2[:4], p2[4:8]])  # drop-last: the 2 left of each epoch are skipped
    assert torch.equal(got, expected)


def test_sampler_resumes_exactly() -> None:
    a = BatchSampler(13, 3, torch.Generator().manual_seed(1))
    for _ in range(5):
        a.next()
    info, rng = a.state()
    b = BatchSampler(13, 3, torch.Generator().manual_seed(999))
    b.load_state(info, rng)
    assert all(torch.equal(a.next(), b.next()) for _ in range(10))
