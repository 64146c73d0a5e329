"""Evaluation streams: samples arrive in chunks, each group keeps only its features, and the numbers are the ones
of the same samples measured at once (real Fashion-MNIST images as the 'generated' samples)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
import torch
from metrics_helpers import images, subset

from ganlab.errors import MetricError
from ganlab.metrics import EvalContext, MetricSuite
from ganlab.metrics.groups import join
from ganlab.metrics.suite import CHUNK, rechunk


def chunked(fake: torch.Tensor, size: int, labels: torch.Tensor | None = None) -> Iterator[tuple]:
    for start in range(0, len(fake), size):
        yield fake[start : start + size], None if labels is None else labels[start : start + size]


@pytest.fixture(scope="module")
def fake(fashion_train) -> torch.Tensor:
    return images(subset(fashion_train, 2_300, seed=3))


@pytest.fixture(scope="module")
def suite(fashion_test) -> MetricSuite:
    real = subset(fashion_test, 1_500)
    return MetricSuite(["fd_domain", "kd_domain", "class_kl", "class_coverage", "w1_exact"], real, EvalContext())


def test_streamed_chunks_give_the_one_shot_numbers(suite, fake):
    at_once, provenance = suite(fake)
    for size in (1, 137, 500, 2_300):  # smaller, unaligned, equal to and above no chunk size in particular
        streamed, streamed_provenance = suite.measure(chunked(fake, size) if size > 1 else iter([(fake, None)]))
        assert streamed == at_once, size  # bit for bit: the classifier sees the same batches of CHUNK
        assert streamed_provenance == provenance
    assert provenance["fake_samples"] == 2_300


def test_chunks_are_dropped_as_the_evaluation_goes(suite, fake):
    """At most CHUNK samples' worth of incoming chunks (and the one arriving) are alive at any time."""
    size, alive_max = 250, 0
    refs: list[weakref.ref] = []

    def source() -> Iterator[tuple[torch.Tensor, None]]:
        nonlocal alive_max
        for start in range(0, len(fake), size):
            chunk = fake[start : start + size].clone()  # its own storage, as a generator's output has
            refs.append(weakref.ref(chunk))
            yield chunk, None
            del chunk
            gc.collect()
            alive_max = max(alive_max, sum(ref() is not None for ref in refs))

    suite.measure(source())
    assert len(refs) == 10
    assert alive_max <= CHUNK // size + 1


def test_rechunk_keeps_samples_and_labels_in_order():
    fake = torch.arange(2_500.0).reshape(-1, 1)
    labels = torch.arange(2_500)
    sizes = [len(x) for x, _ in rechunk(chunked(fake, 333, labels))]
    assert sizes == [CHUNK, CHUNK, 500]
    joined = join(list(rechunk(chunked(fake, 333, labels))))
    assert torch.equal(joined[0], fake) and torch.equal(joined[1], labels)
    assert all(lab is None for _, lab in rechunk(chunked(fake, 700)))


def test_stream_errors_name_the_problem(suite, fake):
    with pytest.raises(MetricError, match="N >= 2"):
        suite.measure(iter([(fake[:1], None)]))
    with pytest.raises(MetricError, match="NaN"):
        bad = fake[:600].clone()
        bad[550] = float("nan")
        suite.measure(chunked(bad, 300))
    with pytest.raises(MetricError, match="shaped like the real data"):
        suite.measure(chunked(fake[:10, :, :20], 5))


def test_kept_memory_grows_with_features_not_pixels(suite):
    """The memory check of an evaluation counts what stays (features), not the samples that stream through."""
    per_sample = suite.kept_bytes(20_000, (1, 28, 28)) - suite.kept_bytes(10_000, (1, 28, 28))
    assert per_sample == 10_000 * (128 * 8 + 8)  # fd/kd/class_kl share the domain features; w1_exact keeps none
    assert suite.kept_bytes(50_000, (1, 28, 28)) < 50_000 * 28 * 28 * 4  # less than the float samples would take
