"""What a re-run does with each run directory: status from the files on disk, and the study.json index."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ganlab.config import dump_yaml
from ganlab.errors import ConfigError
from ganlab.studies.grid import Cell, plan_study
from ganlab.studies.index import check_out, read_index, write_index
from ganlab.studies.jobs import ACTIONS, run_status
from ganlab.studies.runner import check_mismatch, make_jobs, survey
from ganlab.studies.schema import parse_study

METRICS = ("w1_exact",)


def fake_run(cell: Cell, status: str | None, steps: int, evaluated_at: int | None, config: Any = None) -> None:
    cell.path.mkdir(parents=True)
    (cell.path / "config.yaml").write_text(dump_yaml(config or cell.config))
    (cell.path / "checkpoints").mkdir()
    (cell.path / "checkpoints" / "latest.json").write_text(
        json.dumps({"checkpoint": f"step_{steps:07d}", "step": steps})
    )
    if status is not None:
        (cell.path / "summary.json").write_text(json.dumps({"status": status, "steps": steps, "wall_s": 1.5}))
    if evaluated_at is not None:
        (cell.path / "eval.json").write_text(
            json.dumps({"step": evaluated_at, "metrics": {"w1_exact": 2.0}, "provenance": {}})
        )


@pytest.fixture
def cells(study_data: dict[str, Any], tmp_path: Path) -> list[Cell]:
    return list(plan_study(parse_study(study_data), tmp_path / "out").cells)


def test_status_of_each_kind_of_run_directory(cells: list[Cell]) -> None:
    steps = cells[0].config.train.steps
    fake_run(cells[1], "completed", steps, steps)
    fake_run(cells[2], "completed", steps, None)
    fake_run(cells[3], "interrupted", 2, None)
    fake_run(cells[4], "completed", steps, steps - 1)  # evaluated an older checkpoint
    fake_run(cells[5], "diverged", 3, 2)
    fake_run(cells[6], "diverged", 3, None)
    fake_run(cells[7], "completed", steps - 2, steps - 2)  # the study now asks for more steps
    statuses = [run_status(c, METRICS)[0] for c in cells[:8]]
    assert statuses == ["new", "finished", "trained", "partial", "trained", "trained", "trained", "partial"]
    assert [ACTIONS.get(s) for s in statuses[:4]] == ["train", None, "evaluate", "resume"]


def test_a_diverged_and_evaluated_run_is_not_retried(cells: list[Cell]) -> None:
    fake_run(cells[0], "diverged", 3, 3)
    assert run_status(cells[0], METRICS)[0] == "diverged"


def test_a_run_made_with_other_settings_is_a_mismatch(cells: list[Cell]) -> None:
    other = replace(cells[0].config, train=replace(cells[0].config.train, batch_size=3))
    fake_run(cells[0], "completed", 4, 4, config=other)
    status, why = run_status(cells[0], METRICS)
    assert status == "mismatch" and "train.batch_size" in why
    plan_cells = [cells[0]]
    with pytest.raises(ConfigError, match="choose another --out"):
        check_mismatch(type("P", (), {"cells": plan_cells})(), [(status, why)])


def test_resumable_keys_may_differ(cells: list[Cell]) -> None:
    cfg = cells[0].config
    other = replace(cfg, train=replace(cfg.train, threads=7, steps=2), log=replace(cfg.log, every=1))
    fake_run(cells[0], "interrupted", 2, None, config=other)
    assert run_status(cells[0], METRICS)[0] == "partial"


def test_index_records_every_cell_and_refuses_another_study(study_data: dict[str, Any], tmp_path: Path) -> None:
    plan = plan_study(parse_study(study_data), tmp_path / "out")
    statuses = survey(plan)
    from ganlab.studies.index import cell_record

    records = [cell_record(plan, i, s, n, None) for i, (s, n) in enumerate(statuses)]
    write_index(plan, records, {"data.subset": 64})
    index = read_index(plan.out)
    assert index is not None and index["study"] == "mini" and index["scale"] == "full"
    assert [c["run"] for c in index["cells"]] == [c.run for c in plan.cells]
    assert index["axes"][0] == {"name": "loss", "variants": ["gan", "wgan-gp"]}
    assert index["definition"]["name"] == "mini"
    assert len(make_jobs(plan, statuses, "cpu", False)) == len(plan.cells)
    study_data["name"] = "other"
    with pytest.raises(ConfigError, match="study mini"):
        check_out(plan_study(parse_study(study_data), tmp_path / "out"))
    with pytest.raises(ConfigError, match="full scale"):
        check_out(plan_study(parse_study({**study_data, "name": "mini"}), tmp_path / "out", scale="quick"))


def test_study_json_keeps_the_wall_time_of_a_session_that_is_killed(
    study_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While runs are in flight, study.json's session wall time is rewritten every HEARTBEAT_S: a session killed
    outright (SIGKILL, a machine taken away) loses at most that much of its time. Here the runs 'take' 0.5 s and
    the beat is 0.1 s; study.json is read while they are still running, as after a kill."""
    import time

    from ganlab.studies import runner

    seen: list[float] = []

    def slow_runs(jobs: Any, finish: Any) -> None:
        time.sleep(0.5)
        seen.append(read_index(plan.out)["timing"]["sessions"][-1]["wall_s"])  # type: ignore[index]
        raise KeyboardInterrupt  # then stop, as a kill would (without the final write a kill never gets)

    monkeypatch.setattr(runner, "HEARTBEAT_S", 0.1)
    monkeypatch.setattr(runner, "run_inline", slow_runs)
    plan = plan_study(parse_study(study_data), tmp_path / "out")
    with pytest.raises(runner.StudyInterrupted):
        runner.run_study(plan, device="cpu")
    assert seen and 0.3 <= seen[0] <= 0.6


def test_the_heartbeat_beats_while_the_block_runs_and_stops_after() -> None:
    import time

    from ganlab.studies.runner import heartbeat

    beats: list[float] = []
    with heartbeat(lambda: beats.append(time.monotonic()), 0.05):
        time.sleep(0.32)
    count = len(beats)
    time.sleep(0.15)
    assert 4 <= count <= 7 and len(beats) == count
