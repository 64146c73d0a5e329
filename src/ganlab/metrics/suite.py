"""Evaluate named metrics: resolve them against the data, compute each group's reference once, measure samples.

`MetricSuite` keeps the reference features (for periodic evaluation during training); `compute_metrics` is the
one-shot form. Both return (values, provenance); provenance is recorded once per evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ganlab.data.base import Dataset
from ganlab.errors import MetricError
from ganlab.metrics.domain import SplitLoader, classifier_available
from ganlab.metrics.groups import GROUPS, EvalContext
from ganlab.metrics.inception import INCEPTION_EXTRACTOR
from ganlab.metrics.provenance import ganlab_version
from ganlab.metrics.registry import MetricSpec, applicable, check_names, is_mixture, resolve_metric


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

    def check_samples(self, fake: Tensor) -> None:
        """MetricError unless `fake` is a finite batch of at least 2 samples shaped like the real data."""
        want = 4 if self.real.kind == "image" else 2
        if fake.ndim != want or len(fake) < 2:
            raise MetricError(
                f"samples must be (N >= 2, {', '.join(map(str, self.real.shape))}), got {tuple(fake.shape)}"
            )
        if "pixels" in self.by_group and tuple(fake.shape[1:]) != tuple(self.real.shape):
            raise MetricError(
                f"w1_exact needs samples shaped like the real data {self.real.shape}, got {tuple(fake.shape[1:])}"
            )
        if not torch.isfinite(fake).all():
            raise MetricError("samples contain NaN or infinite values")

    def check_labels(self, fake: Tensor, fake_labels: Tensor | None) -> None:
        """MetricError unless a metric reading labels gets one label (N,) per sample."""
        readers = [name for name, spec in self.specs.items() if "conditional" in spec.needs]
        if not readers:
            return
        if fake_labels is None:
            raise MetricError(f"{readers[0]} needs the labels the samples were drawn for, and none were given")
        if tuple(fake_labels.shape) != (len(fake),):
            raise MetricError(f"{readers[0]} needs one label per sample ({len(fake)},), got {tuple(fake_labels.shape)}")

    @torch.no_grad()
    def __call__(self, fake: Tensor, fake_labels: Tensor | None = None) -> tuple[dict[str, float], dict[str, Any]]:
        """Values of the metrics for samples `fake` (N, ...) in [-1, 1] (images) or as points, and provenance."""
        self.check_samples(fake)
        self.check_labels(fake, fake_labels)
        values: dict[str, float] = {}
        features: dict[str, Any] = {}
        for group, members in self.by_group.items():
            stages, reference = GROUPS[group], self.references[group]
            measured = stages.measure(fake, fake_labels, reference, members, self.ctx)
            for name in members:
                values[name] = float(self.specs[name].compute(measured, reference, self.ctx.seed))
            features[group] = {"metrics": list(members), **stages.provenance(reference, measured)}
        provenance = {
            "dataset": self.real.name,
            "reference_split": self.ctx.reference_split,
            "real_samples": len(self.real),
            "fake_samples": len(fake),
            "fake_labels": "given (conditional model)" if fake_labels is not None else None,
            "seed": self.ctx.seed,
            "library": ganlab_version(),
            "features": features,
        }
        return {name: values[name] for name in self.names}, provenance


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
