"""Mode-collapse measures: class histograms, conditional class accuracy, stacked-set modes, 2-D mixture coverage.

Conventions (Metz et al. 2017 unrolled GAN; Srivastava et al. 2017 VEEGAN; Lin et al. 2018 PacGAN):
- Stacked sets: each channel is classified on its own; the mode of a sample is 100*c0 + 10*c1 + c2 (1000 modes
  for 3 channels of 10 classes). `modes` counts modes with at least one sample; `kl_modes` is
  KL(generated mode histogram || uniform over all modes).
- 2-D mixtures: a sample is *high quality* when its Euclidean distance to the nearest mixture centre is at
  most 3 standard deviations of a component (VEEGAN §5.1). A mode is *covered* when at least `min_count`
  (default 1) high-quality samples have it as their nearest centre; `modes` counts covered modes and
  `high_quality` is the share of high-quality samples. For a perfect sampler of an isotropic 2-D Gaussian
  the expected high-quality share is 1 - exp(-9/2) = 0.989.
"""

from __future__ import annotations

import torch
from torch import Tensor

HQ_STDS = 3.0  # VEEGAN / PacGAN: within three standard deviations of the nearest mode
KL_FLOOR = 1e-10  # floor on the reference histogram so an empty reference bin gives a large, finite KL


def class_histogram(classes: Tensor, num_classes: int) -> Tensor:
    """Share of samples per class (K,) float64 of predicted classes (N,)."""
    counts = torch.bincount(classes.long().cpu(), minlength=num_classes).double()
    return counts / counts.sum().clamp_min(1)


def kl_divergence(p: Tensor, q: Tensor) -> float:
    """KL(p || q) in nats of two histograms (K,); empty bins of p contribute 0, q is floored at KL_FLOOR."""
    p, q = p.double(), q.double().clamp_min(KL_FLOOR)
    mask = p > 0
    return float((p[mask] * (p[mask] / q[mask]).log()).sum())


def class_coverage(classes: Tensor, num_classes: int) -> float:
    """Share of the K classes that receive at least 1/(4K) of the samples."""
    hist = class_histogram(classes, num_classes)
    return float((hist >= 1.0 / (4 * num_classes)).double().mean())


def class_kl(fake_classes: Tensor, real_classes: Tensor, num_classes: int) -> float:
    """KL of the fake predicted-class histogram to the real one."""
    return kl_divergence(class_histogram(fake_classes, num_classes), class_histogram(real_classes, num_classes))


def class_accuracy(predicted: Tensor, drawn_for: Tensor) -> float:
    """Share of samples whose predicted class (N,) equals the label they were drawn for (N,)."""
    return float((predicted.long().cpu() == drawn_for.long().cpu()).double().mean())


def stacked_mode_ids(channel_classes: Tensor, classes_per_channel: int = 10) -> Tensor:
    """Mode id (N,) of per-channel classes (N, K): sum_k c_k * base^(K-1-k), i.e. 100*c0 + 10*c1 + c2."""
    k = channel_classes.shape[1]
    weights = classes_per_channel ** torch.arange(k - 1, -1, -1, device=channel_classes.device)
    return (channel_classes.long() * weights).sum(1)


def modes_covered(mode_ids: Tensor, num_modes: int) -> int:
    """Number of modes with at least one sample."""
    return int((torch.bincount(mode_ids.long().cpu(), minlength=num_modes) > 0).sum())


def kl_to_uniform(mode_ids: Tensor, num_modes: int) -> float:
    """KL(generated mode histogram || uniform over num_modes)."""
    return kl_divergence(
        class_histogram(mode_ids, num_modes), torch.full((num_modes,), 1.0 / num_modes, dtype=torch.float64)
    )


def nearest_mode(points: Tensor, centers: Tensor) -> tuple[Tensor, Tensor]:
    """Index (N,) of the nearest centre (M, 2) to each point (N, 2) and the distance (N,) to it."""
    distances = torch.cdist(points.double(), centers.double())  # (N, M)
    nearest, index = distances.min(1)
    return index, nearest


def mixture_modes_covered(index: Tensor, distance: Tensor, num_modes: int, std: float, min_count: int = 1) -> int:
    """Number of modes with at least `min_count` high-quality samples, from nearest_mode's (index, distance)."""
    good = index[distance <= HQ_STDS * std]
    return int((torch.bincount(good.cpu(), minlength=num_modes) >= min_count).sum())


def high_quality_share(distance: Tensor, std: float) -> float:
    """Share of samples within 3 std of their nearest mode, from nearest_mode's distance (N,)."""
    return float((distance <= HQ_STDS * std).double().mean())
