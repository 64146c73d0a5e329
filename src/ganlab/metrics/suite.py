"""Evaluate named metrics: resolve them against the data, compute each group's reference once, measure samples.

`MetricSuite` keeps the reference features (for periodic evaluation during training) and measures samples as a
stream of chunks (`measure`), keeping of each chunk only what its groups need, so an evaluation's memory does not
grow with the size of its samples; `compute_metrics` is the one-shot form. Both return (values, provenance);
provenance is recorded once per evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor

from ganlab.data.base import Dataset
from ganlab.errors import MetricError
from ganlab.metrics.domain import SplitLoader, classifier_available
from ganlab.metrics.groups import GROUPS, EvalContext, join
from ganlab.metrics.inception import INCEPTION_EXTRACTOR
from ganlab.metrics.provenance import ganlab_version
from ganlab.metrics.registry import MetricSpec, applicable, check_names, is_mixture, resolve_metric

CHUNK = 1000  # samples a group keeps at a time (the domain classifier's batch, so results match one-shot ones)
Chunks = Iterable[tuple[Tensor, Tensor | None]]  # (samples, the labels they were drawn for or None)


def rechunk(chunks: Chunks, size: int = CHUNK) -> Iterator[tuple[Tensor, Tensor | None]]:
    """The same samples (and labels) in chunks of exactly `size`, the last one shorter."""
    held: list[tuple[Tensor, Tensor | None]] = []
    for chunk in chunks:
        held.append(chunk)
        while sum(len(fake) for fake, _ in held) >= size:
            fake, labels = merge(held)
            yield fake[:size], None if labels is None else labels[:size]
            held = [(fake[size:], None if labels is None else labels[size:])] if len(fake) > size else []
    if held:
        yield merge(held)


def merge(chunks: list[tuple[Tensor, Tensor | None]]) -> tuple[Tensor, Tensor | None]:
    fake = torch.cat([f for f, _ in chunks]) if len(chunks) > 1 else chunks[0][0]
    labels = [lab for _, lab in chunks if lab is not None]
    return fake, (torch.cat(labels) if len(labels) > 1 else labels[0]) if labels else None


class MetricSuite:
    """Metrics resolved for one real set, with each feature group's reference computed at construction."""

    def __init__(self, names: Sequence[str], real: Dataset, ctx: EvalContext, key: str = "metrics") -> None:
        names = list(dict.fromkeys(names))  # unique, in the order asked
        if not names:
            raise MetricError("no metrics requested")
        check_names(names, key)
        self.names, self.real, self.ctx = names, real, ctx
        self.specs: dict[str, MetricSpec] = {name: resolve_metric(name, real, key, ctx.conditional) for name in names}
        self.by_group: dict[str, tuple[str, ...]] = {}
        for name, spec in self.specs.items():
            self.by_group[spec.group] = (*self.by_group.get(spec.group, ()), name)
        self.references = {
            group: GROUPS[group].reference(real, members, ctx) for group, members in self.by_group.items()
        }

    def check_chunk(self, fake: Tensor, fake_labels: Tensor | None) -> None:
        """MetricError unless `fake` is a finite batch shaped like the real data, with one label per sample where a
        metric reads labels."""
        want = 4 if self.real.kind == "image" else 2
        if fake.ndim != want:
            raise MetricError(
                f"samples must be (N >= 2, {', '.join(map(str, self.real.shape))}), got {tuple(fake.shape)}"
            )
        if "pixels" in self.by_group and tuple(fake.shape[1:]) != tuple(self.real.shape):
            raise MetricError(
                f"w1_exact needs samples shaped like the real data {self.real.shape}, got {tuple(fake.shape[1:])}"
            )
        if not torch.isfinite(fake).all():
            raise MetricError("samples contain NaN or infinite values")
        readers = [name for name, spec in self.specs.items() if "conditional" in spec.needs]
        if not readers:
            return
        if fake_labels is None:
            raise MetricError(f"{readers[0]} needs the labels the samples were drawn for, and none were given")
        if tuple(fake_labels.shape) != (len(fake),):
            raise MetricError(f"{readers[0]} needs one label per sample ({len(fake)},), got {tuple(fake_labels.shape)}")

    def kept_bytes(self, samples: int, shape: Sequence[int]) -> int:
        """Memory an evaluation of `samples` samples of `shape` keeps while it streams (chunks are dropped)."""
        per_sample = sum(GROUPS[g].kept_bytes(tuple(shape), self.references[g]) for g in self.by_group)
        return samples * per_sample + 2 * CHUNK * math.prod(shape) * 4

    @torch.no_grad()
    def measure(self, chunks: Chunks) -> tuple[dict[str, float], dict[str, Any]]:
        """Values of the metrics for samples streamed as chunks (samples (n, ...) in [-1, 1] for images or points,
        with the labels a conditional run drew them for, else None), and provenance. Each chunk is dropped once
        its groups have kept what they need."""
        kept: dict[str, list[Any]] = {group: [] for group in self.by_group}
        labels: list[Tensor] = []
        count, shape = 0, None
        for fake, fake_labels in rechunk(chunks):
            self.check_chunk(fake, fake_labels)
            if shape is not None and tuple(fake.shape[1:]) != shape:
                raise MetricError(f"samples changed shape during the evaluation: {shape} then {tuple(fake.shape[1:])}")
            shape = tuple(fake.shape[1:])
            for group in self.by_group:
                kept[group].append(GROUPS[group].keep(fake, count, self.references[group], self.ctx))
            if fake_labels is not None:
                labels.append(fake_labels.cpu())
            count += len(fake)
        if count < 2:
            raise MetricError(f"samples must be (N >= 2, {', '.join(map(str, self.real.shape))}), got {count} samples")
        all_labels = torch.cat(labels) if labels else None
        values: dict[str, float] = {}
        features: dict[str, Any] = {}
        for group, members in self.by_group.items():
            stages, reference = GROUPS[group], self.references[group]
            measured = stages.measure(join(kept.pop(group)), all_labels, reference, members, self.ctx)
            for name in members:
                values[name] = float(self.specs[name].compute(measured, reference, self.ctx.seed))
            features[group] = {"metrics": list(members), **stages.provenance(reference, measured)}
        provenance = {
            "dataset": self.real.name,
            "reference_split": self.ctx.reference_split,
            "real_samples": len(self.real),
            "fake_samples": count,
            "fake_labels": "given (conditional model)" if all_labels is not None else None,
            "seed": self.ctx.seed,
            "library": ganlab_version(),
            "features": features,
        }
        return {name: values[name] for name in self.names}, provenance

    def __call__(self, fake: Tensor, fake_labels: Tensor | None = None) -> tuple[dict[str, float], dict[str, Any]]:
        """Values of the metrics for samples `fake` (N, ...) held in memory, and provenance (see `measure`)."""
        if fake_labels is not None and tuple(fake_labels.shape) != (len(fake),):
            self.check_chunk(fake, fake_labels)  # names the metric that reads labels, if any
            fake_labels = None
        if fake.ndim == 0 or len(fake) < 2:
            raise MetricError(
                f"samples must be (N >= 2, {', '.join(map(str, self.real.shape))}), got {tuple(fake.shape)}"
            )
        labels = [None] * math.ceil(len(fake) / CHUNK) if fake_labels is None else fake_labels.split(CHUNK)
        return self.measure(zip(fake.split(CHUNK), labels, strict=True))


def compute_metrics(
    names: list[str],
    fake: Tensor,
    real: Dataset,
    *,
    fake_labels: Tensor | None = None,
    seed: int = 0,
    reference_split: str = "test",
    inception_weights: str | None = None,
    device: torch.device | str = "cpu",
    load_split: SplitLoader | None = None,
    mixture_std: float | None = None,
    inception_extractor: str = INCEPTION_EXTRACTOR,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Metric values of samples `fake` against the real set `real`, and how they were measured.

    `fake_labels` (N,): the labels the samples were drawn for; given, the samples count as a conditional run's.
    """
    ctx = EvalContext(
        seed,
        reference_split,
        device,
        inception_weights,
        inception_extractor,
        load_split,
        mixture_std,
        conditional=fake_labels is not None,
    )
    return MetricSuite(names, real, ctx)(fake, fake_labels)


def default_metrics(
    requested: Sequence[str], real: Dataset, key: str = "eval.metrics", conditional: bool = False
) -> list[str]:
    """`requested` filtered to the metrics that apply to `real` (in a conditional run or not); if none does, the
    natural ones for its kind."""
    check_names(list(requested), key)
    chosen = [name for name in requested if applicable(name, real, conditional)]
    if chosen:
        return chosen
    if is_mixture(real):
        return ["modes", "high_quality"]
    if real.index is not None:
        return ["modes", "kl_modes"]
    if classifier_available(real):
        return ["fd_domain", "class_coverage"]
    return ["w1_exact"]
