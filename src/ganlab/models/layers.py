"""Small layers shared by the architectures: conditioning, normalisation choices, and the layer tricks
(minibatch discrimination, seed 001 §4.3; virtual batch normalization, seed 001 §4.4)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def one_hot(labels: Tensor, num_classes: int, dtype: torch.dtype) -> Tensor:
    """(B,) int64 -> (B, K) float one-hot."""
    return F.one_hot(labels, num_classes).to(dtype)


def label_channels(labels: Tensor, num_classes: int, like: Tensor) -> Tensor:
    """One-hot labels as K constant image channels (B, K, H, W) (seed 001 §5.5)."""
    b, _, h, w = like.shape
    return one_hot(labels, num_classes, like.dtype)[:, :, None, None].expand(b, num_classes, h, w)


def activation(slope: float) -> nn.Module:
    """LeakyReLU(slope), or ReLU for slope 0."""
    return nn.LeakyReLU(slope) if slope else nn.ReLU()


def norm_2d(kind: str, channels: int, reference_size: int = 0, vbn_statistics: str = "sample") -> nn.Module:
    """batch -> BatchNorm2d (or virtual batch norm when reference_size > 0, its statistics `vbn_statistics`);
    layer -> LayerNorm over (C, H, W) with per-channel affine; none -> identity."""
    if kind == "batch" and reference_size:
        return VirtualBatchNorm2d(channels, reference_size, statistics=vbn_statistics)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # one group = layer norm over C, H, W (seed 001 §5.1.2)
    return nn.Identity()


# What a live sample is normalised with, beside the fixed reference batch (seed 001 §4.4).
VBN_STATISTICS = ("sample", "batch", "reference")


class VirtualBatchNorm2d(nn.Module):
    """Virtual batch norm (Salimans et al. 2016; seed 001 §4.4) on (R + B, C, H, W), the first R rows the reference.

    The reference rows are normalised with the reference batch's statistics. The B live rows, per channel, with
    the mean and mean of squares `statistics` says:
    - sample: 1/(R+1) * stat(x) + (1 - 1/(R+1)) * stat(ref) for each live sample x alone: the union of the
      reference batch and x, as Salimans et al.'s code, whose 1/(batch_size+1) the seed adopts. A sample's
      output then depends on no other live sample;
    - batch: the same mixture with stat(x) the statistic of the whole current batch, the seed's formula read
      literally ("x_curr one of our statistics from our current batch");
    - reference: stat(ref) alone, reference batch normalization, the method VBN improves on (seed 001 §4.4).
    """

    def __init__(self, channels: int, reference_size: int, eps: float = 1e-5, statistics: str = "sample") -> None:
        super().__init__()
        if statistics not in VBN_STATISTICS:
            raise ValueError(f"statistics must be one of {VBN_STATISTICS}, got {statistics!r}")
        self.reference_size, self.eps, self.statistics = reference_size, eps, statistics
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:  # (R + B, C, H, W) -> same
        xf = x.float()
        ref = xf[: self.reference_size]
        ref_mean, ref_sq = ref.mean((0, 2, 3)), ref.pow(2).mean((0, 2, 3))  # (C,)
        if self.statistics == "reference":
            mean, sq = ref_mean.expand(len(x), -1), ref_sq.expand(len(x), -1)  # (R + B, C)
        else:
            new = 1.0 / (self.reference_size + 1)  # the seed's 1/(batch_size+1) coefficient
            if self.statistics == "sample":
                own_mean, own_sq = xf.mean((2, 3)), xf.pow(2).mean((2, 3))  # (R + B, C), each row its own
            else:
                live = xf[self.reference_size :]
                own_mean = live.mean((0, 2, 3)).expand(len(x), -1)  # (R + B, C), every row the batch's
                own_sq = live.pow(2).mean((0, 2, 3)).expand(len(x), -1)
            mean = new * own_mean + (1.0 - new) * ref_mean
            sq = new * own_sq + (1.0 - new) * ref_sq
            is_ref = torch.arange(len(x), device=x.device)[:, None] < self.reference_size  # (R + B, 1)
            mean, sq = torch.where(is_ref, ref_mean, mean), torch.where(is_ref, ref_sq, sq)
        inv_std = torch.rsqrt(sq - mean.pow(2) + self.eps)
        scale = self.weight * inv_std  # (R + B, C)
        out = (xf - mean[:, :, None, None]) * scale[:, :, None, None] + self.bias[:, None, None]
        return out.to(x.dtype)

    def extra_repr(self) -> str:
        return f"{len(self.weight)}, reference_size={self.reference_size}, statistics={self.statistics}"


class MinibatchDiscrimination(nn.Module):
    """f (n, A) -> [f, o] (n, A + B) with o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), M_i = f(x_i) T (seed 001 §4.3).

    T in R^{A x B x C} is held as a bias-free linear map A -> B*C, so weight clipping and spectral norm reach it.
    A batch of identical samples gives o = n everywhere; samples far apart give o -> 1 (each only close to itself).
    """

    init_std = 0.05  # Salimans et al. 2016's released code initialises T with N(0, 0.05^2)

    def __init__(self, in_features: int, kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Linear(in_features, kernels * kernel_dim, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.T.weight, 0.0, self.init_std)

    def forward(self, h: Tensor) -> Tensor:  # (n, A) -> (n, A + B)
        M = self.T(h).view(len(h), self.kernels, self.kernel_dim)  # (n, B, C)
        l1 = (M[:, None] - M[None]).abs().sum(-1)  # (n, n, B): ||M_i,b - M_j,b||_1
        o = torch.exp(-l1).sum(1)  # (n, B), j = i included as in the seed's sum over j = 1..n
        return torch.cat([h, o.to(h.dtype)], 1)


@dataclass(frozen=True)
class MinibatchSpec:
    """Minibatch discrimination in D's head: B kernels of C rows, and the width of the dense layer after it."""

    kernels: int
    kernel_dim: int
    after: int | None


class MinibatchHead(nn.Module):
    """D's head with minibatch discrimination: [h, onehot(y)] -> dense? -> MBD -> dense? -> logit (seed 001 §5.6 D);
    `slope` is the dense layers' LeakyReLU slope (0: ReLU)."""

    def __init__(
        self,
        features: int,
        num_classes: int,
        condition: str,
        *,
        before: int | None,
        spec: MinibatchSpec,
        slope: float = 0.2,
    ) -> None:
        super().__init__()
        # The label joins by concatenation before the layers (dense), or by projection at the end.
        self.concat_classes = num_classes if condition == "dense" else 0
        width = features + self.concat_classes
        layers: list[nn.Module] = []
        if before is not None:
            layers += [nn.Linear(width, before), activation(slope)]
            width = before
        layers.append(MinibatchDiscrimination(width, spec.kernels, spec.kernel_dim))
        width += spec.kernels
        if spec.after is not None:
            layers += [nn.Linear(width, spec.after), activation(slope)]
            width = spec.after
        self.body = nn.Sequential(*layers)
        self.out: nn.Module
        if num_classes and condition == "projection":
            self.out = ProjectionHead(width, num_classes)
        else:
            self.out = ConcatHead(width, 0, hidden=None)

    def forward(self, h: Tensor, labels: Tensor | None) -> Tensor:  # h (B, F) -> (B,)
        if self.concat_classes:
            assert labels is not None
            h = torch.cat([h, one_hot(labels, self.concat_classes, h.dtype)], 1)
        return self.out(self.body(h), labels)


class ProjectionHead(nn.Module):
    """logit = w.h + b + <E[y], h> (Miyato & Koyama 2018): the label enters as an inner product."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, h: Tensor, labels: Tensor) -> Tensor:  # h (B, F), labels (B,) -> (B,)
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1)


class ConcatHead(nn.Module):
    """logit = MLP([h, onehot(y)]): the label concatenated to a dense layer (seed 001 §2.7, §3.3); `slope` is the
    hidden layer's LeakyReLU slope (0: ReLU)."""

    def __init__(self, features: int, num_classes: int, hidden: int | None, slope: float = 0.2) -> None:
        super().__init__()
        self.num_classes = num_classes
        width = features + num_classes
        layers: list[nn.Module] = []
        if hidden is not None:
            layers += [nn.Linear(width, hidden), activation(slope)]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, h: Tensor, labels: Tensor | None) -> Tensor:  # h (B, F) -> (B,)
        if self.num_classes:
            assert labels is not None
            h = torch.cat([h, one_hot(labels, self.num_classes, h.dtype)], 1)
        return self.net(h).squeeze(1)


def dcgan_init(module: nn.Module) -> None:
    """Weights ~ N(0, 0.02), BN scale ~ N(1, 0.02), biases 0 (Radford et al. 2016, the DCGAN paper)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, VirtualBatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, MinibatchDiscrimination):
        module.reset_parameters()  # `apply` visits T first; the layer keeps its own initialisation


def discriminator_head(
    features: int,
    num_classes: int,
    condition: str,
    head: str,
    dense: int,
    minibatch: MinibatchSpec | None,
    slope: float,
) -> nn.Module:
    """A convolutional D's output on its flattened last map (B, F) -> (B,), dense layers activated with `slope`.

    head=conv is one k=base convolution over the last map, i.e. a linear layer on its flattening; head=dense puts a
    `dense`-unit layer before it (seed 001 §3.3); minibatch discrimination sits between dense layers (seed 001
    §4.3, the one before it is head=dense). A dense-conditioned D's one-hot label joins the flattened map (seed
    001 §2.7); a projection D's label multiplies it (Miyato & Koyama 2018)."""
    if minibatch is not None:
        before = dense if head == "dense" else None
        return MinibatchHead(features, num_classes, condition, before=before, spec=minibatch, slope=slope)
    if num_classes and condition == "projection":
        return ProjectionHead(features, num_classes)
    head_classes = num_classes if condition == "dense" else 0
    return ConcatHead(features, head_classes, hidden=dense if head == "dense" else None, slope=slope)


class ConvDiscriminator(nn.Module):
    """A convolutional trunk, then a head on its flattened last map; labels as constant input channels with
    condition=channels (seed 001 §5.5). Subclasses build `trunk` and `head` (`discriminator_head`)."""

    trunk: nn.Module
    head: nn.Module

    def __init__(self, num_classes: int, condition: str) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.label_channels = bool(num_classes) and condition == "channels"

    def features(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """Flattened last feature map (B, F)."""
        if self.label_channels:
            assert labels is not None
            x = torch.cat([x, label_channels(labels, self.num_classes, x)], 1)
        return self.trunk(x).flatten(1)

    def classify(self, h: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.head(h, labels)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:  # x (B, C, H, W) in [-1, 1]
        return self.classify(self.features(x, labels), labels)


def norm_act(
    kind: str, channels: int, slope: float, reference_size: int = 0, vbn_statistics: str = "sample"
) -> list[nn.Module]:
    """The norm of kind `kind`, then ReLU (slope 0) or LeakyReLU(slope) in place, as two modules: in a Sequential,
    or as a `<name>_norm`, `<name>_act` pair, where `ganlab.accel` finds a batch norm to fuse with it."""
    act = nn.LeakyReLU(slope, inplace=True) if slope else nn.ReLU(inplace=True)
    return [norm_2d(kind, channels, reference_size, vbn_statistics), act]
