"""The METRICS registry: each metric names its feature group, what it needs of the data, and a pure function.

Adding a metric is one function of (measured, reference) and one `METRICS.add` line. A name may have several
variants for different data (`modes` on stacked images and on 2-D mixtures); the first whose needs are met
is used, and a metric none of whose variants applies fails in one line saying what it needs. Needs are of the
real data, except `conditional`: the samples are drawn for given labels (a run with model.conditional=true).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from torch import Tensor

from ganlab.data.base import Dataset
from ganlab.errors import ConfigError, MetricError
from ganlab.metrics import modes
from ganlab.metrics.domain import classifier_available
from ganlab.metrics.frechet import feature_statistics, frechet_distance_stats
from ganlab.metrics.groups import (
    DomainMeasured,
    DomainReference,
    InceptionMeasured,
    MixtureReference,
    PixelMeasured,
    PixelReference,
)
from ganlab.metrics.kernel import kernel_distance
from ganlab.metrics.wasserstein import w1_exact
from ganlab.registry import Registry

Need = Literal["image", "points", "stacked", "mixture", "classifier", "inception", "conditional"]
Group = Literal["domain", "inception", "mixture", "pixels"]


@dataclass(frozen=True)
class MetricSpec:
    """One way of computing a metric: its feature group, what it needs, and (measured, reference, seed) -> value."""

    group: Group
    needs: tuple[Need, ...]
    compute: Callable[[Any, Any, int], float]
    higher_is_better: bool = False  # direction for choosing the best checkpoint

    @property
    def summary(self) -> str:
        return (self.compute.__doc__ or "").strip()


def is_mixture(data: Dataset) -> bool:
    from ganlab.data.toy2d import CENTERS

    return data.kind == "points" and data.name in CENTERS


# need -> (whether (real data, conditional run) meets it, what it is in words)
NEEDS: dict[Need, tuple[Callable[[Dataset, bool], bool], str]] = {
    "image": (lambda d, conditional: d.kind == "image", "image data"),
    "points": (lambda d, conditional: d.kind == "points", "2-D point data"),
    "stacked": (lambda d, conditional: d.index is not None, "a stacked image set (stacked-fashion-mnist)"),
    "mixture": (lambda d, conditional: is_mixture(d), "a 2-D Gaussian mixture (8gaussians, 25gaussians)"),
    "classifier": (
        lambda d, conditional: classifier_available(d),
        "a domain classifier (labelled images, or one shipped with ganlab)",
    ),
    "inception": (lambda d, conditional: d.kind == "image" and d.shape[0] in (1, 3), "1- or 3-channel images"),
    "conditional": (lambda d, conditional: conditional, "a conditional run (model.conditional=true)"),
}
DOMAIN: tuple[Need, ...] = ("image", "classifier")
CONDITIONAL_DOMAIN: tuple[Need, ...] = ("image", "classifier", "conditional")
STACKED: tuple[Need, ...] = ("image", "stacked", "classifier")
MIXTURE: tuple[Need, ...] = ("points", "mixture")
INCEPTION: tuple[Need, ...] = ("image", "inception")


# --- the metrics: (group's measured features, group's reference, seed) -> value --------------------------------


def fd_domain(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """Fréchet distance of ganlab's classifier's penultimate features (not FID)"""
    return frechet_distance_stats(feature_statistics(m.fake.features), r.stats)


def kd_domain(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """unbiased polynomial-kernel MMD^2 (the KID estimator) of the same features"""
    return kernel_distance(m.fake.features, r.real.features, seed=seed).mean


def class_coverage(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """share of classes receiving at least 1/(4K) of the samples"""
    return modes.class_coverage(m.fake.classes, m.fake.num_classes)


def class_kl(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """KL(predicted classes of the samples || predicted classes of the real data)"""
    return modes.class_kl(m.fake.classes, r.real.classes, m.fake.num_classes)


def class_accuracy(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """conditional runs: share of samples drawn for label k that the classifier assigns to k"""
    if m.fake_labels is None:
        raise MetricError("class_accuracy needs the labels the samples were drawn for (a conditional run)")
    return modes.class_accuracy(m.fake.classes, m.fake_labels)


def stacked_modes(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """stacked sets: modes with at least one sample"""
    return float(modes.modes_covered(m.fake.classes, m.fake.num_classes))


def kl_modes(m: DomainMeasured, r: DomainReference, seed: int) -> float:
    """KL(mode histogram of the samples || uniform over all modes)"""
    return modes.kl_to_uniform(m.fake.classes, m.fake.num_classes)


def mixture_modes(m: tuple[Tensor, Tensor], r: MixtureReference, seed: int) -> float:
    """2-D mixtures: modes with at least one sample within 3 std"""
    return float(modes.mixture_modes_covered(m[0], m[1], len(r.centers), r.std))


def high_quality(m: tuple[Tensor, Tensor], r: MixtureReference, seed: int) -> float:
    """2-D mixtures: share of samples within 3 std of their nearest mode"""
    return modes.high_quality_share(m[1], r.std)


def w1(m: PixelMeasured, r: PixelReference, seed: int) -> float:
    """exact Wasserstein-1 (POT) between equal-size real and generated batches"""
    return w1_exact(m.real, m.fake)


def inception_value(name: str, summary: str) -> Callable[[InceptionMeasured, Any, int], float]:
    def value(measured: InceptionMeasured, reference: Any, seed: int) -> float:
        return measured.values[name]

    value.__doc__ = summary
    return value


METRICS: Registry[tuple[MetricSpec, ...]] = Registry("metric")
METRICS.add("fid", (MetricSpec("inception", INCEPTION, inception_value("fid", "Fréchet Inception distance")),))
METRICS.add("kid", (MetricSpec("inception", INCEPTION, inception_value("kid", "kernel Inception distance")),))
METRICS.add("is", (MetricSpec("inception", INCEPTION, inception_value("is", "Inception score"), True),))
METRICS.add(
    "precision", (MetricSpec("inception", INCEPTION, inception_value("precision", "improved precision, k=3"), True),)
)
METRICS.add("recall", (MetricSpec("inception", INCEPTION, inception_value("recall", "improved recall, k=3"), True),))
METRICS.add("fd_domain", (MetricSpec("domain", DOMAIN, fd_domain),))
METRICS.add("kd_domain", (MetricSpec("domain", DOMAIN, kd_domain),))
METRICS.add("class_coverage", (MetricSpec("domain", DOMAIN, class_coverage, True),))
METRICS.add("class_kl", (MetricSpec("domain", DOMAIN, class_kl),))
METRICS.add("class_accuracy", (MetricSpec("domain", CONDITIONAL_DOMAIN, class_accuracy, True),))
METRICS.add(
    "modes", (MetricSpec("domain", STACKED, stacked_modes, True), MetricSpec("mixture", MIXTURE, mixture_modes, True))
)
METRICS.add("kl_modes", (MetricSpec("domain", STACKED, kl_modes),))
METRICS.add("high_quality", (MetricSpec("mixture", MIXTURE, high_quality, True),))
METRICS.add("w1_exact", (MetricSpec("pixels", (), w1),))


def unmet_needs(spec: MetricSpec, data: Dataset, conditional: bool = False) -> list[str]:
    """Descriptions of what `spec` needs and `data` (in a conditional run or not) lacks."""
    return [NEEDS[need][1] for need in spec.needs if not NEEDS[need][0](data, conditional)]


def resolve_metric(name: str, data: Dataset, key: str = "metrics", conditional: bool = False) -> MetricSpec:
    """The variant of metric `name` that applies to `data`; ConfigError if unknown, MetricError if none applies."""
    variants = METRICS.get(name, key=key)
    missing = []
    for spec in variants:
        unmet = unmet_needs(spec, data, conditional)
        if not unmet:
            return spec
        missing.append(" and ".join(unmet))
    raise MetricError(f"metric '{name}' does not apply to dataset '{data.name}': it needs {' or '.join(missing)}")


def applicable(name: str, data: Dataset, conditional: bool = False) -> bool:
    """Whether metric `name` (which must exist) applies to `data` (in a conditional run or not)."""
    return any(not unmet_needs(spec, data, conditional) for spec in METRICS.get(name, key="metrics"))


def needs_conditional(name: str) -> bool:
    """Whether metric `name` applies only to conditional runs (every way of computing it needs labels)."""
    specs = METRICS.get(name, key="metrics")
    return bool(specs) and all("conditional" in spec.needs for spec in specs)


def check_names(names: list[str], key: str = "metrics") -> None:
    """ConfigError naming the first unknown metric and listing the choices."""
    for name in names:
        if name not in METRICS:
            raise ConfigError(key, METRICS.describe_choices(name), name)


def higher_is_better(name: str) -> bool:
    """Whether larger values of metric `name` are better (for choosing the best checkpoint)."""
    return METRICS.get(name, key="eval.best_metric")[0].higher_is_better
