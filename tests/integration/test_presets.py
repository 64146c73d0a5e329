"""Each preset trains for real on a Fashion-MNIST subset and writes the whole run directory (shared/SPEC.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from ganlab.compose import train
from ganlab.config import preset_names
from ganlab.plugins import load_config
from ganlab.rundir.run import load_run

TINY = {
    "train.steps": 2,
    "train.batch_size": 16,
    "data.subset": 128,
    "log.every": 1,
    "log.sample_every": 1,
    "log.grid_size": 16,
    "train.checkpoint_every": 1,
    "eval.every": 0,
}


@pytest.mark.slow
@pytest.mark.parametrize("preset", preset_names())
def test_preset_trains_on_fashion_mnist(preset: str, tmp_path: Path) -> None:
    cfg = load_config(preset, TINY)
    run = train(cfg, out=tmp_path / preset, device="cpu")
    d = run.path
    assert (d / "config.yaml").is_file() and load_config(d / "config.yaml") == cfg
    rows = [json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        for key in ("time_s", "loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"):
            assert math.isfinite(row[key]), (key, row)
        if cfg.loss.name == "wasserstein":
            assert math.isfinite(row["wasserstein"])
        if cfg.lipschitz.name == "gp":
            assert row["gp"] >= 0
    assert (d / "samples" / "step_0000001.png").is_file() and (d / "samples" / "step_0000002.png").is_file()
    assert list(d.glob("events.out.tfevents.*"))
    ckpt = d / "checkpoints" / "step_0000002"
    assert {
        "G.safetensors",
        "D.safetensors",
        "opt_g.safetensors",
        "opt_d.safetensors",
        "rng.safetensors",
        "state.json",
        "manifest.json",
    } <= {p.name for p in ckpt.iterdir()}
    summary = json.loads((d / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 2 and summary["imgs_per_s"] > 0
    # n_critic D steps a G step, or the seed 001 §5.3.1 boost (cwgan-gp: 100 for the first 100 G steps)
    expected = 2 * (cfg.train.critic_boost if cfg.train.critic_boost else cfg.train.n_critic)
    assert summary["d_steps"] == expected
    images = run.sample(5, seed=0)
    assert images.shape[0] == 5 and images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, load_run(d).sample(5, seed=0))
