"""Batch norm fused with its activation (ganlab.accel.norm_act, kernels/norm_act.c) computes torch's batch norm
and ReLU/LeakyReLU: outputs, gradients, running statistics and the double backward, against float64; it steps
aside where it does not apply, and ganlab still trains where the kernel cannot be built."""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from ganlab.accel import accelerate, kernels, norm_act, set_fused_norm
from ganlab.accel.norm_act import BatchNormAct2d
from ganlab.data.base import Dataset
from ganlab.errors import GanlabWarning
from ganlab.models import build_models
from ganlab.plugins import load_config
from ganlab.training.state import build_state
from ganlab.training.step import d_step, g_step

CL = torch.channels_last


@pytest.fixture
def threads():
    """Set torch's intra-op thread count for one test (the kernel splits rows between threads)."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def pair(channels: int, slope: float) -> tuple[BatchNormAct2d, BatchNormAct2d]:
    """(fused fp32 module, torch-path float64 module) with the same random affine parameters."""
    torch.manual_seed(channels)
    fused, ref = BatchNormAct2d(channels, slope), BatchNormAct2d(channels, slope, fused=False)
    with torch.no_grad():
        fused.weight.uniform_(0.5, 1.5)
        fused.bias.normal_()
        fused.running_mean.normal_()
    ref.load_state_dict(fused.state_dict())
    return fused, ref.double()


def graph_has(out: torch.Tensor, name: str) -> bool:
    return out.grad_fn is not None and name in type(out.grad_fn).__name__


@pytest.mark.parametrize("slope", [0.0, 0.2])
@pytest.mark.parametrize(
    "shape",
    [
        (8, 16, 8, 8),
        (3, 33, 3, 5),  # odd channel count and sides: the vector loops' remainders
        (2, 5, 1, 1),  # two values per channel
        (16, 64, 4, 4),  # more rows than one block of 64
    ],
)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_fused_layer_matches_torch_in_float64(shape, slope: float, n_threads: int, threads) -> None:
    threads(n_threads)
    fused, ref = pair(shape[1], slope)
    x = (torch.randn(shape) * 3 + 5).contiguous(memory_format=CL)  # a mean far from 0: the shifted sums
    g = torch.randn(shape)
    xf, xd = x.clone().requires_grad_(True), x.double().requires_grad_(True)
    out, expected = fused(xf), ref(xd)
    assert graph_has(out, "NormAct") and out.is_contiguous(memory_format=CL)
    grads = torch.autograd.grad(out, (xf, fused.weight, fused.bias), g)
    expected_grads = torch.autograd.grad(expected, (xd, ref.weight, ref.bias), g.double())
    assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)
    for got, want in zip(grads, expected_grads, strict=True):  # on the scale of g (x's gradient may cancel to ~0)
        assert_close(got.double(), want, rtol=1e-5, atol=1e-5 * max(1.0, want.abs().max().item()))
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert_close(getattr(fused, name).double(), getattr(ref, name).double(), rtol=1e-6, atol=1e-6)


def test_precision_is_torchs_for_a_channel_with_a_large_mean() -> None:
    """x = 1000 + N(0, 0.01): the variance is 1e-10 of the mean square; the shifted sums keep it."""
    fused, ref = pair(8, 0.2)
    x = (1000 + 0.01 * torch.randn(16, 8, 6, 6)).contiguous(memory_format=CL)
    expected = ref(x.double())
    torch_fp32 = BatchNormAct2d(8, 0.2, fused=False)
    torch_fp32.load_state_dict(fused.state_dict())
    err_fused = (fused(x).double() - expected).abs().max()
    err_torch = (torch_fp32(x).double() - expected).abs().max()
    assert err_fused <= 2 * err_torch + 1e-5


def test_frozen_parameters_get_no_gradient() -> None:
    fused, ref = pair(6, 0.2)
    fused.requires_grad_(False)
    x = torch.randn(4, 6, 5, 5).contiguous(memory_format=CL).requires_grad_(True)
    out = fused(x)
    out.square().sum().backward()
    assert fused.weight.grad is None and fused.bias.grad is None
    xd = x.detach().double().requires_grad_(True)
    ref(xd).square().sum().backward()
    assert_close(x.grad.double(), xd.grad, rtol=1e-5, atol=1e-5)


def test_gradient_penalty_double_backward_matches_torch() -> None:
    """A penalty on the input gradient differentiates the backward again, through torch's ops."""
    fused, ref = pair(6, 0.2)
    x = torch.randn(4, 6, 5, 5).contiguous(memory_format=CL)
    norms = []
    for module, inp in ((fused, x.clone()), (ref, x.double())):
        inp.requires_grad_(True)
        out = module(inp)
        (grad,) = torch.autograd.grad(out.square().sum(), inp, create_graph=True)
        penalty = (grad.flatten(1).norm(dim=1) - 1).square().mean()
        norms.append(torch.autograd.grad(penalty, (inp, module.weight, module.bias)))
    assert graph_has(fused(x.clone().requires_grad_(True)), "NormAct")
    for got, want in zip(*norms, strict=True):
        assert_close(got.double(), want, rtol=1e-4, atol=1e-5 * max(1.0, want.abs().max().item()))


def test_torch_runs_eval_mode_autocast_nchw_float64_and_when_turned_off() -> None:
    fused, ref = pair(6, 0.2)
    x = torch.randn(4, 6, 5, 5)
    assert not fused.fused_path(x)  # NCHW
    assert not fused.fused_path(x.double().contiguous(memory_format=CL))
    assert not fused.fused_path(torch.randn(1, 6, 1, 1))  # one value per channel: torch's error
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not fused.fused_path(x.contiguous(memory_format=CL))
    fused.eval()
    assert not fused.fused_path(x.contiguous(memory_format=CL))
    assert_close(fused(x).double(), ref.eval()(x.double()), rtol=1e-5, atol=1e-5)  # running statistics
    fused.train()
    set_fused_norm(fused, False)
    assert not fused.fused_path(x.contiguous(memory_format=CL))
    out = fused(x.contiguous(memory_format=CL).requires_grad_(True))
    assert not graph_has(out, "NormAct")


def test_state_dict_and_layer_names_are_those_of_batch_norm_then_activation() -> None:
    assert list(BatchNormAct2d(4, 0.2).state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    cfg = load_config("dcgan")
    plain_G, plain_D = build_models(cfg.model, (1, 28, 28), 0, cfg.tricks)
    plain = [list(m.state_dict()) for m in (plain_G, plain_D)]
    G, D = (accelerate(m, cfg.train) for m in (plain_G, plain_D))  # the fused model keeps the plain one's keys
    assert [list(m.state_dict()) for m in (G, D)] == plain
    assert isinstance(D.trunk[1], BatchNormAct2d) and isinstance(D.trunk[2], torch.nn.Identity)
    assert list(D.state_dict()) == [
        *("trunk.0.weight", "trunk.1.weight", "trunk.1.bias", "trunk.1.running_mean", "trunk.1.running_var"),
        *("trunk.1.num_batches_tracked", "trunk.3.weight", "trunk.4.weight", "trunk.4.bias", "trunk.4.running_mean"),
        *("trunk.4.running_var", "trunk.4.num_batches_tracked", "head.net.0.weight", "head.net.0.bias"),
    ]
    assert [k for k in G.state_dict() if k.startswith("blocks")][:3] == [
        "blocks.0.weight",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    assert "blocks.3.weight" in G.state_dict() and "blocks.4.running_var" in G.state_dict()
    assert "then LeakyReLU(0.2)" in repr(D.trunk[1]) and "then ReLU()" in repr(G.project_norm)


def tiny_images(side: int = 16) -> Dataset:
    x = torch.randint(0, 256, (32, 1, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("toy", "image", x, None, 0, "generated")


def test_dcgan_training_steps_equal_torchs_with_the_kernel_in_the_graph() -> None:
    base = {"data.resolution": 16, "model.g_channels": 8, "model.d_channels": 8, "model.z_dim": 8}
    states = {}
    for fused in (True, False):
        cfg = load_config("dcgan", {**base, "train.batch_size": 8, "train.fused_norm": fused})
        state = build_state(cfg, tiny_images(), torch.device("cpu"))
        for _ in range(3):
            real, labels = state.real_batch()
            d_step(state, real, labels)
            g_step(state, labels)
        out = state.D(state.G(state.noise(4)))
        nodes, todo = set(), [out.grad_fn]
        while todo:
            node = todo.pop()
            if node is not None and type(node).__name__ not in nodes:
                nodes.add(type(node).__name__)
                todo.extend(fn for fn, _ in node.next_functions)
        assert ("_NormActBackward" in nodes) == fused
        states[fused] = state
    for name in ("G", "D"):
        fused_sd, torch_sd = getattr(states[True], name).state_dict(), getattr(states[False], name).state_dict()
        for key, value in fused_sd.items():
            assert_close(value, torch_sd[key], rtol=1e-4, atol=1e-5, msg=f"{name}.{key}")


def test_the_kernel_is_built_once_into_the_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANLAB_CACHE", str(tmp_path))
    assert kernels.load.__wrapped__("norm_act") is not None
    (built,) = (tmp_path / "kernels").glob("norm_act-*.so")
    assert not [p for p in built.parent.iterdir() if p.name.startswith(".")]  # no temporary left behind
    stamp = built.stat().st_mtime_ns
    monkeypatch.setattr(kernels, "build", lambda *a: pytest.fail("built again"))
    assert kernels.load.__wrapped__("norm_act") is not None
    assert built.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("cc", ["ganlab-no-such-compiler", "false"])
def test_without_a_working_compiler_it_warns_once_and_torch_trains(
    cc: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GANLAB_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", cc)
    with pytest.warns(GanlabWarning, match="C kernel 'norm_act' is not available") as caught:
        assert kernels.load.__wrapped__("norm_act") is None
    assert len(caught) == 1 and ("no C compiler" in str(caught[0].message)) == (cc != "false")
    monkeypatch.setattr(norm_act, "_library", lambda: None)
    fused, ref = pair(6, 0.2)
    x = torch.randn(4, 6, 5, 5).contiguous(memory_format=CL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fused(x)
    assert not graph_has(out, "NormAct")
    assert_close(out.double(), ref(x.double()), rtol=1e-5, atol=1e-5)


def test_one_openmp_runtime_is_loaded() -> None:
    """The kernel uses the OpenMP runtime torch loaded: two runtimes would fight over the cores."""
    code = (
        "import torch; from ganlab.accel.norm_act import _library; assert _library() is not None; "
        "print(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'gomp' in l or 'libomp' in l}))"
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/maps")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert len(ast.literal_eval(out)) == 1, out


def test_activation_is_applied_by_the_torch_path() -> None:
    x = torch.randn(4, 3, 2, 2)
    module = BatchNormAct2d(3, 0.0, fused=False)
    assert_close(module(x), F.relu(F.batch_norm(x, None, None, module.weight, module.bias, True)))


def test_bench_notes_when_the_kernel_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from ganlab.bench.runner import notes

    cfg = load_config(
        "dcgan", {"data.resolution": 16, "model.g_channels": 8, "model.d_channels": 8, "train.batch_size": 8}
    )
    state = build_state(cfg, tiny_images(), torch.device("cpu"))
    assert not any("fused batch-norm" in note for note in notes(cfg, state))
    monkeypatch.setattr(norm_act, "_library", lambda: None)
    assert any("fused batch-norm kernel could not be built" in note for note in notes(cfg, state))
