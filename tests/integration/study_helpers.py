"""A tiny real study (MLP GANs on 128 Fashion-MNIST images, a few steps) for the study and report tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TINY_SET: dict[str, Any] = {
    "data.name": "fashion-mnist",
    "data.subset": 128,
    "model.g_hidden": [32],
    "model.d_hidden": [32],
    "model.z_dim": 16,
    "train.batch_size": 16,
    "train.steps": 4,
    "train.checkpoint_every": 2,
    "log.every": 2,
    "log.sample_every": 2,
    "log.grid_size": 16,
    "log.tensorboard": False,
}
GP = {"loss.name": "wasserstein", "lipschitz.name": "gp", "train.n_critic": 2}


def tiny_study(name: str, repeats: int = 2, axes: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "source": "seed 000 Table 1 (tiny test scale)",
        "base": "gan",
        "set": dict(TINY_SET),
        "axes": axes or {"loss": [{"name": "gan"}, {"name": "wgan-gp", "set": GP}]},
        "repeats": repeats,
        "evaluate": {"metrics": ["w1_exact"], "samples": 64},
        "claims": [
            {
                "claim": "wgan-gp beats gan",
                "source": "seed 000 §5.2",
                "metric": "w1_exact",
                "better": "lower",
                "compare": ["wgan-gp", "gan"],
            }
        ],
        **extra,
    }


def write_study(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
