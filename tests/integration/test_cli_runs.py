"""The commands a user types, end to end on a small Fashion-MNIST run: train, sample, evaluate, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from PIL import Image
from tests.cli_helpers import run_cli

TRAIN = [
    "--set",
    "train.steps=4",
    "--set",
    "train.batch_size=16",
    "--set",
    "data.subset=256",
    "--set",
    "log.every=2",
    "--set",
    "eval.every=2",
    "--set",
    "eval.samples=200",
    "--set",
    "log.sample_every=2",
    "--set",
    "train.checkpoint_every=2",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ganlab.cli import main

    out = tmp_path_factory.mktemp("cli") / "run"
    try:
        main(["train", "cdcgan", "--out", str(out), "--device", "cpu", *TRAIN])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return out


@pytest.mark.slow
def test_train_writes_evaluations_and_the_best_checkpoint(trained: Path) -> None:
    rows = [json.loads(line) for line in (trained / "eval.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    for row in rows:
        assert math.isfinite(row["fd_domain"]) and 0 < row["class_coverage"] <= 1
        prov = row["provenance"]
        assert prov["real_samples"] == 10_000 and prov["fake_samples"] == 200 and prov["reference_split"] == "test"
        assert len(prov["features"]["domain"]["sha256"]) == 64
    best = json.loads((trained / "checkpoints" / "best" / "best.json").read_text())
    assert best["metric"] == "fd_domain" and best["value"] == min(r["fd_domain"] for r in rows)
    summary = json.loads((trained / "summary.json").read_text())
    assert 0 < summary["eval_share"] < 1 and summary["best"]["value"] == best["value"]


@pytest.mark.slow
def test_sample_draws_a_class_grid_without_the_dataset(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path / "nowhere"))
    out = tmp_path / "grid.png"
    code, stdout, _ = run_cli(capsys, "sample", str(trained), "-n", "20", "--seed", "3", "-o", str(out))
    assert code == 0 and stdout.strip() == str(out)
    width, height = Image.open(out).size
    assert width > height  # 10 classes per row, 2 rows
    code, _, _ = run_cli(capsys, "sample", str(trained), "-n", "8", "--class", "3", "-o", str(tmp_path / "c3.png"))
    assert code == 0
    code, _, err = run_cli(capsys, "sample", str(trained), "-n", "8", "--class", "12")
    assert code == 2 and err.count("\n") == 1 and "--class" in err


@pytest.mark.slow
def test_evaluate_prints_a_table_and_writes_eval_json(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "evaluate", str(trained), "--samples", "300", "--metrics", "fd_domain,kd_domain,class_coverage,class_kl"
    )
    assert code == 0
    for name in ("fd_domain", "kd_domain", "class_coverage", "class_kl", "sha256"):
        assert name in out
    result = json.loads((trained / "eval.json").read_text())
    assert result["step"] == 4 and set(result["metrics"]) == {"fd_domain", "kd_domain", "class_coverage", "class_kl"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--metrics", "fid_domain"], "did you mean"),
        (["--samples", "1"], "--samples"),
        (["--metrics", "modes"], "modes"),
        (["--metrics", "fid"], "GANLAB_INCEPTION_WEIGHTS"),
        (["--device", "tpu"], "--device"),
        (["--samples", "3000000000"], "fits in memory"),  # refused before anything is allocated
    ],
)
@pytest.mark.slow
def test_evaluate_bad_input_is_one_line(
    trained: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], needle: str
) -> None:
    monkeypatch.delenv("GANLAB_INCEPTION_WEIGHTS", raising=False)
    code, _, err = run_cli(capsys, "evaluate", str(trained), *args)
    assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_commands_on_a_directory_without_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["sample", str(tmp_path)], ["evaluate", str(tmp_path)]):
        code, _, err = run_cli(capsys, *command)
        assert code == 2 and err.count("\n") == 1 and str(tmp_path) in err


def test_train_refuses_to_overwrite_a_run(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (trained / "metrics.jsonl").read_text()
    code, _, err = run_cli(capsys, "train", "dcgan", "--out", str(trained))
    assert code == 2 and "--resume" in err and err.count("\n") == 1
    assert (trained / "metrics.jsonl").read_text() == before


def test_help_of_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    commands = ["train", "presets", "sample", "evaluate", "toy", "study", "report", "data", "bench"]
    for command in commands:
        assert command in out
        code, text, _ = run_cli(capsys, command, "--help")
        assert code == 0 and "Usage" in text


def test_presets_lists_every_preset_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    from ganlab.config import preset_names

    code, out, _ = run_cli(capsys, "presets")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == len(preset_names())
    assert all("seed" in line or "et al." in line for line in lines)


def test_dry_run_prints_the_resolved_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "train", "wgan", "--set", "train.steps=9", "--dry-run")
    assert code == 0 and "steps: 9" in out and "clip: 0.01" in out


def test_toy_names_match_the_registry() -> None:
    from ganlab.toys import TOYS
    from ganlab.toys.cli import TOY_NAMES

    assert sorted(TOY_NAMES) == TOYS.names()


def test_data_list_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "data", "list")
    assert code == 0 and "fashion-mnist" in out and "/usr/share/datasets/fashion-mnist" in out
    code, out, _ = run_cli(capsys, "data", "check", "fashion-mnist")
    assert code == 0 and "60000" in out
    code, _, err = run_cli(capsys, "data", "check", "imagenet")
    assert code == 2 and err.count("\n") == 1
