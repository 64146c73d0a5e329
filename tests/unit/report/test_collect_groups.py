"""Finding runs, studies and toys on disk, and grouping repeats into models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganlab.report.collect import collect
from ganlab.report.figures import mean_band
from ganlab.report.groups import group_runs, varied_settings


def test_collect_finds_every_run_study_and_toy(report_tree: Path) -> None:
    found = collect([report_tree])
    assert sorted(r.name for r in found.runs) == ["dcgan-a", "gan-seed0", "gan-seed1", "wgan-seed0", "wgan-seed1"]
    assert [s.name for s in found.studies] == ["mini"]
    assert [p.name for t in found.toys for p in t.figures] == ["js_vs_emd.png"]
    gan0 = next(r for r in found.runs if r.name == "gan-seed0")
    assert (gan0.study, gan0.cell, gan0.variants, gan0.seed) == ("mini", "gan", {"loss": "gan"}, 0)
    assert gan0.final_metrics() == {"fd_domain": 40.0}
    assert gan0.curve("fd_domain") == [(2, 80.0), (4, 40.0)]
    assert gan0.best("fd_domain") == 40.0
    assert list(gan0.samples) == [2, 4]
    loose = next(r for r in found.runs if r.name == "dcgan-a")
    assert loose.study is None


def test_the_same_directory_given_twice_is_read_once(report_tree: Path) -> None:
    assert len(collect([report_tree, report_tree / "study"]).runs) == 5


def test_groups_are_cells_with_their_repeats(report_tree: Path) -> None:
    groups = group_runs(collect([report_tree]).runs)
    assert [g.label for g in groups] == ["dcgan", "gan", "wgan"]
    gan = groups[1]
    assert [r.seed for r in gan.runs] == [0, 1]
    final = gan.final("fd_domain")
    torch.testing.assert_close(
        torch.tensor([final.mean, final.std]), torch.tensor([42.0, float(np.std([40.0, 44.0], ddof=1))])
    )
    assert gan.statuses() == "2 completed"
    assert gan.warnings() == ["loss_d -> 0 while loss_g grows (step 3)"]
    varied = varied_settings(groups)
    assert "loss.name" in varied and "lipschitz.name" in varied
    assert "train.seed" not in varied and "name" not in varied


def test_mean_band_over_repeats_matches_numpy() -> None:
    a = (np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    b = (np.array([0.0, 1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0, 9.0]))
    steps, mean, std = mean_band([a, b])
    np.testing.assert_array_equal(steps, [0.0, 1.0, 2.0])  # only the steps both repeats have
    torch.testing.assert_close(torch.tensor(mean), torch.tensor([2.0, 3.0, 4.0], dtype=torch.float64))
    torch.testing.assert_close(torch.tensor(std), torch.tensor([np.sqrt(2.0)] * 3, dtype=torch.float64))
