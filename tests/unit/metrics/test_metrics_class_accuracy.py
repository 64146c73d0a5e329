"""class_accuracy: against sklearn, on real Fashion-MNIST with true and shuffled labels, and its refusals."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from metrics_helpers import images, subset
from sklearn.metrics import accuracy_score
from torch.testing import assert_close

from ganlab.config.schema import Config, DataConfig, EvalConfig, ModelConfig
from ganlab.data.base import Dataset
from ganlab.errors import MetricError
from ganlab.evaluation import PeriodicEvaluator, evaluate
from ganlab.metrics import EvalContext, MetricSuite, compute_metrics, default_metrics, higher_is_better, modes, registry
from ganlab.metrics.classifier import load_classifier
from ganlab.metrics.domain import SHIPPED_DIR, DomainFeatures
from ganlab.metrics.groups import DomainMeasured

K = 10  # Fashion-MNIST classes


def tiny_images() -> Dataset:
    x = torch.randint(0, 256, (20, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("fashion-mnist", "image", x, torch.arange(20) % K, K, "generated")


def null_share(predicted: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Expected accuracy and its binomial std when the labels are randomly permuted: the chance level."""
    n = len(labels)
    pred_counts = torch.bincount(predicted, minlength=K).double()
    label_counts = torch.bincount(labels, minlength=K).double()
    p = float((pred_counts * label_counts).sum()) / n**2
    return p, math.sqrt(p * (1 - p) / n)


def test_class_accuracy_matches_sklearn():
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(K, (997,), generator=gen)
    right = torch.rand(997, generator=gen) < 0.6  # about 60 % right, the rest a random class
    predicted = torch.where(right, labels, torch.randint(K, (997,), generator=gen))
    expected = accuracy_score(labels.numpy(), predicted.numpy())
    assert_close(modes.class_accuracy(predicted, labels), float(expected), atol=1e-12, rtol=0)
    features = torch.zeros(997, 4, dtype=torch.float64)
    measured = DomainMeasured(DomainFeatures(features, predicted, K), "none", labels)
    assert_close(registry.class_accuracy(measured, None, 0), float(expected), atol=1e-12, rtol=0)
    assert modes.class_accuracy(labels, labels) == 1.0 and modes.class_accuracy((labels + 1) % K, labels) == 0.0


def test_class_accuracy_is_registered_higher_is_better_and_conditional_only():
    assert higher_is_better("class_accuracy")
    (spec,) = registry.METRICS.get("class_accuracy")
    assert spec.group == "domain" and "conditional" in spec.needs
    assert "class_accuracy" not in default_metrics(["fd_domain", "class_accuracy"], tiny_images())
    assert default_metrics(["class_accuracy"], tiny_images(), conditional=True) == ["class_accuracy"]


def test_unconditional_run_is_refused_in_one_line():
    with pytest.raises(MetricError) as err:
        compute_metrics(["class_accuracy"], torch.zeros(4, 1, 28, 28), tiny_images())
    message = str(err.value)
    assert "\n" not in message and "'class_accuracy'" in message
    assert "a conditional run (model.conditional=true)" in message
    with pytest.raises(MetricError, match="'class_accuracy' does not apply"):
        MetricSuite(["class_accuracy"], tiny_images(), EvalContext(conditional=False))


def test_conditional_suite_needs_one_label_per_sample():
    suite = MetricSuite(["class_accuracy"], tiny_images(), EvalContext(conditional=True))
    fake = torch.zeros(4, 1, 28, 28)
    with pytest.raises(MetricError, match="class_accuracy needs the labels the samples were drawn for") as err:
        suite(fake, None)
    assert "\n" not in str(err.value)
    with pytest.raises(MetricError, match=r"one label per sample \(4,\), got \(3,\)"):
        suite(fake, torch.zeros(3, dtype=torch.long))


@pytest.mark.slow
def test_real_images_score_the_classifier_accuracy_and_shuffled_labels_chance(fashion_test):
    real = subset(fashion_test, 2000, seed=5)
    assert real.labels is not None
    pixels, labels = images(real), real.labels
    values, provenance = compute_metrics(["class_accuracy"], pixels, fashion_test, fake_labels=labels)
    # independent reference: the shipped classifier's logits, argmax, sklearn
    loaded = load_classifier(SHIPPED_DIR / "fashion-mnist.json")
    with torch.no_grad():
        predicted = loaded.model.head(loaded.model.features(pixels)).argmax(1)
    assert_close(values["class_accuracy"], float(accuracy_score(labels.numpy(), predicted.numpy())), atol=1e-12, rtol=0)
    accuracy = loaded.record.test_accuracy  # 0.9296 on the whole test split
    assert_close(values["class_accuracy"], accuracy, atol=4 * math.sqrt(accuracy * (1 - accuracy) / 2000), rtol=0)
    assert provenance["fake_labels"] == "given (conditional model)"
    # the label-shuffling control: the same images, their labels permuted, fall to chance
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(6))]
    control, _ = compute_metrics(["class_accuracy"], pixels, fashion_test, fake_labels=shuffled)
    chance, std = null_share(predicted, shuffled)
    assert abs(chance - 1 / K) < 0.01
    assert_close(control["class_accuracy"], chance, atol=4 * std, rtol=0)


@dataclass
class RealImagesRun:
    """A 'conditional generator' that returns real test images of the asked classes (evaluate's duck type)."""

    path: Path
    test: Dataset
    config: Config = field(
        default_factory=lambda: Config(
            data=DataConfig(name="fashion-mnist", download=False), model=ModelConfig(conditional=True)
        )
    )
    checkpoint_step: int = 7

    def sample_chunks(
        self, n: int, labels: torch.Tensor | None = None, seed: int | None = None, *, progress: object = False
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        assert labels is not None and self.test.labels is not None
        gen = torch.Generator().manual_seed(seed or 0)
        by_class = [torch.nonzero(self.test.labels == k).flatten() for k in range(K)]
        idx = torch.stack([by_class[k][torch.randint(len(by_class[k]), (), generator=gen)] for k in labels.tolist()])
        yield self.test.batch(idx), labels


def test_evaluate_draws_labels_for_a_conditional_run(tmp_path, fashion_train, fashion_test):
    run = RealImagesRun(tmp_path, fashion_test)
    values = evaluate(run, metrics=["class_accuracy"], samples=500)
    assert values["class_accuracy"] > 0.85  # the classifier's accuracy (0.93), less a 500-sample draw's noise
    assert json.loads((tmp_path / "eval.json").read_text())["metrics"] == values
    periodic = Config(
        data=run.config.data, model=run.config.model, eval=EvalConfig(metrics=["class_accuracy"], samples=200)
    )
    evaluator = PeriodicEvaluator(periodic, fashion_train, fashion_test)
    assert evaluator.names == ["class_accuracy"] and evaluator.labels is not None
