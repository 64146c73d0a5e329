"""Warnings provoked on purpose on short real Fashion-MNIST runs, and a healthy run that stays quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ganlab.compose import train
from ganlab.plugins import load_config

TINY: dict[str, Any] = {
    "train.batch_size": 16,
    "data.subset": 512,
    "log.every": 5,
    "log.sample_every": 0,
    "log.grid_size": 8,
    "log.tensorboard": False,
    "log.warn_window": 4,
    "train.checkpoint_every": 1000,
    "eval.every": 0,
    "model.kernel_size": 4,
    "model.g_channels": 8,
    "model.d_channels": 8,
    "model.g_max_channels": 64,
    "model.d_max_channels": 64,
}


def _warnings(preset: str, overrides: dict[str, Any], out: Path) -> dict[str, dict[str, Any]]:
    run = train(load_config(preset, {**TINY, **overrides}), out=out, device="cpu")
    summary = json.loads((run.path / "summary.json").read_text())  # what the CLI prints at the end
    return {w["rule"]: w for w in summary["warnings"]}


@pytest.mark.slow
def test_a_healthy_dcgan_run_stays_quiet(tmp_path: Path) -> None:
    assert _warnings("dcgan", {"train.steps": 60}, tmp_path / "healthy") == {}


@pytest.mark.slow
def test_a_discriminator_with_ten_times_the_learning_rate_is_reported(tmp_path: Path) -> None:
    # The saturating cost with D at 10x G's learning rate: D wins (seed 001 Fig. 6) and G's gradient vanishes.
    found = _warnings("dcgan", {"train.steps": 60, "loss.name": "minimax", "optim.d.lr": 2e-3}, tmp_path / "d")
    assert set(found) == {"discriminator_winning", "vanishing_generator_gradient"}
    d_wins = found["discriminator_winning"]
    assert d_wins["evidence"]["loss_d"] < 0.1 * 1.3863 and d_wins["step"] % 5 == 0
    assert (
        found["vanishing_generator_gradient"]["evidence"]["grad_norm_g"]
        < 0.1 * found["vanishing_generator_gradient"]["evidence"]["peak"]
    )


@pytest.mark.slow
def test_a_discriminator_that_does_not_learn_is_reported(tmp_path: Path) -> None:
    found = _warnings("dcgan", {"train.steps": 25, "optim.d.lr": 1e-8}, tmp_path / "g")
    assert set(found) == {"generator_winning"}
    assert found["generator_winning"]["evidence"]["d_fake"] > found["generator_winning"]["evidence"]["d_real"]


@pytest.mark.slow
def test_clipping_too_loose_to_bound_the_critic_is_reported_with_histograms(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    over = {"train.steps": 4, "log.every": 1, "lipschitz.clip": 1.0, "optim.d.lr": 2e-3}
    over |= {"log.tensorboard": True, "log.hist_every": 2}
    found = _warnings("wgan", over, tmp_path / "clip")
    assert "lipschitz_violation" in found and found["lipschitz_violation"]["evidence"]["grad_norm_interp"] > 1
    rows = [json.loads(line) for line in (tmp_path / "clip" / "metrics.jsonl").read_text().splitlines()]
    assert all({"clipped_share", "wasserstein", "wasserstein_heldout", "grad_norm_interp"} <= set(r) for r in rows)
    events = EventAccumulator(str(tmp_path / "clip"), size_guidance={"histograms": 0}).Reload()
    tags = events.Tags()
    assert (
        any(t.startswith("weights/D/") for t in tags["histograms"]) and "train/wasserstein_heldout" in tags["scalars"]
    )
    # The WGAN preset's own bound keeps the critic's gradient far below 1: no violation.
    quiet = _warnings("wgan", {"train.steps": 4, "log.every": 1}, tmp_path / "quiet")
    assert "lipschitz_violation" not in quiet
