"""Peak memory of training against batch size and resolution: RSS on the CPU, max allocated on a GPU.

    .venv/bin/python benchmarks/memory.py [--device auto] [--steps 3]

Each point trains the dcgan preset for a few steps on the whole of Fashion-MNIST (resized at load) in a
fresh process, the way `ganlab train` does; the parent reads the child's peak RSS from os.wait4 (the
dataset, the models, the optimizer state, a checkpoint and the sample grid all count), and on a GPU the
child reports torch.cuda.max_memory_allocated. Writes benchmarks/results/memory-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from common import peak_rss, save

BATCHES = (16, 32, 64, 128, 256, 512)
SIDES = (28, 32, 64)
CHILD = """
import json, sys, torch
from ganlab.plugins import load_config
from ganlab.compose import train
from ganlab.training.device import resolve_device
overrides, out, device = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
cfg = load_config(overrides.pop("config"), overrides)
train(cfg, out=out, device=device)
dev = resolve_device(device)
print(json.dumps({"cuda_max_allocated_mib": torch.cuda.max_memory_allocated(dev) / 2**20} if dev.type == "cuda" else {}))
"""


def measure(overrides: dict, device: str) -> dict:
    """Train in a child process; its peak RSS (MiB) and, on a GPU, its max allocated memory."""
    with tempfile.TemporaryDirectory(prefix="ganlab-mem-") as tmp:
        rss, stdout = peak_rss([sys.executable, "-c", CHILD, json.dumps(overrides), os.path.join(tmp, "run"), device])
    lines = stdout.strip().splitlines()
    return {"peak_rss_mib": rss, **(json.loads(lines[-1]) if lines else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--config", default="dcgan")
    args = parser.parse_args()
    base = {
        "config": args.config,
        "train.steps": args.steps,
        "train.checkpoint_every": args.steps,
        "log.every": 1,
        "log.tensorboard": False,
        "eval.every": 0,
    }
    points = []
    for side in SIDES:
        for batch in BATCHES if side == 64 else (64,):
            overrides = {**base, "data.resolution": side, "train.batch_size": batch}
            points.append({"resolution": side, "batch_size": batch, **measure(overrides, args.device)})
            print(json.dumps(points[-1]))
    rgb = {**base, "config": "benchmarks/configs/dcgan64.yaml"}
    points.append({"resolution": 64, "batch_size": 64, "config": "dcgan64 (RGB)", **measure(rgb, args.device)})
    print(json.dumps(points[-1]))
    device = "cuda" if any("cuda_max_allocated_mib" in p for p in points) else "cpu"
    path = save(f"memory-{device}", {"command": vars(args), "points": points})
    print(f"raw results in {path}")


if __name__ == "__main__":
    main()
