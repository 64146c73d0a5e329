"""A critic that treats samples independently sees real and fake in one forward pass (training/step.py); the update
is the one two passes make. Batch norm and minibatch discrimination keep two passes."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.testing import assert_close

from ganlab.data.base import Dataset
from ganlab.plugins import load_config
from ganlab.training.state import build_state
from ganlab.training.step import d_step

SMALL = {"model.g_channels": 4, "model.d_channels": 4, "model.z_dim": 4, "train.batch_size": 8}


def images(labels: bool = False) -> Dataset:
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (32, 1, 8, 8), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 3, (32,), generator=gen) if labels else None
    return Dataset("toy", "image", x, y, 3 if labels else 0, "generated")


@pytest.mark.parametrize(
    ("preset", "overrides", "joint"),
    [
        ("wgan", {}, True),  # no normalisation in the critic (seed 000 §4.2)
        ("wgan-gp", {}, True),  # layer norm: per sample
        ("sn-wgan", {}, True),
        ("dcgan", {}, False),  # batch norm
        ("wgan", {"tricks.minibatch_discrimination": True}, False),
    ],
)
def test_which_critics_take_one_pass(preset: str, overrides: dict, joint: bool) -> None:
    state = build_state(load_config(preset, {**SMALL, **overrides}), images(), torch.device("cpu"))
    assert state.joint_critic is joint


@pytest.mark.parametrize(("preset", "labelled"), [("wgan-gp", False), ("wgan", False), ("cwgan-gp", True)])
def test_one_pass_makes_the_two_pass_update(preset: str, labelled: bool) -> None:
    data = images(labelled)
    results = []
    for joint in (True, False):
        state = build_state(load_config(preset, SMALL), data, torch.device("cpu"))
        state = dataclasses.replace(state, joint_critic=joint)
        outs = []
        for _ in range(2):
            real, labels = state.real_batch()
            outs.append(d_step(state, real, labels))
        results.append((outs, [p.detach().clone() for p in state.D.parameters()]))
    (outs_joint, params_joint), (outs_split, params_split) = results
    for a, b in zip(outs_joint, outs_split, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(params_joint, params_split, strict=True):
        assert_close(a, b, rtol=1e-5, atol=1e-6)
