"""`ganlab study` without training: --list, --dry-run, and the one-line errors with exit 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests import cli_helpers


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return cli_helpers.run_cli(capsys, *args)


def test_list_names_the_shipped_studies(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["study", "--list"], capsys)
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} >= {"kernel-size", "gan-wgan-snwgan", "conditional"}


def test_dry_run_lists_cells_settings_and_status(
    study_data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(study_data))
    out_dir = tmp_path / "out"
    code, out, _ = run_cli(["study", str(path), "--out", str(out_dir), "--dry-run", "--quick", "--no-estimate"], capsys)
    assert code == 0
    assert "quick scale" in out and str(out_dir.resolve()) in out
    assert "wgan-gp_z_dim-16-seed1" in out and "new" in out
    assert "loss.name=wasserstein, lipschitz.name=gp, train.n_critic=2" in out
    assert not out_dir.exists()  # a dry run writes nothing
    code, out, _ = run_cli(["study", str(path), "--out", str(out_dir), "--dry-run", "--full", "--no-estimate"], capsys)
    assert "gp_weight: 10.0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "no-such-study"], "expected one of"),
        (["study", "kernel-size", "--set", "model.kernel_size=3", "--dry-run"], "axis kernel varies it"),
        (["study", "kernel-size", "--workers", "0"], "--workers"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_ray_backend_without_ray_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, as where the extra is missing
    code, _, err = run_cli(
        ["study", "kernel-size", "--quick", "--backend", "ray", "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2
    assert "pip install 'ganlab[ray]'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_huge_grid_says_its_size_first_and_is_refused_unless_allowed(
    study_data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three axes of 12 values and 3 seeds: 5,184 runs. Refused in one line giving the size before a cell is built;
    planned with --allow-large, which says the size first."""
    study_data["axes"] = {
        "model.z_dim": list(range(8, 20)),
        "train.batch_size": list(range(4, 16)),
        "train.n_critic": list(range(1, 13)),
    }
    study_data["claims"] = []
    path = tmp_path / "huge.yaml"
    path.write_text(yaml.safe_dump(study_data))
    args = ["study", str(path), "--out", str(tmp_path / "out"), "--dry-run", "--no-estimate"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert (
        "at most 1,000 runs, or --allow-large" in err and "this one has 5,184: 12 x 12 x 12 variants x 3 seeds" in err
    )
    code, out, err = run_cli([*args, "--quick"], capsys)  # 2 seeds: 3,456, still refused
    assert code == 2 and "3,456" in err
    code, out, err = run_cli([*args, "--allow-large"], capsys)
    assert code == 0, err
    assert (
        err.splitlines()[0]
        == "ganlab: study mini at the full scale: 5,184 runs (12 x 12 x 12 variants x 3 seeds); planning them"
    )
    assert "z_dim-19_batch_size-15_n_critic-12-seed2" in out
    assert not (tmp_path / "out").exists()
