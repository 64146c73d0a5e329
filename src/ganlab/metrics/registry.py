"""The METRICS registry: each metric names its feature group, what it needs of the data, and a pure function.

Adding a metric is one function of (measured, reference) and one `METRICS.add` line. A name may have several
variants for different data (`modes` on stacked images and on 2-D mixtures); the first whose needs are met
is used, and a metric none of whose variants applies fails in one line saying what it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ganlab.data.base import Dataset
from ganlab.errors import ConfigError, MetricError
from ganlab.metrics import modes
from ganlab.metrics.domain import classifier_available
from ganlab.metrics.frechet import feature_statistics, frechet_distance_stats
from ganlab.metrics.kernel import kernel_distance
from ganlab.metrics.wasserstein import w1_exact
from ganlab.registry import Registry

Need = Literal["image", "points", "stacked", "mixture", "classifier", "inception"]
Group = Literal["domain", "inception", "mixture", "pixels"]


@dataclass(frozen=True)
class MetricSpec:
    """One way of computing a metric: its feature group, what it needs, and (measured, reference) -> value."""

    group: Group
    needs: tuple[Need, ...]
    compute: Callable[[Any, Any, int], float]  # (group's measured features, group's reference, seed) -> value
    summary: str


def is_mixture(data: Dataset) -> bool:
    from ganlab.data.toy2d import CENTERS

    return data.kind == "points" and data.name in CENTERS


NEEDS: dict[Need, tuple[Callable[[Dataset], bool], str]] = {
    "image": (lambda d: d.kind == "image", "image data"),
    "points": (lambda d: d.kind == "points", "2-D point data"),
    "stacked": (lambda d: d.index is not None, "a stacked image set (stacked-fashion-mnist)"),
    "mixture": (is_mixture, "a 2-D Gaussian mixture (8gaussians, 25gaussians)"),
    "classifier": (classifier_available, "a domain classifier (labelled images, or one shipped with ganlab)"),
    "inception": (lambda d: d.kind == "image" and d.shape[0] in (1, 3), "1- or 3-channel images"),
}

METRICS: Registry[tuple[MetricSpec, ...]] = Registry("metric")


def inception_value(name: str) -> Callable[[Any, Any, int], float]:
    return lambda measured, ref, seed: measured[name]


for _name, _summary in (
    ("fid", "Fréchet Inception distance (torch-fidelity)"),
    ("kid", "kernel Inception distance, mean over subsets (torch-fidelity)"),
    ("is", "Inception score, mean over splits (torch-fidelity)"),
    ("precision", "improved precision, k=3 (torch-fidelity)"),
    ("recall", "improved recall, k=3 (torch-fidelity)"),
):
    METRICS.add(_name, (MetricSpec("inception", ("image", "inception"), inception_value(_name), _summary),))

DOMAIN: tuple[Need, ...] = ("image", "classifier")
STACKED: tuple[Need, ...] = ("image", "stacked", "classifier")
MIXTURE: tuple[Need, ...] = ("points", "mixture")

METRICS.add(
    "fd_domain",
    (
        MetricSpec(
            "domain",
            DOMAIN,
            lambda m, r, seed: frechet_distance_stats(feature_statistics(m.fake.features), r.stats),
            "Fréchet distance of ganlab's classifier's penultimate features (not FID)",
        ),
    ),
)
METRICS.add(
    "kd_domain",
    (
        MetricSpec(
            "domain",
            DOMAIN,
            lambda m, r, seed: kernel_distance(m.fake.features, r.real.features, seed=seed).mean,
            "unbiased polynomial-kernel MMD^2 (the KID estimator) of the same features",
        ),
    ),
)
METRICS.add(
    "class_coverage",
    (
        MetricSpec(
            "domain",
            DOMAIN,
            lambda m, r, seed: modes.class_coverage(m.fake.classes, m.fake.num_classes),
            "share of classes receiving at least 1/(4K) of the samples",
        ),
    ),
)
METRICS.add(
    "class_kl",
    (
        MetricSpec(
            "domain",
            DOMAIN,
            lambda m, r, seed: modes.class_kl(m.fake.classes, r.real.classes, m.fake.num_classes),
            "KL(predicted classes of samples || predicted classes of the real data)",
        ),
    ),
)
METRICS.add(
    "kl_modes",
    (
        MetricSpec(
            "domain",
            STACKED,
            lambda m, r, seed: modes.kl_to_uniform(m.fake.classes, m.fake.num_classes),
            "KL(mode histogram of samples || uniform over all modes)",
        ),
    ),
)
METRICS.add(
    "modes",
    (
        MetricSpec(
            "domain",
            STACKED,
            lambda m, r, seed: float(modes.modes_covered(m.fake.classes, m.fake.num_classes)),
            "stacked sets: modes with at least one sample",
        ),
        MetricSpec(
            "mixture",
            MIXTURE,
            lambda m, r, seed: float(modes.mixture_modes_covered(m[0], m[1], len(r.centers), r.std)),
            "2-D mixtures: modes with at least one sample within 3 std",
        ),
    ),
)
METRICS.add(
    "high_quality",
    (
        MetricSpec(
            "mixture",
            MIXTURE,
            lambda m, r, seed: modes.high_quality_share(m[1], r.std),
            "2-D mixtures: share of samples within 3 std of their nearest mode",
        ),
    ),
)
METRICS.add(
    "w1_exact",
    (
        MetricSpec(
            "pixels",
            (),
            lambda m, r, seed: w1_exact(m.real, m.fake),
            "exact Wasserstein-1 (POT) between equal-size real and generated batches",
        ),
    ),
)


def unmet_needs(spec: MetricSpec, data: Dataset) -> list[str]:
    """Descriptions of what `spec` needs and `data` lacks."""
    return [NEEDS[need][1] for need in spec.needs if not NEEDS[need][0](data)]


def resolve_metric(name: str, data: Dataset, key: str = "metrics") -> MetricSpec:
    """The variant of metric `name` that applies to `data`; ConfigError if unknown, MetricError if none applies."""
    variants = METRICS.get(name, key=key)
    missing = []
    for spec in variants:
        unmet = unmet_needs(spec, data)
        if not unmet:
            return spec
        missing.append(" and ".join(unmet))
    raise MetricError(f"metric '{name}' does not apply to dataset '{data.name}': it needs {' or '.join(missing)}")


def applicable(name: str, data: Dataset) -> bool:
    """Whether metric `name` (which must exist) applies to `data`."""
    return any(not unmet_needs(spec, data) for spec in METRICS.get(name, key="metrics"))


def check_names(names: list[str], key: str = "metrics") -> None:
    """ConfigError naming the first unknown metric and listing the choices."""
    for name in names:
        if name not in METRICS:
            raise ConfigError(key, METRICS.describe_choices(name), name)
