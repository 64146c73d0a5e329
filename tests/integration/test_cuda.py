"""The same runs on a CUDA device (`--device auto` picks it): every model family and precision trains with finite
losses, checkpoints load on a CPU-only machine, metrics computed on the GPU agree with the CPU's, and a resumed run
continues where it stopped.

Marked `cuda`: they need a CUDA device, so they are deselected where there is none (CI, the 2-core machine) and run
by `benchmarks/gpu.sh` on a GPU machine. Everything they exercise on the CPU is tested elsewhere.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from ganlab.compose import train
from ganlab.evaluation import evaluate
from ganlab.plugins import load_config
from ganlab.rundir.run import load_run
from ganlab.training.device import resolve_device

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (benchmarks/gpu.sh)"),
]

SMALL = {
    "data.subset": 1024,
    "train.steps": 6,
    "train.batch_size": 32,
    "train.checkpoint_every": 3,
    "log.every": 1,
    "log.sample_every": 0,
    "log.tensorboard": False,
    "eval.every": 3,
    "eval.samples": 256,
}


def finite_losses(run_dir: Path) -> bool:
    run = load_run(run_dir)
    rows = run.metrics()
    return bool(rows) and all(math.isfinite(row[k]) for row in rows for k in ("loss_d", "loss_g") if k in row)


def test_auto_picks_the_gpu() -> None:
    assert resolve_device("auto").type == "cuda"


@pytest.mark.parametrize(
    ("preset", "precision"),
    [
        ("dcgan", "fp32"),
        ("dcgan", "bf16"),
        ("wgan", "fp32"),
        ("wgan-gp", "fp32"),  # the penalty's double backward
        ("wgan-gp", "bf16"),
        ("sn-wgan", "fp32"),  # power iteration buffers on the device
        ("cwgan-gp", "fp32"),  # labels as channels, the critic boost
        ("cdcgan-tricks", "fp32"),  # minibatch discrimination, label smoothing
        ("upsample-pool", "fp32"),
        ("gan", "fp32"),
    ],
)
def test_every_family_trains_on_the_gpu_and_loads_on_the_cpu(preset: str, precision: str, tmp_path: Path) -> None:
    cfg = load_config(preset, {**SMALL, "train.precision": precision})
    run = train(cfg, out=tmp_path / "run", device="auto", progress=False)
    assert run.summary["status"] == "completed" and run.summary["device"].startswith("cuda")
    assert finite_losses(run.path)
    assert [row["step"] for row in run.evals()] == [3, 6]
    on_cpu = load_run(run.path)  # safetensors saved from the GPU, read on the CPU
    assert next(on_cpu.generator.parameters()).device.type == "cpu"
    images = on_cpu.sample(8, seed=0)
    assert torch.isfinite(images).all() and images.abs().max() <= 1


def test_metrics_on_the_gpu_agree_with_the_cpu(tmp_path: Path) -> None:
    run = train(load_config("demo", SMALL), out=tmp_path / "run", device="cuda", progress=False)
    metrics = ["fd_domain", "kd_domain", "class_coverage", "class_kl"]
    cpu = evaluate(load_run(run.path), metrics=metrics, samples=2000, device="cpu")
    gpu = evaluate(load_run(run.path), metrics=metrics, samples=2000, device="cuda")
    # the same latent noise; G and the classifier in float32 on another device: agreement to float precision
    for name in metrics:
        assert gpu[name] == pytest.approx(cpu[name], rel=1e-3, abs=1e-4), name


def test_a_resumed_gpu_run_continues_where_it_stopped(tmp_path: Path) -> None:
    """cuDNN picks its kernels per process (cudnn.benchmark), so a resumed run is close to the uninterrupted one,
    not bit-equal as on the CPU."""
    cfg = load_config("wgan-gp", {**SMALL, "eval.every": 0})
    whole = train(cfg, out=tmp_path / "whole", device="cuda", progress=False)
    first = load_config("wgan-gp", {**SMALL, "eval.every": 0, "train.steps": 3})
    train(first, out=tmp_path / "parts", device="cuda", progress=False)
    resumed = train(cfg, out=tmp_path / "parts", device="cuda", resume=True, progress=False)
    assert resumed.checkpoint_step == whole.checkpoint_step == 6
    for a, b in zip(whole.generator.parameters(), resumed.generator.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-4)
