"""Mixed precision and torch.compile train on the CPU with finite losses (issue 6); checkpoints stay plain."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ganlab.compose import train
from ganlab.models import build_models
from ganlab.plugins import load_config
from ganlab.rundir.run import load_run

TINY = {
    "data.name": "digits",
    "train.steps": 3,
    "train.batch_size": 8,
    "model.g_channels": 4,
    "model.g_max_channels": 8,
    "model.d_channels": 4,
    "model.d_max_channels": 8,
    "model.z_dim": 8,
    "log.every": 1,
    "log.sample_every": 0,
    "log.grid_size": 4,
    "log.tensorboard": False,
    "train.checkpoint_every": 3,
    "eval.every": 0,
}


def rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_finite_losses(run_dir: Path, steps: int) -> None:
    got = rows(run_dir)
    assert [r["step"] for r in got] == list(range(1, steps + 1))
    for row in got:
        for key in ("loss_d", "loss_g", "gp", "wasserstein"):
            if key in row:
                assert math.isfinite(row[key]), (key, row)


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "precision"), [("dcgan", "bf16"), ("wgan-gp", "bf16"), ("wgan-gp", "fp16")])
def test_mixed_precision_trains_with_finite_losses(preset: str, precision: str, tmp_path: Path) -> None:
    cfg = load_config(preset, {**TINY, "train.precision": precision})
    run = train(cfg, out=tmp_path / "run", device="cpu")
    assert run.summary["status"] == "completed" and run.summary["precision"] == precision
    assert_finite_losses(run.path, 3)
    images = run.sample(4, seed=0)
    assert torch.isfinite(images).all() and images.abs().max() <= 1


def plain_keys(cfg) -> tuple[list[str], list[str]]:
    G, D = build_models(cfg.model, (2,), 0)
    return list(G.state_dict()), list(D.state_dict())


@pytest.mark.slow
def test_compiled_models_train_and_checkpoints_hold_the_uncompiled_weights(tmp_path: Path) -> None:
    # An MLP on 2-D points keeps the inductor compile short on the CPU.
    overrides = {
        "data.name": "8gaussians",
        "data.points": 512,
        "train.steps": 3,
        "train.batch_size": 16,
        "model.g_hidden": [16],
        "model.d_hidden": [16],
        "model.z_dim": 2,
        "log.every": 1,
        "log.sample_every": 0,
        "log.grid_size": 16,
        "log.tensorboard": False,
        "train.checkpoint_every": 3,
        "eval.every": 0,
        "train.compile": True,
    }
    cfg = load_config("gan", overrides)
    run = train(cfg, out=tmp_path / "run", device="cpu")
    assert run.summary["status"] == "completed"
    assert_finite_losses(run.path, 3)
    g_keys, d_keys = plain_keys(cfg)
    (g_file,) = sorted((run.path / "checkpoints").glob("step_0000003/G.safetensors"))
    assert sorted(load_file(g_file)) == sorted(g_keys)
    assert sorted(load_file(g_file.with_name("D.safetensors"))) == sorted(d_keys)
    assert torch.isfinite(load_run(run.path).sample(8, seed=0)).all()
