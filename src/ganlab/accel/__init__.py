"""Speed paths for the CPU, apart from the architectures, applied to a built model by `accelerate`.

The models (ganlab.models) are plain torch layers. `accelerate(model, train)` swaps in, layer by layer, faster
versions that compute the same maths and keep the parameter names, so a state dict is the same with or
without them:
- convolutions as im2col + matrix products where oneDNN is slow (small maps, images of few channels;
  conv.py), switched by train.gemm_conv;
- a batch norm and the ReLU / LeakyReLU after it as one C kernel pass each way (norm_act.py, kernels/),
  switched by train.fused_norm; the activation's module becomes an Identity in its slot.
Each fast layer falls back to torch's ops where its path does not apply (CUDA, autocast, NCHW, eval mode) and is
tested against them, forward and double backward (tests/unit/perf). benchmarks/README.md has the figures.
"""

from __future__ import annotations

from torch import nn

from ganlab.accel.conv import Conv2d, ConvTranspose2d, GemmPath, SameConv2d, set_gemm_conv
from ganlab.accel.norm_act import BatchNormAct2d, fused_norm_available, set_fused_norm
from ganlab.config.schema import TrainConfig
from ganlab.models.dcgan import SameConv2d as PlainSameConv2d

# plain layer -> its fast version (a subclass with the same parameters): swapped by class, nothing is copied
FAST: dict[type[nn.Module], type[nn.Module]] = {
    nn.Conv2d: Conv2d,
    nn.ConvTranspose2d: ConvTranspose2d,
    PlainSameConv2d: SameConv2d,
}


def activation_slope(module: nn.Module) -> float | None:
    """The negative slope of a ReLU (0) or LeakyReLU module, None for anything else."""
    if type(module) is nn.ReLU:
        return 0.0
    if type(module) is nn.LeakyReLU:
        return float(module.negative_slope)
    return None


def norm_act_pairs(model: nn.Module) -> list[tuple[nn.Module, str, str]]:
    """(parent, norm name, activation name) of every batch norm directly followed by its activation: consecutive
    in a Sequential, or a `<name>_norm`, `<name>_act` pair of attributes (models/layers.norm_act builds both)."""
    pairs = []
    for parent in model.modules():
        names = list(parent._modules)
        if isinstance(parent, nn.Sequential):
            candidates = list(zip(names, names[1:], strict=False))
        else:
            candidates = [(n, n[: -len("_norm")] + "_act") for n in names if n.endswith("_norm")]
        for norm, act in candidates:
            first, second = parent._modules.get(norm), parent._modules.get(act)
            if type(first) is nn.BatchNorm2d and second is not None and activation_slope(second) is not None:
                pairs.append((parent, norm, act))
    return pairs


def accelerate(model: nn.Module, train: TrainConfig) -> nn.Module:
    """`model` with the fast layers swapped in (in place; before any parametrisation such as spectral norm)."""
    for module in model.modules():
        fast = FAST.get(type(module))
        if fast is not None:
            module.__class__ = fast
    for parent, norm, act in norm_act_pairs(model):
        fused, slope = getattr(parent, norm), activation_slope(getattr(parent, act))
        fused.__class__ = BatchNormAct2d
        fused.slope = slope
        setattr(parent, act, nn.Identity())  # the activation runs inside the norm; the slot keeps the indices
    set_gemm_conv(model, train.gemm_conv)
    set_fused_norm(model, train.fused_norm)
    return model


__all__ = [
    "accelerate",
    "BatchNormAct2d",
    "Conv2d",
    "ConvTranspose2d",
    "GemmPath",
    "SameConv2d",
    "fused_norm_available",
    "set_fused_norm",
    "set_gemm_conv",
]
