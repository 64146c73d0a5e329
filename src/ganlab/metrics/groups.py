"""Feature groups: one pass over the real data (cached) and one over the samples serves all metrics of a group.

A group has four stages: `reference(real, names, ctx)` runs once per evaluator and is kept; `keep(chunk, start,
reference, ctx)` runs on each chunk of samples as it is generated and returns the little the group needs of it
(features, uint8 pixels, nearest modes), so that no evaluation holds all its samples at once; `measure(kept,
fake_labels, reference, names, ctx)` runs once the chunks are joined (fake_labels: what a conditional run drew
the samples for, else None); and `provenance(reference, measured)` says what produced the numbers (extractor,
sha256 of its weights, resize, library and version). `kept_bytes(shape, reference)` is what `keep` holds per
sample, for the memory check made before an evaluation starts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cached_property
from typing import Any

import torch
from torch import Tensor

from ganlab.config.schema import DataConfig
from ganlab.data.base import Dataset, Split
from ganlab.metrics import inception
from ganlab.metrics.classifier import FEATURE_DIM, LoadedClassifier
from ganlab.metrics.domain import (
    DomainFeatures,
    SplitLoader,
    classifier_json,
    classifier_name,
    domain_features,
    get_classifier,
)
from ganlab.metrics.frechet import GaussianStats, feature_statistics
from ganlab.metrics.kernel import KID_SUBSET_SIZE, KID_SUBSETS
from ganlab.metrics.modes import HQ_STDS, nearest_mode
from ganlab.metrics.provenance import cache_root, ganlab_version, library_version
from ganlab.metrics.wasserstein import W1_MAX_SAMPLES


@dataclass(frozen=True)
class EvalContext:
    """Settings shared by every group of one evaluator."""

    seed: int = 0
    reference_split: str = "test"
    device: torch.device | str = "cpu"
    inception_weights: str | None = None
    inception_extractor: str = inception.INCEPTION_EXTRACTOR
    load_split: SplitLoader | None = None  # the dataset's splits, for a classifier trained on first use
    mixture_std: float | None = None  # data.noise when it overrides a mixture's std
    conditional: bool = False  # samples are drawn for given labels (model.conditional=true)


@dataclass(frozen=True)
class FeatureGroup:
    """The stages of a group of metrics sharing one feature pass."""

    reference: Callable[[Dataset, tuple[str, ...], EvalContext], Any]
    keep: Callable[[Tensor, int, Any, EvalContext], Any]  # (chunk, samples before it, reference, ctx) -> kept
    measure: Callable[[Any, Tensor | None, Any, tuple[str, ...], EvalContext], Any]
    provenance: Callable[[Any, Any], dict[str, Any]]
    kept_bytes: Callable[[tuple[int, ...], Any], int]  # (sample shape, reference) -> bytes kept per sample


def join(parts: Sequence[Any]) -> Any:
    """What `keep` returned for each chunk, joined along the samples: tensors concatenated, tuples and dataclasses
    joined field by field; anything else (a description such as how the images were resized) is the same for
    every chunk and taken from the first."""
    first = parts[0]
    if isinstance(first, Tensor):
        return torch.cat(list(parts))
    if isinstance(first, tuple):
        return tuple(join(column) for column in zip(*parts, strict=True))
    if is_dataclass(first) and not isinstance(first, type):
        joined = {f.name: join([getattr(p, f.name) for p in parts]) for f in fields(first)}
        return replace(first, **joined)
    return first


# --- domain: ganlab's classifier -------------------------------------------------------------------------------


READS_REAL_FEATURES = {"fd_domain", "kd_domain", "class_kl"}
REAL_CHUNK = 1_000  # real images converted to float at a time (the classifier's batch)


class DomainReference:
    """The verified classifier and, computed once and kept, the real set's features and their statistics.

    The real side is computed only for metrics that read it (class_coverage, modes, kl_modes do not).
    """

    def __init__(self, classifier: LoadedClassifier, real: Dataset, weights_file: str) -> None:
        self.classifier, self.real_data, self.weights_file = classifier, real, weights_file
        self.stacked = real.index is not None

    @cached_property
    def real(self) -> DomainFeatures:
        chunks = (self.real_data.batch(idx) for idx in torch.arange(len(self.real_data)).split(REAL_CHUNK))
        return join([domain_features(self.classifier, chunk, self.stacked)[0] for chunk in chunks])

    @cached_property
    def stats(self) -> GaussianStats:
        return feature_statistics(self.real.features)


@dataclass(frozen=True)
class DomainMeasured:
    fake: DomainFeatures
    resize: str
    fake_labels: Tensor | None = None  # (N,) the labels a conditional run drew the samples for


def default_split_loader(name: str) -> SplitLoader:
    """Splits of `name` at its native resolution, as the classifier is trained on them."""

    def load(split: Split) -> Dataset:
        from ganlab.data import load_dataset

        return load_dataset(DataConfig(name=name), split)

    return load


def domain_reference(real: Dataset, names: tuple[str, ...], ctx: EvalContext) -> DomainReference:
    name = classifier_name(real)
    stacked = real.index is not None
    load_split = ctx.load_split if ctx.load_split is not None and not stacked else default_split_loader(name)
    classifier = get_classifier(name, load_split, ctx.device)
    weights = classifier_json(name).parent / classifier.record.weights_file
    reference = DomainReference(classifier, real, str(weights))
    if READS_REAL_FEATURES.intersection(names):
        _ = reference.stats  # now, so periodic evaluations pay only for the samples
    return reference


def domain_keep(chunk: Tensor, start: int, ref: DomainReference, ctx: EvalContext) -> tuple[DomainFeatures, str]:
    return domain_features(ref.classifier, chunk, ref.stacked)


def domain_measure(
    kept: tuple[DomainFeatures, str],
    fake_labels: Tensor | None,
    ref: DomainReference,
    names: tuple[str, ...],
    ctx: EvalContext,
) -> DomainMeasured:
    features, resize = kept
    return DomainMeasured(features, resize, None if fake_labels is None else fake_labels.cpu())


def domain_kept_bytes(shape: tuple[int, ...], ref: DomainReference) -> int:
    """float64 features (per channel of a stacked set) and an int64 class."""
    return (shape[0] if ref.stacked else 1) * FEATURE_DIM * 8 + 8


def domain_provenance(ref: DomainReference, measured: DomainMeasured) -> dict[str, Any]:
    record = ref.classifier.record
    return {
        "extractor": f"ganlab domain classifier for {record.dataset} (128-d penultimate features, predicted classes)",
        "weights": ref.weights_file,
        "sha256": record.sha256,
        "classifier_test_accuracy": record.test_accuracy,
        "resize": measured.resize,
        "kd_subsets": KID_SUBSETS,
        "kd_subset_size": min(KID_SUBSET_SIZE, len(measured.fake.features), len(ref.real_data)),
        "library": ganlab_version(),
    }


# --- inception: torch-fidelity ---------------------------------------------------------------------------------

INCEPTION_FEATURES = 2048  # pool3 features torch-fidelity computes for FID and KID


@dataclass(frozen=True)
class InceptionReference:
    pixels: Tensor  # uint8 (N, 3, H, W)
    extractor: str  # torch-fidelity's name of the feature extractor
    weights: inception.InceptionWeights | None  # None for a stand-in extractor without weights
    cache_name: str | None


@dataclass(frozen=True)
class InceptionMeasured:
    values: dict[str, float]
    kid_subset_size: int


def dataset_pixels(real: Dataset) -> Tensor:
    """The images of a dataset as stored, uint8 (N, C, H, W); stacked sets are composed."""
    return real.x[real.index].flatten(1, 2) if real.index is not None else real.x


def inception_reference(real: Dataset, names: tuple[str, ...], ctx: EvalContext) -> InceptionReference:
    reference_net = ctx.inception_extractor == inception.INCEPTION_EXTRACTOR
    weights = inception.resolve_inception_weights(ctx.inception_weights) if reference_net else None
    pixels = inception.uint8_to_rgb(dataset_pixels(real).cpu())
    cache_name = None
    if weights is not None:  # name the real features by content so a cached copy is never stale
        digest = hashlib.sha256(pixels.numpy().tobytes()).hexdigest()[:16]
        cache_name = f"ganlab-{real.name}-{ctx.reference_split}-{len(pixels)}-{digest}-{weights.sha256[:8]}"
    return InceptionReference(pixels, ctx.inception_extractor, weights, cache_name)


def inception_keep(chunk: Tensor, start: int, ref: InceptionReference, ctx: EvalContext) -> Tensor:
    return inception.to_uint8_rgb(chunk)


def inception_measure(
    pixels: Tensor, fake_labels: Tensor | None, ref: InceptionReference, names: tuple[str, ...], ctx: EvalContext
) -> InceptionMeasured:
    values = inception.inception_metrics(
        [name for name in names if name in inception.RESULT_KEYS],
        pixels,
        ref.pixels,
        weights=ref.weights,
        feature_extractor=ref.extractor,
        seed=ctx.seed,
        cuda=torch.device(ctx.device).type == "cuda",
        real_cache_name=ref.cache_name,
        cache_root=cache_root() / "fidelity",
    )
    return InceptionMeasured(values, min(inception.KID_SUBSET_SIZE, len(pixels), len(ref.pixels)))


def inception_kept_bytes(shape: tuple[int, ...], ref: InceptionReference) -> int:
    """uint8 RGB pixels, and torch-fidelity's 2048-d float features of them."""
    return 3 * math.prod(shape[1:]) + INCEPTION_FEATURES * 4


def inception_provenance(ref: InceptionReference, measured: InceptionMeasured) -> dict[str, Any]:
    sha256 = ref.weights.sha256 if ref.weights else None
    return {
        "extractor": ref.extractor,
        "weights": ref.weights.source if ref.weights else None,
        "sha256": sha256,
        "resize": inception.RESIZE,
        "kid_subsets": KID_SUBSETS,
        "kid_subset_size": measured.kid_subset_size,
        "library": library_version("torch-fidelity"),
    }


# --- mixture: nearest centre of a 2-D Gaussian mixture ---------------------------------------------------------


@dataclass(frozen=True)
class MixtureReference:
    centers: Tensor  # (M, 2)
    std: float


def mixture_reference(real: Dataset, names: tuple[str, ...], ctx: EvalContext) -> MixtureReference:
    from ganlab.data.toy2d import mixture_modes

    centers, std = mixture_modes(real.name, ctx.mixture_std)
    return MixtureReference(centers, std)


def mixture_keep(chunk: Tensor, start: int, ref: MixtureReference, ctx: EvalContext) -> tuple[Tensor, Tensor]:
    return nearest_mode(chunk.reshape(len(chunk), -1), ref.centers)


def mixture_measure(
    kept: tuple[Tensor, Tensor],
    fake_labels: Tensor | None,
    ref: MixtureReference,
    names: tuple[str, ...],
    ctx: EvalContext,
) -> tuple[Tensor, Tensor]:
    return kept


def mixture_kept_bytes(shape: tuple[int, ...], ref: MixtureReference) -> int:
    return 16  # int64 mode index and float64 distance


def mixture_provenance(ref: MixtureReference, measured: Any) -> dict[str, Any]:
    return {
        "extractor": f"nearest of {len(ref.centers)} mixture centres; high quality = within {HQ_STDS:g} std ({ref.std:g})",
        "sha256": None,
        "resize": "none",
        "library": ganlab_version(),
    }


# --- pixels: exact optimal transport ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PixelReference:
    real: Tensor  # (n, ...) a random subset of the real split, drawn with the evaluator's seed


@dataclass(frozen=True)
class PixelMeasured:
    real: Tensor
    fake: Tensor


def pixel_reference(real: Dataset, names: tuple[str, ...], ctx: EvalContext) -> PixelReference:
    count = min(W1_MAX_SAMPLES, len(real))
    idx = torch.randperm(len(real), generator=torch.Generator().manual_seed(ctx.seed))[:count]
    return PixelReference(real.batch(idx).cpu())


def pixel_keep(chunk: Tensor, start: int, ref: PixelReference, ctx: EvalContext) -> Tensor:
    """The chunk's samples among the first len(ref.real) of the evaluation (an exact assignment is cubic)."""
    return chunk[: max(0, len(ref.real) - start)].cpu()


def pixel_measure(
    fake: Tensor, fake_labels: Tensor | None, ref: PixelReference, names: tuple[str, ...], ctx: EvalContext
) -> PixelMeasured:
    count = min(len(ref.real), len(fake))
    return PixelMeasured(ref.real[:count], fake[:count])


def pixel_kept_bytes(shape: tuple[int, ...], ref: PixelReference) -> int:
    return 0  # at most W1_MAX_SAMPLES samples are kept, whatever the evaluation's size


def pixel_provenance(ref: PixelReference, measured: PixelMeasured) -> dict[str, Any]:
    return {
        "extractor": f"none: {len(measured.fake)} real vs {len(measured.fake)} generated flattened samples, "
        "Euclidean ground cost, uniform weights (an optimal assignment)",
        "sha256": None,
        "resize": "none",
        "samples_per_side": len(measured.fake),
        "library": library_version("pot"),
    }


GROUPS: dict[str, FeatureGroup] = {
    "domain": FeatureGroup(domain_reference, domain_keep, domain_measure, domain_provenance, domain_kept_bytes),
    "inception": FeatureGroup(
        inception_reference, inception_keep, inception_measure, inception_provenance, inception_kept_bytes
    ),
    "mixture": FeatureGroup(mixture_reference, mixture_keep, mixture_measure, mixture_provenance, mixture_kept_bytes),
    "pixels": FeatureGroup(pixel_reference, pixel_keep, pixel_measure, pixel_provenance, pixel_kept_bytes),
}
