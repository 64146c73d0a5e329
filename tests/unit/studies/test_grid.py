"""Grid expansion: cells x seeds, override precedence, thread shares, refusals, and the named studies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ganlab.errors import ConfigError
from ganlab.studies.grid import diff, load_study, plan_study, study_names
from ganlab.studies.schema import parse_study

NAMED = {
    "losses-vs-architectures",
    "training-tricks",
    "kernel-size",
    "conditional",
    "wgan-vs-wgan-gp",
    "gan-wgan-snwgan",
    "gan-vs-dcgan",
    "dcgan-vs-wgan",
}
# The resolution each source's studies train at (issue: seed 001's DCGAN has its published depth at 32x32;
# seed 000's architecture is 64x64).
RESOLUTION = {"seed 000": 64, "seed 001": 32, "seed 002": 32, "seed 004": 32}


def test_cells_cover_the_grid_times_the_seeds(study_data: dict[str, Any], tmp_path: Path) -> None:
    plan = plan_study(parse_study(study_data), tmp_path, workers=1, cores=2)
    assert [c.run for c in plan.cells[:4]] == [
        "gan_z_dim-8-seed0",
        "gan_z_dim-8-seed1",
        "gan_z_dim-8-seed2",
        "gan_z_dim-16-seed0",
    ]
    assert len(plan.cells) == 2 * 2 * 3
    assert {c.config.train.seed for c in plan.cells} == {0, 1, 2}
    gp = next(c for c in plan.cells if c.name == "wgan-gp_z_dim-16")
    assert (gp.config.loss.name, gp.config.lipschitz.name, gp.config.model.z_dim) == ("wasserstein", "gp", 16)
    assert gp.variants == {"loss": "wgan-gp", "model.z_dim": "z_dim-16"}
    assert all(c.path.parent == tmp_path.resolve() for c in plan.cells)
    assert diff(gp.config, plan.base) == {
        "model.z_dim": 16,
        "loss.name": "wasserstein",
        "lipschitz.name": "gp",
        "train.n_critic": 2,
    }


def test_precedence_base_set_quick_variant_variant_quick_cli(study_data: dict[str, Any], tmp_path: Path) -> None:
    study_data["axes"]["loss"][0].update({"set": {"train.batch_size": 4}, "quick": {"train.batch_size": 6}})
    study_data["quick"]["set"]["data.subset"] = 32
    study = parse_study(study_data)
    full = plan_study(study, tmp_path, cores=2)
    quick = plan_study(study, tmp_path, scale="quick", sets={"data.subset": 16}, cores=2)
    gan_full = next(c for c in full.cells if c.name.startswith("gan_"))
    gan_quick = next(c for c in quick.cells if c.name.startswith("gan_"))
    assert (gan_full.config.train.batch_size, gan_full.config.train.steps, gan_full.config.data.subset) == (4, 4, 64)
    assert (gan_quick.config.train.batch_size, gan_quick.config.train.steps, gan_quick.config.data.subset) == (6, 2, 16)
    assert len(quick.cells) == 4 * 2 and quick.samples == 32  # quick: fewer repeats, fewer samples
    assert quick.base.data.subset == 16


@pytest.mark.parametrize(("workers", "cores", "threads"), [(1, 2, 2), (2, 2, 1), (3, 8, 2), (64, 4, 1)])
def test_workers_times_threads_fit_the_cores(
    study_data: dict[str, Any], tmp_path: Path, workers: int, cores: int, threads: int
) -> None:
    plan = plan_study(parse_study(study_data), tmp_path, workers=workers, cores=cores)
    assert plan.threads == threads
    assert {c.config.train.threads for c in plan.cells} == {threads}


def test_explicit_threads_are_kept(study_data: dict[str, Any], tmp_path: Path) -> None:
    plan = plan_study(parse_study(study_data), tmp_path, sets={"train.threads": 3}, workers=2, cores=2)
    assert {c.config.train.threads for c in plan.cells} == {3}


@pytest.mark.parametrize(
    ("sets", "quick", "message"),
    [
        ({"model.z_dim": 4}, False, "axis model.z_dim varies it"),
        ({"train.seed": 4}, False, "repeats choose the seeds"),
        ({"loss.name": "hinge"}, False, "axis loss varies it"),
    ],
)
def test_fixing_a_varied_key_is_refused(
    study_data: dict[str, Any], tmp_path: Path, sets: dict, quick: bool, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        plan_study(parse_study(study_data), tmp_path, scale="quick" if quick else "full", sets=sets)


def test_two_axes_setting_one_key_and_quick_over_an_axis_are_refused(
    study_data: dict[str, Any], tmp_path: Path
) -> None:
    study_data["axes"]["loss"][1]["set"]["model.z_dim"] = 32
    with pytest.raises(ConfigError, match="no other axis sets"):
        plan_study(parse_study(study_data), tmp_path)
    del study_data["axes"]["loss"][1]["set"]["model.z_dim"]
    study_data["quick"]["set"]["model.z_dim"] = 4
    with pytest.raises(ConfigError, match="quick.set model.z_dim"):
        plan_study(parse_study(study_data), tmp_path, scale="quick")


def test_a_cell_config_is_checked_and_the_error_names_the_cell(study_data: dict[str, Any], tmp_path: Path) -> None:
    study_data["axes"]["loss"][1]["set"]["lipschitz.clip"] = 0.05  # clip with gp: refused by the central check
    with pytest.raises(ConfigError) as info:
        plan_study(parse_study(study_data), tmp_path)
    assert info.value.key == "cell wgan-gp_z_dim-8: lipschitz.clip"


def test_a_variant_may_switch_the_base_preset(study_data: dict[str, Any], tmp_path: Path) -> None:
    study_data["axes"]["loss"][1] = {"name": "wgan-gp", "base": "wgan-gp"}
    plan = plan_study(parse_study(study_data), tmp_path)
    gp = next(c for c in plan.cells if c.name.startswith("wgan-gp_"))
    gan = next(c for c in plan.cells if c.name.startswith("gan_"))
    assert (gp.config.lipschitz.name, gp.config.optim.d.beta1, gp.config.model.generator) == ("gp", 0.0, "dcgan")
    assert (gan.config.loss.name, gan.config.model.generator) == ("minimax", "mlp")
    assert gp.config.data.subset == 64  # the study's `set` still applies over the variant's preset


def test_a_study_file_with_an_inline_base(tmp_path: Path) -> None:
    data = {"name": "inline", "base": {"base": "dcgan", "train": {"steps": 3}}, "axes": {"model.kernel_size": [3, 5]}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    study = load_study(path)
    assert study.origin == str(path.resolve())
    plan = plan_study(study, tmp_path / "out")
    assert [c.config.model.kernel_size for c in plan.cells] == [3, 5]
    assert {c.config.train.steps for c in plan.cells} == {3}


def test_unknown_study_name_suggests_one() -> None:
    with pytest.raises(ConfigError, match="did you mean 'kernel-size'"):
        load_study("kernel-sise")


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_studies_plan_at_both_scales_and_cite_their_sources(name: str, tmp_path: Path) -> None:
    assert set(study_names()) >= NAMED
    study = load_study(name)
    assert re.search(r"seed 00\d", study.source)
    assert all(re.search(r"seed 00\d", c.source) for c in study.claims) and study.claims
    full = plan_study(study, tmp_path)
    quick = plan_study(study, tmp_path, scale="quick")
    assert len(quick.cells) < len(full.cells) or quick.samples < full.samples
    assert all(c.config.data.name == "fashion-mnist" for c in full.cells)  # the default dataset
    assert max(c.config.train.steps * c.config.train.n_critic for c in quick.cells) <= 2000  # critic batches
    assert all(c.config.data.subset for c in quick.cells)
    other = plan_study(study, tmp_path, sets={"data.name": "mnist"})
    assert {c.config.data.name for c in other.cells} == {"mnist"}


def test_training_tricks_lab_scale_has_three_repeats_at_32_px(tmp_path: Path) -> None:
    lab = plan_study(load_study("training-tricks"), tmp_path, scale="lab")
    assert len({c.seed for c in lab.cells}) >= 3 and {c.config.data.resolution for c in lab.cells} == {32}


def test_evaluation_metrics_default_to_the_runs_eval_metrics(study_data: dict[str, Any], tmp_path: Path) -> None:
    del study_data["evaluate"]["metrics"]
    study_data["claims"] = []
    assert plan_study(parse_study(study_data), tmp_path).metrics == ("fd_domain", "class_coverage")
    study_data["evaluate"]["metrics"] = []
    assert plan_study(parse_study(study_data), tmp_path).metrics == ()


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_studies_have_a_lab_scale_that_follows_their_source(name: str, tmp_path: Path) -> None:
    study = load_study(name)
    lab = plan_study(study, tmp_path, scale="lab")
    spec = study.scale("lab")
    assert spec.budget and study.budget and study.raw.get("differences")
    seeds = {c.seed for c in lab.cells}
    assert len(seeds) >= (5 if name == "gan-wgan-snwgan" else 3)  # seed 004 ran 10; the issue asks 5 of them
    source = study.source[:8]
    assert {c.config.data.resolution for c in lab.cells} == {RESOLUTION[source]}
    assert all(c.config.data.subset is None for c in lab.cells)  # the whole training set
    periodic = [c for c in lab.cells if c.config.eval.every]
    dynamics = [c for c in study.claims if c.statistic in ("curve_mean", "instability")]
    assert not dynamics or len(periodic) == len(lab.cells)  # dynamics claims need the curves
