"""Short real Fashion-MNIST runs with the tricks on: all compatible tricks at once, and an exact resume."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from ganlab.compose import train
from ganlab.plugins import load_config
from ganlab.rundir.checkpoint import load_latest
from ganlab.rundir.run import load_run

TINY: dict[str, Any] = {
    "train.batch_size": 16,
    "data.subset": 256,
    "log.every": 2,
    "log.sample_every": 0,
    "log.grid_size": 8,
    "log.tensorboard": False,
    "eval.every": 0,
    "model.g_channels": 8,
    "model.d_channels": 8,
    "model.g_max_channels": 32,
    "model.d_max_channels": 32,
    "model.d_dense": 32,
}
EVERY_TRICK: dict[str, Any] = {
    "tricks.label_smoothing": 0.9,
    "tricks.fake_label": 0.1,
    "tricks.noisy_labels": 0.05,
    "tricks.instance_noise": 0.1,
    "tricks.instance_noise_steps": 10,
    "tricks.replay": 0.5,
    "tricks.replay_size": 32,
    "tricks.replay_store": 4,
    "tricks.minibatch_discrimination": True,
    "tricks.mbd_kernels": 16,
    "tricks.virtual_batch_norm": True,
    "tricks.vbn_reference_size": 8,
    "tricks.feature_matching": True,
    "tricks.unrolled": 2,
    "tricks.ema": 0.9,
}


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["cdcgan", "gan"])
def test_every_compatible_trick_at_once_trains_with_finite_losses(preset: str, tmp_path: Path) -> None:
    tricks = {k: v for k, v in EVERY_TRICK.items() if preset != "gan" or "vbn" not in k and "virtual" not in k}
    over = {**TINY, **tricks, "train.steps": 6, "train.checkpoint_every": 6}
    if preset == "gan":
        over |= {"model.g_hidden": [32, 64], "model.d_hidden": [64, 32]}
    run = train(load_config(preset, over), out=tmp_path / preset, device="cpu")
    rows = run.metrics()
    assert [r["step"] for r in rows] == [2, 4, 6]
    for row in rows:
        for key in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "grad_norm_interp"):
            assert math.isfinite(row[key]), (key, row)
    assert run.summary["status"] == "completed" and run.summary["warnings"] == []
    again = load_run(run.path)  # VBN's reference batch and the minibatch head load from the checkpoint
    labels = torch.arange(4) % 10 if preset == "cdcgan" else None
    torch.testing.assert_close(again.sample(4, labels=labels, seed=1), run.sample(4, labels=labels, seed=1))


@pytest.mark.slow
def test_resume_with_stateful_tricks_is_exact(tmp_path: Path) -> None:
    over = {**TINY, **EVERY_TRICK, "train.checkpoint_every": 2, "tricks.unrolled": 1}
    straight = train(load_config("cdcgan", {**over, "train.steps": 4}), out=tmp_path / "straight", device="cpu")
    train(load_config("cdcgan", {**over, "train.steps": 2}), out=tmp_path / "resumed", device="cpu")
    resumed = train(
        load_config("cdcgan", {**over, "train.steps": 4}), out=tmp_path / "resumed", resume=True, device="cpu"
    )
    _, a, _ = load_latest(straight.path / "checkpoints")
    _, b, _ = load_latest(resumed.path / "checkpoints")
    assert "replay.images" in a["tricks"] and "ema.G.reference_z" in a["tricks"]
    for group in ("G", "D", "opt_g", "opt_d", "tricks", "rng"):
        assert a[group].keys() == b[group].keys()
        for key in a[group]:
            torch.testing.assert_close(a[group][key], b[group][key], rtol=0, atol=0, msg=f"{group}.{key}")
