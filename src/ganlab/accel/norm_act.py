"""Batch norm and the activation after it as one module: one pass over memory each way on the CPU.

In a DCGAN block (conv, batch norm, ReLU/LeakyReLU; seed 000 §4.2, seed 001 §3.2) torch's CPU kernels read
and write the activation map eight times per training step for the norm and the activation together (three
passes forward, five backward); the fused C kernel `ganlab/accel/kernels/norm_act.c` does it in four (statistics,
output; channel sums, input gradient). Faster on those layers and on a whole DCGAN step
(`benchmarks/README.md`), and it keeps one map per layer for the backward (x) where torch keeps two (x and the
normalised map the in-place activation overwrote).

`BatchNormAct2d` is an `nn.BatchNorm2d` (same parameters, buffers and state dict) that applies its
activation itself. It takes the C path in training mode on the CPU in fp32 for a channels_last map without
autocast, when the kernel could be built (`ganlab.accel.kernels`), and torch's batch_norm and activation otherwise
(eval mode, CUDA, autocast, NCHW, `train.fused_norm=false`, torch.compile, which fuses them itself). Both paths
update the running statistics alike. A double backward (a gradient penalty through a batch-norm critic) is
differentiated through torch's ops, as in `accel.conv`.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.accel import kernels
from ganlab.accel.conv import reference_grads

_P, _I64, _F64, _INT = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int


@functools.cache
def _library() -> ctypes.CDLL | None:
    lib = kernels.load("norm_act")
    if lib is not None:
        lib.norm_act_forward.argtypes = [_P, _P, _I64, _I64, _P, _P, _F64, _F64, _P, _P, _P, _INT]
        lib.norm_act_backward.argtypes = [_P, _P, _P, _I64, _I64, _P, _P, _P, _P, _F64, _P, _P, _INT]
        lib.norm_act_forward.restype = lib.norm_act_backward.restype = _INT
    return lib


def fused_norm_available() -> bool:
    """Whether the C kernel is built and loaded in this process."""
    return _library() is not None


def _call(status: int) -> None:
    if status != 0:
        raise MemoryError("the fused batch-norm kernel could not allocate its channel sums")


def _activation(y: Tensor, slope: float) -> Tensor:
    """ReLU (slope 0) or LeakyReLU(slope), in place: the batch norm before keeps its input, not its output."""
    return F.leaky_relu_(y, slope) if slope else F.relu_(y)


def reference(x: Tensor, weight: Tensor, bias: Tensor, eps: float, slope: float) -> Tensor:
    """Training-mode batch norm (batch statistics) and the activation, in torch's ops (no running update)."""
    y = F.batch_norm(x, None, None, weight, bias, True, 0.0, eps)
    return F.leaky_relu(y, slope) if slope else F.relu(y)


class _NormAct(torch.autograd.Function):
    """act(batch_norm(x)) on a channels_last fp32 CPU map by the C kernel; running statistics updated in place."""

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        weight: Tensor,
        bias: Tensor,
        running_mean: Tensor,
        running_var: Tensor,
        momentum: float,
        eps: float,
        slope: float,
    ) -> Tensor:
        lib = cast(ctypes.CDLL, _library())
        b, c, h, w = x.shape
        rows = b * h * w
        y = torch.empty_like(x, memory_format=torch.channels_last)
        mean, invstd = x.new_empty(c), x.new_empty(c)
        var = torch.empty(c, dtype=torch.float64)
        _call(
            lib.norm_act_forward(
                x.data_ptr(), y.data_ptr(), rows, c, weight.data_ptr(), bias.data_ptr(), eps, slope,
                mean.data_ptr(), invstd.data_ptr(), var.data_ptr(), torch.get_num_threads(),
            )
        )  # fmt: skip
        with torch.no_grad():  # as torch's: biased variance normalises, the unbiased one is tracked
            running_mean.lerp_(mean, momentum)
            running_var.lerp_(var.to(running_var.dtype) * (rows / (rows - 1)), momentum)
        ctx.save_for_backward(x, weight, bias, mean, invstd)
        ctx.has_bias, ctx.conf = True, (eps, slope)
        return y

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        eps, slope = ctx.conf
        if torch.is_grad_enabled():  # a double backward: differentiate torch's ops instead
            op = functools.partial(reference, eps=eps, slope=slope)
            return (*reference_grads(op, ctx, grad_out), None, None, None, None, None)
        lib = cast(ctypes.CDLL, _library())
        x, weight, bias, mean, invstd = ctx.saved_tensors
        b, c, h, w = x.shape
        g = grad_out.contiguous(memory_format=torch.channels_last)
        grad_x = torch.empty_like(x, memory_format=torch.channels_last)
        grad_w, grad_b = torch.empty_like(weight), torch.empty_like(bias)
        _call(
            lib.norm_act_backward(
                g.data_ptr(), x.data_ptr(), grad_x.data_ptr(), b * h * w, c, weight.data_ptr(), bias.data_ptr(),
                mean.data_ptr(), invstd.data_ptr(), slope, grad_w.data_ptr(), grad_b.data_ptr(),
                torch.get_num_threads(),
            )
        )  # fmt: skip
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return (
            grad_x if need_x else None,
            grad_w if need_w else None,
            grad_b if need_b else None,
            None,
            None,
            None,
            None,
            None,
        )


class BatchNormAct2d(nn.BatchNorm2d):
    """BatchNorm2d followed by ReLU (slope 0) or LeakyReLU(slope), fused on the CPU (module doc)."""

    def __init__(self, num_features: int, slope: float, fused: bool = True) -> None:
        super().__init__(num_features)
        self.slope, self.fused = slope, fused

    def fused_path(self, x: Tensor) -> bool:
        """Whether this call takes the C kernel."""
        return (
            self.fused
            and self.training
            and self.affine
            and self.track_running_stats
            and self.momentum is not None
            and x.device.type == "cpu"
            and x.dtype == torch.float32
            and x.dim() == 4
            and x.numel() > x.shape[1]  # more than one value per channel
            and x.is_contiguous(memory_format=torch.channels_last)
            and not torch.is_autocast_enabled("cpu")
            and not torch.compiler.is_compiling()
            and _library() is not None
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.fused_path(x):
            cast(Tensor, self.num_batches_tracked).add_(1)  # tracked: fused_path checks track_running_stats
            return cast(
                Tensor,
                _NormAct.apply(
                    x, self.weight, self.bias, self.running_mean, self.running_var, self.momentum, self.eps, self.slope
                ),
            )
        return _activation(super().forward(x), self.slope)

    def extra_repr(self) -> str:
        act = f"LeakyReLU({self.slope})" if self.slope else "ReLU()"
        return f"{super().extra_repr()}, then {act}"


def set_fused_norm(module: nn.Module, fused: bool) -> None:
    """Turn the C path of every BatchNormAct2d in `module` on or off (train.fused_norm)."""
    for m in module.modules():
        if isinstance(m, BatchNormAct2d):
            m.fused = fused
