"""Hand-written run directories with realistic files: the study definition, provenance and a run writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganlab.config import dump_yaml
from ganlab.studies.grid import plan_study
from ganlab.studies.index import cell_record, write_index
from ganlab.studies.schema import parse_study

STUDY = {
    "name": "mini",
    "source": "seed 000 Table 1",
    "base": "gan",
    "set": {"train.steps": 4, "eval.every": 2, "eval.metrics": ["fd_domain"]},
    "axes": {"loss": [{"name": "gan"}, {"name": "wgan", "base": "wgan"}]},
    "repeats": 2,
    "evaluate": {"metrics": ["fd_domain"], "samples": 100},
    "claims": [
        {
            "claim": "wgan beats gan",
            "source": "seed 000 §5.2",
            "metric": "fd_domain",
            "better": "lower",
            "compare": ["wgan", "gan"],
        },
        {
            "claim": "wgan converges faster",
            "source": "seed 002 §V",
            "metric": "fd_domain",
            "better": "lower",
            "statistic": "curve_mean",
            "compare": ["wgan", "gan"],
        },
        {
            "claim": "gan is faster",
            "source": "seed 000 Table 2",
            "metric": "wall_s",
            "better": "lower",
            "compare": ["gan", "wgan"],
        },
    ],
}
# Final fd_domain per (cell, seed): WGAN clearly lower.
FINAL = {("gan", 0): 40.0, ("gan", 1): 44.0, ("wgan", 0): 20.0, ("wgan", 1): 23.0}
PROVENANCE = {
    "dataset": "fashion-mnist",
    "reference_split": "test",
    "real_samples": 10000,
    "fake_samples": 100,
    "seed": 0,
    "library": "ganlab 0.1.0",
    "features": {
        "domain": {
            "metrics": ["fd_domain"],
            "extractor": "ganlab domain classifier",
            "sha256": "ab" * 32,
            "library": "ganlab 0.1.0",
            "resize": "none",
        }
    },
}


def write_png(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, size=(32, 32), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def write_run(
    path: Path, config_yaml: str, final: float, wasserstein: bool, wall_s: float, warnings: list[Any]
) -> None:
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(config_yaml)
    rows = [
        {"step": s, "time_s": s * 0.5, "loss_d": 1.0 / s, "loss_g": 0.5 * s, "d_real": 0.6, "d_fake": 0.4}
        for s in (1, 2, 3, 4)
    ]
    for row in rows:
        if wasserstein:
            row["wasserstein"] = 2.0 / row["step"]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    evals = [
        {"step": 2, "time_s": 1.0, "fd_domain": final * 2, "provenance": PROVENANCE},
        {"step": 4, "time_s": 2.0, "fd_domain": final, "provenance": PROVENANCE},
    ]
    (path / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evals))
    (path / "eval.json").write_text(json.dumps({"step": 4, "metrics": {"fd_domain": final}, "provenance": PROVENANCE}))
    summary = {
        "status": "completed",
        "steps": 4,
        "wall_s": wall_s,
        "imgs_per_s": 100.0,
        "device": "cpu",
        "warnings": warnings,
    }
    (path / "summary.json").write_text(json.dumps(summary))
    for step in (2, 4):
        write_png(path / "samples" / f"step_{step:07d}.png", step)


def make_study(root: Path, finals: dict[str, list[float]], walls: dict[str, list[float]] | None = None) -> Path:
    """The conftest's two-cell study (gan, wgan) with one run per value: final fd_domain `finals[cell][seed]`,
    the eval curve (2 f, f), wall seconds `walls[cell][seed]`."""
    repeats = len(finals["gan"])
    plan = plan_study(parse_study({**STUDY, "repeats": repeats}), root / "study")
    walls = walls or {"gan": [10.0 + s for s in range(repeats)], "wgan": [30.0 + s for s in range(repeats)]}
    for cell in plan.cells:
        final, wall = finals[cell.name][cell.seed], walls[cell.name][cell.seed]
        write_run(cell.path, dump_yaml(cell.config), final, cell.name == "wgan", wall, [])
    write_index(plan, [cell_record(plan, i, "finished", "", None) for i in range(len(plan.cells))], {})
    return root
