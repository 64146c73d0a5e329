"""Domain features: ganlab's own classifier for a dataset, found, verified, or trained once and cached.

For Fashion-MNIST the classifier ships in `ganlab/metrics/weights/`. For any other labelled image set it is
trained on first use on the training split with a short schedule and cached under $GANLAB_CACHE/classifiers
(default ~/.cache/ganlab/classifiers), with a warning saying so. Stacked sets reuse their base set's
classifier channel by channel: features are concatenated and classes combine into mode ids.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.base import Dataset, Split
from ganlab.errors import GanlabWarning, MetricError
from ganlab.metrics.classifier import LoadedClassifier, build_classifier, load_classifier, predict
from ganlab.metrics.modes import stacked_mode_ids
from ganlab.metrics.provenance import cache_root

SHIPPED_DIR = Path(__file__).parent / "weights"
FIRST_USE_EPOCHS = 2  # short schedule for classifiers trained on first use
STACKED_PREFIX = "stacked-"
GREY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, for RGB samples shown to a grey classifier

SplitLoader = Callable[[Split], Dataset]


@dataclass(frozen=True)
class DomainFeatures:
    """Penultimate features (N, D) float64, predicted classes (N,) and how many classes there are."""

    features: Tensor
    classes: Tensor
    num_classes: int


def classifier_name(data: Dataset) -> str:
    """The dataset whose classifier measures `data`: the base set for stacked sets."""
    if data.index is not None and data.name.startswith(STACKED_PREFIX):
        return data.name[len(STACKED_PREFIX) :]
    return data.name


def classifier_json(name: str) -> Path:
    """The record of `name`'s classifier: shipped with ganlab if it exists, else in the cache."""
    shipped = SHIPPED_DIR / f"{name}.json"
    return shipped if shipped.is_file() else cache_root() / "classifiers" / f"{name}.json"


def classifier_available(data: Dataset) -> bool:
    """Whether a classifier for `data` exists or can be trained (labelled images)."""
    if data.kind != "image":
        return False
    if classifier_json(classifier_name(data)).is_file():
        return True
    return data.index is None and data.labels is not None and data.num_classes >= 2


def get_classifier(name: str, load_split: SplitLoader, device: torch.device | str = "cpu") -> LoadedClassifier:
    """The verified classifier of dataset `name`, training and caching it on first use."""
    record = classifier_json(name)
    if not record.is_file():
        train, test = load_split("train"), load_split("test")
        warnings.warn(
            f"training ganlab's domain classifier for '{name}' on its train split ({FIRST_USE_EPOCHS} epochs, "
            f"once); cached in {record.parent}",
            GanlabWarning,
            stacklevel=2,
        )
        build_classifier(train, test, record.parent, epochs=FIRST_USE_EPOCHS)
    return load_classifier(record, device)


def adapt_images(images: Tensor, shape: tuple[int, int, int]) -> tuple[Tensor, str]:
    """Images (N, C, H, W) converted to the classifier's (C', H', W'), and a description of what was done."""
    steps = []
    channels, height, width = shape
    if images.shape[1] != channels:
        if channels == 1 and images.shape[1] == 3:
            luma = torch.tensor(GREY_WEIGHTS, dtype=images.dtype, device=images.device)
            images = (images * luma[None, :, None, None]).sum(1, keepdim=True)
            steps.append("RGB to grey (BT.601 luma)")
        elif channels == 3 and images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
            steps.append("grey repeated to RGB")
        else:
            raise MetricError(f"cannot show {images.shape[1]}-channel samples to a {channels}-channel classifier")
    if tuple(images.shape[2:]) != (height, width):
        steps.append(f"bilinear (antialiased) {images.shape[2]}x{images.shape[3]} -> {height}x{width}")
        images = F.interpolate(images, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return images, "; ".join(steps) or f"none (samples are {channels}x{height}x{width}, as the classifier)"


def domain_features(
    classifier: LoadedClassifier, images: Tensor, stacked: bool = False, batch_size: int = 1000
) -> tuple[DomainFeatures, str]:
    """Classifier features and classes of images (N, C, H, W) in [-1, 1]; stacked: per channel, then combined."""
    shape = classifier.record.input_shape
    num_classes = classifier.record.num_classes
    if not stacked:
        adapted, how = adapt_images(images, shape)
        features, classes = predict(classifier.model, adapted, batch_size)
        return DomainFeatures(features, classes, num_classes), how
    per_channel = [adapt_images(images[:, c : c + 1], shape) for c in range(images.shape[1])]
    outputs = [predict(classifier.model, adapted, batch_size) for adapted, _ in per_channel]
    features = torch.cat([feats for feats, _ in outputs], dim=1)  # (N, K * 128)
    modes = stacked_mode_ids(torch.stack([classes for _, classes in outputs], dim=1), num_classes)
    how = f"each of {images.shape[1]} channels classified on its own: {per_channel[0][1]}"
    return DomainFeatures(features, modes, num_classes ** images.shape[1]), how
