"""ganlab.evaluate: eval.json, the table, bad input, conditional labels, and the periodic evaluator."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import torch

from ganlab.config.schema import Config, DataConfig, EvalConfig, ModelConfig
from ganlab.data import load_dataset
from ganlab.data.toy2d import mixture_modes
from ganlab.errors import ConfigError, MetricError
from ganlab.evaluation import PeriodicEvaluator, evaluate, format_table, matching_labels


def mixture_sampler(n: int, labels: torch.Tensor | None, seed: int = 0) -> torch.Tensor:
    """A perfect 8gaussians sampler; with labels, samples come from those modes."""
    centers, std = mixture_modes("8gaussians")
    gen = torch.Generator().manual_seed(seed)
    modes = labels if labels is not None else torch.randint(len(centers), (n,), generator=gen)
    return centers[modes] + std * torch.randn(n, 2, generator=gen)


@dataclass
class FakeRun:
    """The duck type evaluate needs: config, path, checkpoint_step, sample_chunks() (chunks of 300)."""

    path: Path
    config: Config = field(default_factory=lambda: Config(data=DataConfig(name="8gaussians", points=2000)))
    checkpoint_step: int = 1234
    seen_labels: list = field(default_factory=list)

    def sample_chunks(
        self, n: int, labels: torch.Tensor | None = None, seed: int | None = None, *, progress: object = False
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        self.seen_labels.append(labels)
        fake = mixture_sampler(n, labels, seed or 0)
        for start in range(0, n, 300):
            yield fake[start : start + 300], None if labels is None else labels[start : start + 300]


def test_evaluate_writes_eval_json_and_returns_values(tmp_path):
    run = FakeRun(tmp_path)
    values = evaluate(run, samples=800)
    assert list(values) == ["modes", "high_quality"]  # the config's defaults, filtered to a 2-D mixture
    assert values["modes"] == 8
    written = json.loads((tmp_path / "eval.json").read_text())
    assert written["step"] == 1234 and written["metrics"] == values
    provenance = written["provenance"]
    assert provenance["fake_samples"] == 800 and provenance["real_samples"] == 2000
    assert provenance["reference_split"] == "test" and provenance["seed"] == 0
    table = format_table(written)
    assert "modes" in table and "high_quality" in table and "test split" in table and "checkpoint step 1234" in table


def test_explicit_metrics_and_unknown_names(tmp_path):
    run = FakeRun(tmp_path)
    assert list(evaluate(run, metrics=["w1_exact"], samples=300)) == ["w1_exact"]
    with pytest.raises(ConfigError, match="--metrics"):
        evaluate(run, metrics=["fidd"], samples=300)


@pytest.mark.parametrize("samples", [1, 0, -5])
def test_too_few_samples_name_the_flag(tmp_path, samples):
    with pytest.raises(MetricError, match="--samples"):
        evaluate(FakeRun(tmp_path), samples=samples)


def test_conditional_runs_get_labels_with_the_real_frequencies(tmp_path):
    base = Config(data=DataConfig(name="8gaussians", points=2000))
    run = FakeRun(tmp_path, config=replace(base, model=ModelConfig(conditional=True)))
    evaluate(run, samples=4000)
    labels = run.seen_labels[-1]
    assert labels is not None and len(labels) == 4000
    real = load_dataset(base.data, "test")
    want = torch.bincount(real.labels, minlength=8).double() / len(real)
    got = torch.bincount(labels, minlength=8).double() / len(labels)
    assert torch.all((got - want).abs() <= 4 * torch.sqrt(want * (1 - want) / 4000))


def test_matching_labels_need_labels():
    swiss = load_dataset(DataConfig(name="swissroll", points=50), "test")
    with pytest.raises(MetricError, match="swissroll"):
        matching_labels(swiss, 10, 0)


def test_periodic_evaluator_caches_reference_and_generates_in_chunks():
    cfg = Config(data=DataConfig(name="8gaussians", points=2000), eval=EvalConfig(every=10, samples=1200))
    train, test = load_dataset(cfg.data, "train"), load_dataset(cfg.data, "test")
    evaluator = PeriodicEvaluator(cfg, train, test, "cpu")
    calls = []

    def sample_fn(n: int, labels: torch.Tensor | None) -> torch.Tensor:
        calls.append(n)
        assert not torch.is_grad_enabled()
        return mixture_sampler(n, labels, len(calls))

    values, provenance = evaluator(sample_fn, step=10)
    assert calls == [500, 500, 200] and sum(calls) == cfg.eval.samples
    assert values["modes"] == 8
    expected = 1 - math.exp(-4.5)
    assert abs(values["high_quality"] - expected) <= 4 * math.sqrt(expected * (1 - expected) / 1200)
    assert provenance["step"] == 10 and provenance["fake_samples"] == 1200
    reference = evaluator.suite.references["mixture"]
    evaluator(sample_fn, step=20)
    assert evaluator.suite.references["mixture"] is reference  # computed once, at construction


def test_periodic_evaluator_refuses_one_sample():
    cfg = Config(data=DataConfig(name="8gaussians", points=100), eval=EvalConfig(samples=1))
    data = load_dataset(cfg.data, "test")
    with pytest.raises(ConfigError, match="eval.samples"):
        PeriodicEvaluator(cfg, data, data)


def test_package_level_evaluate_is_the_function_after_importing_its_module(tmp_path):
    import ganlab
    import ganlab.evaluation  # noqa: F401  (the module is named apart from the function it defines)

    assert ganlab.evaluate(FakeRun(tmp_path), metrics=["modes"], samples=100) == {"modes": 8.0}
