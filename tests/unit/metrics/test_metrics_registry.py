"""The METRICS registry and compute_metrics: names, applicability, groups, provenance, first-use classifiers."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch.testing import assert_close

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset
from ganlab.data.base import Dataset
from ganlab.errors import ConfigError, MetricError
from ganlab.metrics import METRICS, compute_metrics, default_metrics
from ganlab.metrics.provenance import cache_root


@pytest.fixture(scope="module")
def ring() -> Dataset:
    return load_dataset(DataConfig(name="8gaussians", points=3000), "test")


@pytest.fixture(scope="module")
def ring_samples() -> torch.Tensor:
    return load_dataset(DataConfig(name="8gaussians", points=1000), "train").x


def tiny_images(name: str = "fashion-mnist") -> Dataset:
    x = torch.randint(0, 256, (20, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset(name, "image", x, torch.arange(20) % 10, 10, "generated")


def test_every_spec_names_a_known_group_and_need():
    from ganlab.metrics.groups import GROUPS
    from ganlab.metrics.registry import NEEDS

    for _, variants in METRICS.items():
        for spec in variants:
            assert spec.group in GROUPS and all(need in NEEDS for need in spec.needs)


def test_unknown_metric_lists_the_choices(ring, ring_samples):
    with pytest.raises(ConfigError) as err:
        compute_metrics(["fd_domian"], ring_samples, ring)
    message = str(err.value)
    assert "fd_domain" in message and "w1_exact" in message and "did you mean 'fd_domain'" in message


def test_modes_do_not_apply_to_plain_fashion_mnist():
    with pytest.raises(MetricError) as err:
        compute_metrics(["modes"], torch.zeros(4, 1, 28, 28), tiny_images())
    message = str(err.value)
    assert "\n" not in message and "'modes' does not apply to dataset 'fashion-mnist'" in message
    assert "stacked" in message and "Gaussian mixture" in message


def test_image_metrics_do_not_apply_to_points(ring, ring_samples):
    for name in ("fd_domain", "fid", "kl_modes"):
        with pytest.raises(MetricError, match=f"'{name}' does not apply to dataset '8gaussians'"):
            compute_metrics([name], ring_samples, ring)


def test_mixture_metrics_and_provenance(ring, ring_samples):
    values, provenance = compute_metrics(["modes", "high_quality", "w1_exact"], ring_samples, ring, seed=4)
    assert list(values) == ["modes", "high_quality", "w1_exact"]
    assert values["modes"] == 8
    expected = 1 - math.exp(-4.5)
    assert_close(values["high_quality"], expected, atol=4 * math.sqrt(expected * (1 - expected) / 1000), rtol=0)
    assert values["w1_exact"] > 0
    assert provenance["real_samples"] == 3000 and provenance["fake_samples"] == 1000
    assert provenance["reference_split"] == "test" and provenance["seed"] == 4
    assert set(provenance["features"]) == {"mixture", "pixels"}
    for group in provenance["features"].values():
        assert {"extractor", "sha256", "resize", "library", "metrics"} <= set(group)
    assert provenance["features"]["pixels"]["samples_per_side"] == 1000


def test_collapsed_mixture_samples_cover_one_mode(ring):
    one_mode = ring.x[ring.labels == 3][:500]
    values, _ = compute_metrics(["modes"], one_mode, ring)
    assert values["modes"] == 1


def test_bad_samples_raise(ring, ring_samples):
    with pytest.raises(MetricError, match="NaN"):
        compute_metrics(["modes"], torch.full((10, 2), float("nan")), ring)
    with pytest.raises(MetricError, match="samples must be"):
        compute_metrics(["modes"], ring_samples[:, :1, None], ring)


def test_default_metrics_filter_to_the_data(ring):
    defaults = ["fd_domain", "class_coverage"]
    assert default_metrics(defaults, ring) == ["modes", "high_quality"]
    swiss = load_dataset(DataConfig(name="swissroll", points=100), "test")
    assert default_metrics(defaults, swiss) == ["w1_exact"]
    assert default_metrics(defaults, tiny_images()) == defaults
    assert default_metrics(["w1_exact", "modes"], ring) == ["w1_exact", "modes"]
    with pytest.raises(ConfigError, match="eval.metrics"):
        default_metrics(["nope"], ring)


@pytest.mark.slow
def test_classifier_for_a_new_dataset_is_trained_once_and_cached():
    digits_test = load_dataset(DataConfig(name="digits"), "test")
    fake = digits_test.batch(torch.arange(100))
    with pytest.warns(UserWarning, match="training ganlab's domain classifier for 'digits'"):
        values, provenance = compute_metrics(["class_coverage", "fd_domain"], fake, digits_test)
    assert (cache_root() / "classifiers" / "digits.safetensors").is_file()
    assert 0 < values["class_coverage"] <= 1 and values["fd_domain"] >= 0
    assert provenance["features"]["domain"]["sha256"] is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second use loads the cached classifier silently
        again, _ = compute_metrics(["class_coverage", "fd_domain"], fake, digits_test)
    assert again == values


def test_direction_of_each_metric():
    from ganlab.metrics import higher_is_better

    assert higher_is_better("class_coverage") and higher_is_better("modes") and higher_is_better("is")
    assert not higher_is_better("fd_domain") and not higher_is_better("w1_exact") and not higher_is_better("fid")
    with pytest.raises(ConfigError, match="eval.best_metric"):
        higher_is_better("nope")
