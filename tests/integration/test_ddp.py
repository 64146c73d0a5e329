"""One training across 2 processes (torchrun, gloo, CPU) equals the single-process run with the same global batch.

Adam's update divides by sqrt(v) + eps: with the default eps a gradient near zero turns float rounding
differences (the all-reduce sums in another order) into differences of a whole learning rate. The test uses
eps = 1, where the update is smooth in the gradient, so "equal within float tolerance" is a sharp check.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

SETS = {
    "model.generator": "mlp",
    "model.discriminator": "mlp",
    "model.g_hidden": "[32,32]",
    "model.d_hidden": "[32,32]",
    "train.steps": "4",
    "train.n_critic": "2",
    "train.batch_size": "16",
    "data.subset": "256",
    "log.every": "2",
    "log.tensorboard": "false",
    "train.checkpoint_every": "2",
    "optim.g.eps": "1.0",
    "optim.d.eps": "1.0",
    "optim.g.lr": "0.01",
    "optim.d.lr": "0.01",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(out: Path) -> list[str]:
    sets = [arg for key, value in SETS.items() for arg in ("--set", f"{key}={value}")]
    return ["-m", "ganlab", "train", "wgan-gp", *sets, "--out", str(out), "--device", "cpu"]


@pytest.mark.slow
def test_two_process_training_equals_single_process(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp_path)}
    single, multi = tmp_path / "single", tmp_path / "ddp"
    subprocess.run([sys.executable, *_command(single)], check=True, env=env, capture_output=True, timeout=300)
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
    ]
    done = subprocess.run([*torchrun, *_command(multi)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("G", "D"):
        a = load_file(str(single / "checkpoints" / "step_0000004" / f"{name}.safetensors"))
        b = load_file(str(multi / "checkpoints" / "step_0000004" / f"{name}.safetensors"))
        start = load_file(str(single / "checkpoints" / "step_0000002" / f"{name}.safetensors"))
        assert any(not torch.equal(a[k], start[k]) for k in a)  # the last steps moved the weights
        for key in a:
            torch.testing.assert_close(b[key], a[key], rtol=1e-5, atol=1e-6)
    rows = [[json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()] for d in (single, multi)]
    assert [r["step"] for r in rows[0]] == [r["step"] for r in rows[1]] == [2, 4]
    for r1, r2 in zip(*rows, strict=True):  # logged values are means over both ranks
        for key in ("loss_d", "loss_g", "gp", "wasserstein"):
            assert r2[key] == pytest.approx(r1[key], rel=1e-4, abs=1e-6)
    # Only rank 0 wrote a run directory; the follower's temporary logs are gone (torch's own temp dirs aside).
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("ganlab-rank")]
    assert sorted(p.name for p in multi.iterdir()) == sorted(p.name for p in single.iterdir())
    assert "ganlab: error" not in done.stderr


def test_global_batch_must_split_evenly() -> None:
    from ganlab.errors import ConfigError
    from ganlab.training.distributed import World

    assert World(rank=1, size=2).local_batch(16) == 8
    with pytest.raises(ConfigError, match="train.batch_size"):
        World(rank=0, size=3).local_batch(16)
    t = torch.arange(12)
    assert torch.equal(torch.cat([World(r, 3).shard(t) for r in range(3)]), t)
