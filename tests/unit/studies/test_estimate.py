"""The study estimate: closed forms for a run's seconds and the workers' schedule, the model key, and a real
probe of a tiny model printed by `ganlab study --dry-run`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ganlab.plugins import load_config
from ganlab.progress import format_duration
from ganlab.studies.estimate import Probe, model_key, probe_model, schedule


def test_schedule_hands_each_job_to_the_first_free_worker() -> None:
    assert schedule([10.0, 10.0, 10.0, 10.0], 2) == 20.0
    assert schedule([30.0, 10.0, 10.0, 10.0], 2) == 30.0  # the short ones fill the second worker
    assert schedule([5.0, 7.0], 4) == 7.0 and schedule([], 2) == 0.0
    assert schedule([4.0, 4.0, 4.0], 1) == 12.0


def test_run_seconds_closed_form_with_evaluations_and_the_critic_boost() -> None:
    probe = Probe(step_s=0.5, eval_setup_s=3.0, eval_sample_s=0.001, threads=1)
    cfg = load_config("wgan-gp", {"train.steps": 1000, "eval.every": 300, "eval.samples": 2000})
    # 1000 steps; evaluations at 300, 600, 900 and the last step: 4 x 2000 samples + one set-up; final: 5000
    assert probe.run_seconds(cfg, ("fd_domain",), 5000) == pytest.approx(500 + 3 + 4 * 2.0 + 3 + 5.0)
    assert probe.run_seconds(cfg, (), 5000) == pytest.approx(500 + 3 + 8.0)
    boosted = replace(cfg, train=replace(cfg.train, critic_boost=100, critic_boost_first=10, critic_boost_every=500))
    # steps 0-9 and 500 are boosted: 11 x 95 extra critic steps, each a sixth of a step (n_critic = 5)
    extra = 11 * 95 * 0.5 / 6
    assert probe.run_seconds(boosted, (), 0) == pytest.approx(500 + 3 + 8.0 + extra)


def test_model_key_ignores_seed_length_and_cadences_but_not_the_model() -> None:
    cfg = load_config("dcgan")
    same = load_config("dcgan", {"train.seed": 3, "train.steps": 7, "eval.every": 5, "log.every": 9})
    wider = load_config("dcgan", {"model.g_channels": 128})
    assert model_key(cfg) == model_key(same) != model_key(wider)


def test_durations_read_naturally() -> None:
    assert [format_duration(s) for s in (45, 600, 3 * 3600, 6 * 86400)] == ["45 s", "10 min", "3.0 h", "6 days"]


@pytest.mark.slow
def test_a_real_probe_times_the_loop_and_the_evaluation(tmp_path: Path) -> None:
    cfg = load_config(
        "demo",
        {
            "data.subset": 512,
            "model.g_channels": 8,
            "model.g_max_channels": 16,
            "model.d_channels": 8,
            "model.d_max_channels": 16,
            "train.batch_size": 16,
            "train.threads": 1,
        },
    )
    probe = probe_model(cfg, ("fd_domain",), "cpu")
    assert 0 < probe.step_s < 2 and probe.threads == 1
    assert 0 < probe.eval_sample_s < 0.1 and probe.eval_setup_s >= 0


@pytest.mark.slow
def test_dry_run_prints_the_estimate_at_the_chosen_and_the_full_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli_helpers import run_cli
    from tests.integration.study_helpers import tiny_study, write_study

    study = tiny_study("est")
    study["quick"] = {"repeats": 1, "set": {"train.steps": 2}}
    path = write_study(tmp_path / "est.yaml", study)
    code, out, err = run_cli(capsys, "study", str(path), "--out", str(tmp_path / "o"), "--dry-run", "--quick")
    assert code == 0, err
    assert "estimate on this machine (1 worker)" in out
    assert "quick scale: 2 runs, 4 generator steps," in out and "full scale: 4 runs, 16 generator steps," in out
    assert "probe gan:" in err and "probe wgan-gp:" in err  # one probe per distinct model, on stderr
    assert not (tmp_path / "o").exists()
