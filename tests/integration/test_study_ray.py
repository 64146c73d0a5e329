"""`--backend ray` with a real local Ray instance started on the spot: the same runs, the same layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli_helpers import run_cli
from tests.integration.study_helpers import tiny_study, write_study

pytestmark = pytest.mark.slow


def test_ray_backend_runs_each_run_as_a_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Ray is an optional extra that the test set-up installs (pip install -e '.[ray]'): missing, this fails.
    import ray

    study_file = write_study(tmp_path / "tiny.yaml", tiny_study("tiny-ray", repeats=1))
    out = tmp_path / "out"
    args = ["study", str(study_file), "--out", str(out), "--backend", "ray", "--workers", "2"]
    code, stdout, err = run_cli(capsys, *args)
    assert code == 0, err
    assert "2 of 2 runs to do" in err and "(ray, 2 workers, train.threads=1)" in err
    index = json.loads((out / "study.json").read_text())
    assert [(c["run"], c["status"]) for c in index["cells"]] == [
        ("gan-seed0", "finished"),
        ("wgan-gp-seed0", "finished"),
    ]
    for cell in index["cells"]:
        summary = json.loads((out / cell["run"] / "summary.json").read_text())
        assert (summary["status"], summary["steps"]) == ("completed", 4)
        assert (out / cell["run"] / "eval.json").is_file()
        assert (out / cell["run"] / "samples" / "step_0000004.png").is_file()
    assert not ray.is_initialized()  # the instance we started is shut down again
    code, _, err = run_cli(capsys, *args)
    assert code == 0 and "0 of 2 runs to do" in err
