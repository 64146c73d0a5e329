"""The diagnostics hook: warnings once each, into summary.json; replayed from metrics.jsonl on resume; eval rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganlab.diagnostics import Diagnostics, diagnostics_hooks
from ganlab.diagnostics.hook import rule_context
from ganlab.plugins import load_config
from ganlab.rundir.layout import RunDir
from ganlab.training.hooks import HookContext

D_WINS = [
    {"step": 10 * (i + 1), "loss_d": d, "loss_g": g}
    for i, (d, g) in enumerate(zip([0.9, 0.5, 0.1, 0.08, 0.05, 0.04], [1.0, 1.6, 2.2, 2.9, 3.5, 4.1], strict=True))
]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _context(run: RunDir) -> HookContext:
    return HookContext(run, lambda: 0.0, lambda: None)


def test_rule_context_from_the_config() -> None:
    ctx = rule_context(load_config("dcgan"))
    assert round(ctx.chance_loss_d, 6) == round(2 * 0.6931471805599453, 6) and ctx.clip is None and not ctx.critic
    wgan = rule_context(load_config("wgan"))
    assert wgan.chance_loss_d == 0.0 and wgan.clip == 0.01 and wgan.critic
    assert rule_context(load_config("lsgan")).chance_loss_d == 0.5  # (0 - 1)^2 / 2 + 0^2 / 2


def test_warnings_fire_once_and_come_back_on_resume(tmp_path: Path) -> None:
    config = load_config("dcgan", {"log.warn_window": 4})
    run = RunDir(tmp_path)
    ctx = _context(run)
    hook = Diagnostics(config, held_out=None)
    hook.on_start(None, ctx)  # type: ignore[arg-type]
    for row in D_WINS + D_WINS[-1:]:
        hook._observe(row)
    summary: dict[str, Any] = {"warnings": []}
    hook.on_end(None, summary)  # type: ignore[arg-type]
    assert [w["rule"] for w in summary["warnings"]] == ["discriminator_winning"]
    assert summary["warnings"][0]["step"] == 40 and "loss_d fell to 0.08" in summary["warnings"][0]["message"]
    # A resumed run replays metrics.jsonl and reports the same warning at the same step.
    _write(run.metrics, D_WINS)
    resumed = Diagnostics(config, held_out=None)
    resumed.on_start(None, ctx)  # type: ignore[arg-type]
    again: dict[str, Any] = {"warnings": []}
    resumed.on_end(None, again)  # type: ignore[arg-type]
    assert again["warnings"] == summary["warnings"]


def test_mode_collapse_is_read_from_the_eval_rows(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    _write(run.evals, [{"step": 100, "class_coverage": 1.0}, {"step": 200, "class_coverage": 0.5}])
    for every, expected in ((0, []), (100, ["mode_collapse"])):
        hook = Diagnostics(load_config("dcgan", {"eval.every": every}), held_out=None)
        hook.on_start(None, _context(run))  # type: ignore[arg-type]
        summary: dict[str, Any] = {}
        hook.on_end(None, summary)  # type: ignore[arg-type]
        assert [w["rule"] for w in summary["warnings"]] == expected


def test_the_hooks_a_config_asks_for() -> None:
    names = [type(h).__name__ for h in diagnostics_hooks(load_config("dcgan"), "cpu")]
    assert names == ["CriticGradientNorm", "Diagnostics"]
    # under gp the penalty measures ||grad_x D|| itself: no second measurement
    assert [type(h).__name__ for h in diagnostics_hooks(load_config("wgan-gp"), "cpu")] == ["Diagnostics"]
    cfg = load_config("dcgan", {"log.diagnostics": False, "log.hist_every": 10})
    assert [type(h).__name__ for h in diagnostics_hooks(cfg, "cpu")] == ["WeightHistograms"]
