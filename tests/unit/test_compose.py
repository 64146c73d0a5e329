"""The composition root gives each run the hooks its config asks for; a torchrun follower only what every rank
measures inside the step."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from ganlab.compose import standard_hooks
from ganlab.data import load_dataset
from ganlab.plugins import load_config


def _names(config_overrides: dict[str, object], is_main: bool = True) -> list[str]:
    cfg = load_config("gan", {"data.name": "digits", **config_overrides})
    state = SimpleNamespace(world=SimpleNamespace(is_main=is_main))
    hooks = standard_hooks(cfg, state, load_dataset(cfg.data), torch.device("cpu"))  # type: ignore[arg-type]
    return [type(h).__name__ for h in hooks]


def test_evaluation_first_then_the_diagnostics() -> None:
    names = _names({"eval.every": 5, "eval.metrics": ["class_kl"], "eval.samples": 50, "log.hist_every": 10})
    assert names == ["PeriodicEvaluation", "CriticGradientNorm", "Diagnostics", "WeightHistograms", "ThreadTuner"]
    assert _names({"eval.every": 0, "log.diagnostics": False}) == ["ThreadTuner"]  # train.adaptive_threads: on
    assert _names({"eval.every": 0, "log.diagnostics": False, "train.adaptive_threads": False}) == []


def test_a_follower_measures_in_the_step_adapts_its_threads_and_evaluates_nothing() -> None:
    probes = _names({"eval.every": 5, "eval.metrics": ["class_kl"]}, is_main=False)
    assert probes == ["CriticGradientNorm", "ThreadTuner"]
    fixed = {"eval.every": 5, "log.diagnostics": False, "train.adaptive_threads": False}
    assert _names(fixed, is_main=False) == []
