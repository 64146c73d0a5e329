"""Convolutions oneDNN runs poorly on this CPU, as matrix products (im2col + GEMM, col2im), for the CPU.

oneDNN's direct kernels use a 2-core AVX-512 CPU poorly when a convolution's small side is 4x4: the 8x8 -> 4x4
convolution of seed 000's 64x64 critic (256 -> 512 channels, batch 64) runs at about 210 GFLOP/s forward +
backward against about 300 for the larger maps, and the generator's first transposed convolution (4x4 -> 8x8)
likewise. Written as a matrix product over patches in channels_last order, the same maths runs at the matmul
rate (figures in `benchmarks/README.md`). Larger maps
stay on oneDNN, which is faster there.

oneDNN also *writes* 1-3 channels poorly while it reads them well. So a convolution of images with at most
`FEW_CHANNELS` channels (a critic's first layer) keeps torch's forward and weight gradient and computes only
its input gradient, which has the image's channels, as GEMM + col2im (`_FewInputsConv2d`); a transposed
convolution to at most `FEW_CHANNELS` channels (a generator's image layer) does the opposite
(`_FewOutputsConvTranspose2d`); and the stride-1 image head is computed tap by tap (`_TapConv2d`).

`Conv2d` and `ConvTranspose2d` here are drop-in subclasses of torch's (same parameters, same state dict) that
take these paths on the CPU in fp32 (and fp64) when the small side of the map is at most `GEMM_MAX_SIDE` or the
channels are few, and torch's otherwise. The backward is written out (patch matrix kept from the forward,
col2im as strided adds grouped by stride phase), which is where the time goes; a double backward (the gradient
penalty) recomputes through torch's own convolution, so higher-order gradients are exactly torch's.

Outputs: each path returns a tensor it allocated with the final strides and wrote through a view, never a view
itself, so that the in-place activation after a layer is allowed (autograd forbids modifying a custom
Function's view output in place).
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.models import dcgan as models_dcgan

GEMM_MAX_SIDE = 4  # the im2col path is taken when the small map is at most this many pixels on a side
FEW_CHANNELS = 4  # ... and where a layer reads or writes images with at most this many channels


def gemm_eligible(x: Tensor, small_side: int) -> bool:
    """CPU, fp32 (or fp64) maths without autocast, a 4-D batch and a small map."""
    return (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and x.dim() == 4
        and small_side <= GEMM_MAX_SIDE
        and not torch.is_autocast_enabled("cpu")
    )


def _patches(padded: Tensor, k: int, s: int, oh: int, ow: int) -> Tensor:
    """(B, Hp, Wp, C) contiguous -> the (B, oh, ow, k, k, C) view of its k x k windows at stride s."""
    b, _, _, c = padded.shape
    sb, sh, sw, sc = padded.stride()
    return padded.as_strided((b, oh, ow, k, k, c), (sb, sh * s, sw * s, sh, sw, sc))


def _col2im(cols: Tensor, height: int, width: int, s: int) -> Tensor:
    """Sum (B, oh, ow, k, k, C) window values back into a (B, height, width, C) map: the adjoint of _patches.

    When s divides k, tap (ky, kx) = (s*qy + ry, s*qx + rx) of window (i, j) lands on pixel
    (s*(i + qy) + ry, s*(j + qx) + rx): seen as a (B, H/s, s, W/s, s, C) map, the s*s taps sharing (qy, qx) fill
    one (i + qy, :, j + qx, :) block together. So (k/s)^2 adds of s*s taps each replace k*k adds of one tap,
    with s*C contiguous values per innermost run instead of C: faster, most for an image of few channels
    (benchmarks/README.md)."""
    b, oh, ow, k, _, c = cols.shape
    if k % s:
        out = cols.new_zeros(b, height, width, c)
        for i in range(k):
            for j in range(k):
                out[:, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s].add_(cols[:, :, :, i, j])
        return out
    q = k // s
    blocks_h, blocks_w = max(-(-height // s), oh + q - 1), max(-(-width // s), ow + q - 1)
    out = cols.new_zeros(b, blocks_h, s, blocks_w, s, c)
    phases = cols.view(b, oh, ow, q, s, q, s, c)
    for qy in range(q):
        for qx in range(q):
            out[:, qy : qy + oh, :, qx : qx + ow].add_(phases[:, :, :, qy, :, qx].permute(0, 1, 3, 2, 4, 5))
    return out.view(b, blocks_h * s, blocks_w * s, c)[:, :height, :width]


def _nhwc_rows(x: Tensor) -> Tensor:
    """(B, C, H, W) -> (B*H*W, C): a free view for a channels_last tensor."""
    b, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(b * h * w, c)


def _conv_input_grad(g_rows: Tensor, w_rows: Tensor, x_shape: torch.Size, k: int, stride: int, padding: int) -> Tensor:
    """The input gradient of a convolution: (B*oh*ow, O) output-gradient rows times the (O, kh*kw*C) weight rows,
    summed back from windows to pixels (col2im); channels_last (B, C, H, W)."""
    b, c, h, w = x_shape
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    full = _col2im((g_rows @ w_rows).view(b, oh, ow, k, k, c), h + 2 * padding, w + 2 * padding, stride)
    return full[:, padding : padding + h, padding : padding + w].permute(0, 3, 1, 2)


def _torch_grads(
    ctx: Any, grad_out: Tensor, mask: list[bool], stride: int, padding: int, transposed: bool, output_padding: int = 0
) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
    """(input, weight, bias) gradients from torch's own convolution backward (oneDNN on the CPU), those in `mask`."""
    x, weight = ctx.saved_tensors[:2]
    bias_sizes = [weight.shape[1] if transposed else weight.shape[0]] if ctx.has_bias else None
    mask = [mask[0], mask[1], mask[2] and ctx.has_bias]
    if not any(mask):
        return None, None, None
    grads = torch.ops.aten.convolution_backward(
        grad_out, x, weight, bias_sizes, [stride] * 2, [padding] * 2, [1, 1], transposed, [output_padding] * 2, 1, mask
    )
    return cast(
        tuple[Tensor | None, Tensor | None, Tensor | None],
        tuple(g if m else None for g, m in zip(grads, mask, strict=True)),
    )


def reference_grads(op: Any, ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
    """Gradients through torch's own convolution, recorded for a further backward (create_graph=True)."""
    x, weight, bias = ctx.saved_tensors[:3]
    inputs = [t for t, need in zip((x, weight, bias), ctx.needs_input_grad[:3], strict=True) if need]
    with torch.enable_grad():
        out = op(x, weight, bias if ctx.has_bias else None)
        grads = iter(torch.autograd.grad(out, inputs, grad_out, create_graph=True))
    return tuple(next(grads) if need else None for need in ctx.needs_input_grad[:3])


class _GemmConv2d(torch.autograd.Function):
    """conv2d(x, weight, bias, stride, padding), groups = dilation = 1."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor, stride: int, padding: int) -> Tensor:
        b, c, h, w = x.shape
        o, k = weight.shape[0], weight.shape[2]
        oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
        padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, padding, padding, padding, padding)).contiguous()
        cols = _patches(padded, k, stride, oh, ow).reshape(b * oh * ow, k * k * c)
        w_rows = weight.permute(0, 2, 3, 1).reshape(o, k * k * c)  # (O, kh*kw*C): a view in channels_last
        result = torch.empty(
            (b, o, oh, ow), dtype=x.dtype, device=x.device, memory_format=torch.channels_last
        )  # module doc: outputs
        rows = result.permute(0, 2, 3, 1).view(b * oh * ow, o)
        if bias.numel():
            torch.addmm(bias, cols, w_rows.t(), out=rows)
        else:
            torch.mm(cols, w_rows.t(), out=rows)
        ctx.save_for_backward(x, weight, bias, cols, w_rows)
        ctx.has_bias, ctx.conf = bool(bias.numel()), (stride, padding, oh, ow)
        return result

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        stride, padding, oh, ow = ctx.conf
        if torch.is_grad_enabled():  # a double backward: differentiate torch's convolution instead
            return (*reference_grads(partial(F.conv2d, stride=stride, padding=padding), ctx, grad_out), None, None)
        x, weight, _, cols, w_rows = ctx.saved_tensors
        b, c, h, w = x.shape
        o, k = weight.shape[0], weight.shape[2]
        g_rows = _nhwc_rows(grad_out)  # (B*oh*ow, O)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _conv_input_grad(g_rows, w_rows, x.shape, k, stride, padding)
        if ctx.needs_input_grad[1]:
            grad_w = (g_rows.t() @ cols).view(o, k, k, c).permute(0, 3, 1, 2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g_rows.sum(0)
        return grad_x, grad_w, grad_b, None, None


class _FewInputsConv2d(torch.autograd.Function):
    """conv2d of an image with few channels (a critic's first layer): oneDNN reads few channels well (forward,
    weight gradient) but writes them poorly, so the input gradient, which has the image's few channels, is one
    GEMM + col2im instead, faster than oneDNN's on that gradient (benchmarks/README.md)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor, stride: int, padding: int) -> Tensor:
        ctx.save_for_backward(x, weight, bias)
        ctx.has_bias, ctx.conf = bool(bias.numel()), (stride, padding)
        return F.conv2d(x, weight, bias if ctx.has_bias else None, stride=stride, padding=padding)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        stride, padding = ctx.conf
        if torch.is_grad_enabled():  # a double backward: differentiate torch's convolution instead
            return (*reference_grads(partial(F.conv2d, stride=stride, padding=padding), ctx, grad_out), None, None)
        x, weight = ctx.saved_tensors[:2]
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        _, grad_w, grad_b = _torch_grads(ctx, grad_out, [False, need_w, need_b], stride, padding, transposed=False)
        grad_x = None
        if need_x:
            w_rows = weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1)  # (O, kh*kw*C)
            grad_x = _conv_input_grad(_nhwc_rows(grad_out), w_rows, x.shape, weight.shape[2], stride, padding)
        return grad_x, grad_w, grad_b, None, None


class _GemmConvTranspose2d(torch.autograd.Function):
    """conv_transpose2d(x, weight, bias, stride, padding, output_padding), groups = dilation = 1."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, weight: Tensor, bias: Tensor, stride: int, padding: int, output_padding: int
    ) -> Tensor:
        b, i, h, w = x.shape
        o, k = weight.shape[1], weight.shape[2]
        out_h, out_w = (
            (h - 1) * stride - 2 * padding + k + output_padding,
            (w - 1) * stride - 2 * padding + k + output_padding,
        )
        full_h, full_w = max((h - 1) * stride + k, padding + out_h), max((w - 1) * stride + k, padding + out_w)
        x_rows = _nhwc_rows(x)  # (B*h*w, I)
        w_rows = weight.permute(0, 2, 3, 1).reshape(i, k * k * o)  # (I, kh*kw*O): a view in channels_last
        full = _col2im((x_rows @ w_rows).view(b, h, w, k, k, o), full_h, full_w, stride)
        out = full[:, padding : padding + out_h, padding : padding + out_w]
        result = torch.empty(
            (b, o, out_h, out_w), dtype=x.dtype, device=x.device, memory_format=torch.channels_last
        )  # module doc: outputs
        if bias.numel():
            torch.add(out, bias, out=result.permute(0, 2, 3, 1))
        else:
            result.permute(0, 2, 3, 1).copy_(out)
        ctx.save_for_backward(x, weight, bias, x_rows, w_rows)
        ctx.has_bias, ctx.conf = bool(bias.numel()), (stride, padding, output_padding, full_h, full_w)
        return result

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        stride, padding, output_padding, full_h, full_w = ctx.conf
        if torch.is_grad_enabled():
            grads = reference_grads(
                lambda x, w, b: F.conv_transpose2d(
                    x, w, b, stride=stride, padding=padding, output_padding=output_padding
                ),
                ctx,
                grad_out,
            )
            return (*grads, None, None, None)
        x, weight, _, x_rows, w_rows = ctx.saved_tensors
        b, i, h, w = x.shape
        o, k = weight.shape[1], weight.shape[2]
        out_h, out_w = grad_out.shape[2:]
        g = grad_out.permute(0, 2, 3, 1)
        g_full = F.pad(g, (0, 0, padding, full_w - padding - out_w, padding, full_h - padding - out_h)).contiguous()
        g_cols = _patches(g_full, k, stride, h, w).reshape(b * h * w, k * k * o)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = (g_cols @ w_rows.t()).view(b, h, w, i).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = (x_rows.t() @ g_cols).view(i, k, k, o).permute(0, 3, 1, 2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g.sum((0, 1, 2))
        return grad_x, grad_w, grad_b, None, None, None


class _TapConv2d(torch.autograd.Function):
    """A stride-1 convolution with few output channels, zero padding (lo, hi) on each side: one GEMM gives every
    kernel tap's response at every pixel, P[o, dy, dx] = w[o, :, dy, dx] . x, and the output sums the taps'
    maps shifted into place. Reads the input once, where oneDNN's kernels for 1-3 output channels run at a
    tenth of their usual rate (the image head of the generator, faster than the transposed-convolution
    form it replaced)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor, lo: int, hi: int) -> Tensor:
        b, c, h, w = x.shape
        o, k = weight.shape[0], weight.shape[2]
        x_rows = _nhwc_rows(x)  # (B*H*W, C)
        w_taps = weight.permute(0, 2, 3, 1).reshape(o * k * k, c)
        taps = (w_taps @ x_rows.t()).view(o, k, k, b, h, w)
        # (B, O, H, W) stored as (O, B, H, W), written through that view (module doc: outputs)
        result = torch.empty_strided((b, o, h, w), (h * w, b * h * w, w, 1), dtype=x.dtype, device=x.device)
        out = result.permute(1, 0, 2, 3)
        out.copy_(taps[:, lo, lo])  # the centre tap covers every pixel
        for dy in range(k):  # tap (dy, dx) reads pixel (y + dy - lo, x + dx - lo): add where that is inside
            for dx in range(k):
                if (dy, dx) != (lo, lo):
                    y0, y1, x0, x1 = max(0, lo - dy), min(h, h + lo - dy), max(0, lo - dx), min(w, w + lo - dx)
                    if y0 < y1 and x0 < x1:
                        src = taps[:, dy, dx, :, y0 + dy - lo : y1 + dy - lo, x0 + dx - lo : x1 + dx - lo]
                        out[:, :, y0:y1, x0:x1].add_(src)  # in place on the view: no write-back copy
        if bias.numel():
            out.add_(bias[:, None, None, None])
        ctx.save_for_backward(x, weight, bias, x_rows, w_taps)
        ctx.has_bias, ctx.conf = bool(bias.numel()), (lo, hi)
        return result

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        lo, hi = ctx.conf
        if torch.is_grad_enabled():
            grads = reference_grads(lambda x, w, b: F.conv2d(F.pad(x, (lo, hi, lo, hi)), w, b), ctx, grad_out)
            return (*grads, None, None)
        x, weight, _, x_rows, w_taps = ctx.saved_tensors
        b, c, h, w = x.shape
        o, k = weight.shape[0], weight.shape[2]
        g = F.pad(grad_out.permute(1, 0, 2, 3), (hi, lo, hi, lo))  # (O, B, H + k - 1, W + k - 1)
        g_taps = torch.stack(
            [g[:, :, k - 1 - dy : k - 1 - dy + h, k - 1 - dx : k - 1 - dx + w] for dy in range(k) for dx in range(k)], 1
        ).view(o * k * k, b * h * w)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = (g_taps.t() @ w_taps).view(b, h, w, c).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = (g_taps @ x_rows).view(o, k, k, c).permute(0, 3, 1, 2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None


class _FewOutputsConvTranspose2d(_GemmConvTranspose2d):
    """A transposed convolution to few channels (a generator's image layer): the forward writes few channels,
    which oneDNN does poorly and GEMM + col2im does faster (64 -> 3 channels, 32x32 -> 64x64); the
    backward reads few channels, where oneDNN's kernels are faster than the GEMM path's, so it is torch's."""

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        if torch.is_grad_enabled():
            return _GemmConvTranspose2d.backward(ctx, grad_out)
        stride, padding, output_padding = ctx.conf[:3]
        mask = list(ctx.needs_input_grad[:3])
        grads = _torch_grads(ctx, grad_out, mask, stride, padding, transposed=True, output_padding=output_padding)
        return (*grads, None, None, None)


def same_conv_few_outputs(x: Tensor, weight: Tensor, bias: Tensor | None, lo: int, hi: int) -> Tensor:
    """conv2d(pad(x, (lo, hi, lo, hi)), weight, bias) for few output channels (_TapConv2d)."""
    return cast(Tensor, _TapConv2d.apply(x, weight, bias if bias is not None else x.new_empty(0), lo, hi))


def _plain(module: nn.Module) -> bool:
    conv = cast(nn.Conv2d, module)
    square = len(set(conv.kernel_size)) == 1 and len(set(conv.stride)) == 1 and len(set(conv.padding)) == 1
    return conv.groups == 1 and conv.dilation == (1, 1) and square and conv.padding_mode == "zeros"


class GemmPath:
    """A layer that may take the paths of this module; `gemm = False` (train.gemm_conv=false, `set_gemm_conv`)
    keeps it on torch's kernels. A plain attribute: the state dict is the same either way."""

    gemm: bool = True


def set_gemm_conv(module: nn.Module, on: bool) -> None:
    """Let every layer of `module` take the im2col paths, or keep them all on torch's kernels (train.gemm_conv)."""
    for layer in module.modules():
        if isinstance(layer, GemmPath):
            layer.gemm = on


class Conv2d(GemmPath, nn.Conv2d):
    """nn.Conv2d that runs as im2col + GEMM on the CPU when its output map is small or its input has few
    channels (see the module doc)."""

    def forward(self, x: Tensor) -> Tensor:
        k, s, p = self.kernel_size[0], self.stride[0], cast(tuple[int, int], self.padding)[0]
        out_side = (min(x.shape[-2:]) + 2 * p - k) // s + 1
        few = self.in_channels <= FEW_CHANNELS
        if self.gemm and _plain(self) and gemm_eligible(x, 0 if few else out_side):
            bias = self.bias if self.bias is not None else x.new_empty(0)
            path = _FewInputsConv2d if few else _GemmConv2d
            return cast(Tensor, path.apply(x, self.weight, bias, s, p))
        return super().forward(x)


class ConvTranspose2d(GemmPath, nn.ConvTranspose2d):
    """nn.ConvTranspose2d that runs as GEMM + col2im on the CPU when its input map is small (see the module doc)."""

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:
        s, p, op = self.stride[0], cast(tuple[int, int], self.padding)[0], self.output_padding[0]
        square_op = self.output_padding[0] == self.output_padding[1]
        few = self.out_channels <= FEW_CHANNELS
        eligible = self.gemm and output_size is None and square_op and _plain(self)
        if eligible and gemm_eligible(x, 0 if few else min(x.shape[-2:])):
            bias = self.bias if self.bias is not None else x.new_empty(0)
            path = _FewOutputsConvTranspose2d if few else _GemmConvTranspose2d
            return cast(Tensor, path.apply(x, self.weight, bias, s, p, op))
        return super().forward(x, output_size)


def _layout(x: Tensor) -> torch.memory_format:
    return torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


class SameConv2d(GemmPath, models_dcgan.SameConv2d):
    """The models' "same" stride-1 convolution with a fast image head: on the CPU an output with few channels is
    computed tap by tap from one matrix product (`same_conv_few_outputs`, faster than oneDNN's
    kernels for 1 or 3 output channels), and under autocast as the equivalent transposed convolution, which
    oneDNN runs faster there (benchmarks/README.md)."""

    FEW_OUTPUTS = 4

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H, W)
        few = self.out_channels <= self.FEW_OUTPUTS
        if not (few and self.gemm and x.device.type == "cpu"):
            return super().forward(x)
        k = self.kernel_size[0]
        lo, hi = self.padding_sides()
        if gemm_eligible(x, 0):
            return same_conv_few_outputs(x, self.weight, self.bias, lo, hi)
        # conv2d(x, w, pad p) == conv_transpose2d(x, flip(w) with in/out swapped, pad k - 1 - p)
        weight = self.weight.flip(2, 3).transpose(0, 1)
        out = F.conv_transpose2d(x, weight.contiguous(memory_format=_layout(x)), self.bias, padding=k - 1 - hi)
        trim = hi - lo  # drop the extra leading row and column of an even kernel
        return out[..., trim:, trim:] if trim else out
