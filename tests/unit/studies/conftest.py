"""A small study mapping shared by the studies tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

STUDY: dict[str, Any] = {
    "name": "mini",
    "source": "seed 000 Table 1",
    "description": "two losses x two widths",
    "base": "gan",
    "set": {"data.subset": 64, "train.steps": 4, "train.batch_size": 8, "model.g_hidden": [16], "model.d_hidden": [16]},
    "axes": {
        "loss": [
            {"name": "gan"},
            {"name": "wgan-gp", "set": {"loss.name": "wasserstein", "lipschitz.name": "gp", "train.n_critic": 2}},
        ],
        "model.z_dim": [8, 16],
    },
    "repeats": 3,
    "evaluate": {"metrics": ["w1_exact"], "samples": 64},
    "quick": {"repeats": 2, "samples": 32, "set": {"train.steps": 2}},
    "claims": [
        {
            "claim": "gp wins",
            "source": "seed 000 §5.2",
            "metric": "w1_exact",
            "better": "lower",
            "compare": ["wgan-gp", "gan"],
        },
    ],
}


@pytest.fixture
def study_data() -> dict[str, Any]:
    return copy.deepcopy(STUDY)
