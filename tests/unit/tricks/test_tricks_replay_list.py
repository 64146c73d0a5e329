"""Experience replay as a list (seed 001 §4.2, tricks.replay_list), step by step against a hand computation:
which image of each batch enters the list, after which D steps the extra step comes, and what it trains on."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from ganlab.data.base import Dataset
from ganlab.losses import LOSSES
from ganlab.plugins import load_config
from ganlab.training.state import build_state, make_optimizer
from ganlab.training.step import d_step, replay_d_step
from ganlab.tricks.replay import ReplayList, fake_side_loss

BATCH = 8
SMALL = {
    "model.g_channels": 4,
    "model.d_channels": 4,
    "model.d_dense": 8,
    "model.z_dim": 4,
    "train.batch_size": BATCH,
}


def _batch(step: int, n: int = BATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose every pixel holds a unique id 1000*step + i, labels i % 3."""
    ids = 1000 * step + torch.arange(n, dtype=torch.float32)
    return ids[:, None, None, None].expand(n, 1, 2, 2).clone(), torch.arange(n) % 3


def _labelled_images() -> Dataset:
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (64, 1, 8, 8), dtype=torch.uint8, generator=gen)
    return Dataset("toy", "image", x, torch.randint(0, 3, (64,), generator=gen), 3, "generated")


def test_one_image_of_each_batch_enters_the_list_and_a_full_list_is_handed_out_once() -> None:
    size, seed = 3, 7
    trick = ReplayList(size, torch.Generator().manual_seed(seed))
    # Hand computation of the picks: one uniform index per batch from the same stream, nothing else drawn.
    hand = torch.Generator().manual_seed(seed)
    picks = [int(torch.randint(BATCH, (1,), generator=hand)) for _ in range(7)]
    handed_out = {}
    for step in range(7):
        fresh, labels = _batch(step)
        out, out_labels = trick.fake_for_d(fresh, labels, step)
        assert out is fresh and out_labels is labels  # D's own batch is untouched
        replayed = trick.replayed_for_d()
        if replayed is not None:
            handed_out[step] = replayed
        assert trick.replayed_for_d() is None  # handed out once
    assert sorted(handed_out) == [2, 5]  # after the 3rd and the 6th batch; the 7th waits in a new list
    for last, (images, labels) in handed_out.items():
        steps = range(last - size + 1, last + 1)
        expected_ids = torch.tensor([1000.0 * s + picks[s] for s in steps])
        torch.testing.assert_close(images[:, 0, 0, 0], expected_ids)
        torch.testing.assert_close(labels, torch.tensor([picks[s] % 3 for s in steps]))  # its own label
    assert trick.list.stored == 1  # the 7th image waits in the emptied list


def test_list_state_round_trips_exactly() -> None:
    a = ReplayList(4, torch.Generator().manual_seed(1))
    for step in range(2):
        a.fake_for_d(*_batch(step), step=step)
    b = ReplayList(4, torch.Generator().manual_seed(1))
    b.load_state_tensors(a.state_tensors())
    b.generator.set_state(a.generator.get_state())
    for step in range(2, 4):
        a.fake_for_d(*_batch(step), step=step)
        b.fake_for_d(*_batch(step), step=step)
    out_a, out_b = a.replayed_for_d(), b.replayed_for_d()
    assert out_a is not None and out_b is not None
    torch.testing.assert_close(out_a[0], out_b[0])
    torch.testing.assert_close(out_a[1], out_b[1])


@pytest.mark.parametrize("loss", ["non-saturating", "minimax", "least-squares"])
def test_fake_side_loss_is_the_fake_term_of_the_target_loss(loss: str) -> None:
    logits, target = torch.randn(6, dtype=torch.float64), torch.full((6,), 0.1, dtype=torch.float64)
    if loss == "least-squares":
        expected = 0.5 * (logits - target).pow(2).mean()  # LSGAN's fake term
    else:
        expected = F.binary_cross_entropy_with_logits(logits, target)  # -[t log D + (1-t) log(1-D)]
    torch.testing.assert_close(fake_side_loss(LOSSES.get(loss).discriminator, logits, target), expected)


def test_an_extra_d_step_follows_every_full_list_and_sees_no_real_batch() -> None:
    cfg = load_config("cdcgan", {**SMALL, "tricks.replay_list": 3})
    state = build_state(cfg, _labelled_images(), torch.device("cpu"))
    replayed_at = []
    for i in range(7):
        real, labels = state.real_batch()
        if "loss_d_replay" in d_step(state, real, labels):
            replayed_at.append(i)
    assert replayed_at == [2, 5]
    assert state.d_steps == 7  # real batches D has seen: the replay steps are not counted
    adam_steps = {int(s["step"]) for s in state.opt_d.state.values()}
    assert adam_steps == {7 + 2}  # but D's optimizer took them


@pytest.mark.parametrize("fake_label", [None, 0.1])
def test_the_replay_step_regresses_the_listed_fakes_to_the_fake_target(fake_label: float | None) -> None:
    over = {**SMALL, "tricks.replay_list": 4}
    if fake_label is not None:
        over |= {"tricks.label_smoothing": 0.9, "tricks.fake_label": fake_label}  # two-sided: beta
    cfg = load_config("cdcgan", over)
    state = build_state(cfg, _labelled_images(), torch.device("cpu"))
    fakes, labels = torch.rand(4, 1, 8, 8) * 2 - 1, torch.tensor([0, 2, 1, 2])
    # Hand computation: a copy of D with a fresh optimizer, one step on BCE(D(fakes), beta or 0) alone.
    D_ref = copy.deepcopy(state.D)
    opt_ref = make_optimizer(D_ref.parameters(), cfg.optim.d)
    logits = D_ref(fakes, labels)
    expected_loss = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, fake_label or 0.0))
    expected_loss.backward()
    opt_ref.step()
    loss = replay_d_step(state, fakes, labels)
    torch.testing.assert_close(loss, expected_loss.detach())
    for p, p_ref in zip(state.D.parameters(), D_ref.parameters(), strict=True):
        torch.testing.assert_close(p, p_ref)
