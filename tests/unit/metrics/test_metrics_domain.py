"""Domain metrics on real Fashion-MNIST with the shipped classifier, and the classifier's own guarantees."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from metrics_helpers import images, subset
from torch.testing import assert_close

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset
from ganlab.errors import MetricError
from ganlab.metrics import compute_metrics
from ganlab.metrics.classifier import accuracy, load_classifier, sha256_of
from ganlab.metrics.domain import SHIPPED_DIR, adapt_images

SHIPPED = SHIPPED_DIR / "fashion-mnist.json"
TROUSER = 1  # the class the classifier separates best (a clean one-class "generator")


def test_shipped_record_matches_its_weights():
    record = json.loads(SHIPPED.read_text())
    weights = SHIPPED_DIR / record["weights_file"]
    assert sha256_of(weights) == record["sha256"]
    assert record["input_shape"] == [1, 28, 28] and record["num_classes"] == 10
    assert record["test_accuracy"] >= 0.92
    assert weights.stat().st_size < 1_000_000  # a few hundred KB, shipped in the wheel
    assert weights.suffix == ".safetensors"


def test_sha256_mismatch_raises_naming_the_file(tmp_path):
    shutil.copy(SHIPPED, tmp_path / SHIPPED.name)
    weights = tmp_path / "fashion-mnist.safetensors"
    shutil.copy(SHIPPED_DIR / "fashion-mnist.safetensors", weights)
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(MetricError, match="fashion-mnist.safetensors have sha256") as err:
        load_classifier(tmp_path / SHIPPED.name)
    assert "\n" not in str(err.value)


def test_adapt_images_converts_resolution_and_channels():
    rgb = torch.rand(2, 3, 32, 32) * 2 - 1
    adapted, how = adapt_images(rgb, (1, 28, 28))
    assert adapted.shape == (2, 1, 28, 28) and "grey" in how and "32x32 -> 28x28" in how
    same, how = adapt_images(torch.zeros(2, 1, 28, 28), (1, 28, 28))
    assert same.shape == (2, 1, 28, 28) and how.startswith("none")


@pytest.mark.slow
def test_shipped_classifier_accuracy_on_the_test_split(fashion_test):
    loaded = load_classifier(SHIPPED)
    measured = accuracy(loaded.model, fashion_test)
    assert measured >= 0.92
    assert_close(measured, loaded.record.test_accuracy, atol=2e-4, rtol=0)


@pytest.mark.slow
def test_train_vs_test_is_near_zero_and_noise_is_far(fashion_train, fashion_test):
    real = subset(fashion_test, 3000, seed=1)
    train_images = images(subset(fashion_train, 1500, seed=2))
    noise = torch.rand(1500, 1, 28, 28, generator=torch.Generator().manual_seed(3)) * 2 - 1
    names = ["fd_domain", "kd_domain", "class_coverage", "class_kl"]
    same, provenance = compute_metrics(names, train_images, real)
    far, _ = compute_metrics(names, noise, real)
    assert same["fd_domain"] * 100 < far["fd_domain"]
    assert abs(same["kd_domain"]) * 100 < far["kd_domain"]
    assert same["class_coverage"] == 1.0
    assert same["class_kl"] < 0.01 < far["class_kl"]
    domain = provenance["features"]["domain"]
    assert domain["sha256"] == json.loads(SHIPPED.read_text())["sha256"]
    assert domain["resize"].startswith("none")


@pytest.mark.slow
def test_one_class_generator_covers_a_tenth(fashion_train, fashion_test):
    one_class = fashion_train.batch(torch.nonzero(fashion_train.labels == TROUSER)[:2000, 0])
    values, _ = compute_metrics(["class_coverage", "class_kl"], one_class, subset(fashion_test, 2000))
    assert_close(values["class_coverage"], 0.1)
    assert values["class_kl"] > 1.5  # about log(10) = 2.3 for a single class against a uniform histogram


@pytest.mark.slow
def test_stacked_single_class_covers_at_most_a_tenth_of_the_modes(fashion_test):
    stacked = load_dataset(DataConfig(name="stacked-fashion-mnist"), "test")
    rows = torch.nonzero(fashion_test.labels == TROUSER)[:, 0]
    pick = rows[torch.randint(len(rows), (2000, 3), generator=torch.Generator().manual_seed(0))]
    single = fashion_test.x[pick].flatten(1, 2).float() / 127.5 - 1  # (2000, 3, 28, 28), every channel a trouser
    collapsed, provenance = compute_metrics(["modes", "kl_modes"], single, stacked)
    assert collapsed["modes"] <= 100
    assert "each of 3 channels" in provenance["features"]["domain"]["resize"]
    diverse, _ = compute_metrics(["modes", "kl_modes"], images(subset(stacked, 3000)), stacked)
    assert diverse["modes"] > 800  # 3000 draws of ~1000 near-uniform modes cover about 95 % of them
    assert diverse["kl_modes"] < collapsed["kl_modes"]
