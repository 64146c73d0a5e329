"""Seconds one training step of CONFIG costs with the ganlab on PYTHONPATH: the wall time of `ganlab.train` for
LONG steps less that for SHORT steps, after a warm-up training (set-up, first steps and the final checkpoint
cancel), with no evaluation, sample grids or TensorBoard, the thread count fixed. Prints one JSON line.

    PYTHONPATH=SRC .venv/bin/python benchmarks/train_step_time.py CONFIG SHORT LONG THREADS

`benchmarks/ab_revisions.py --via train` runs it for two versions of the code, interleaved.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

import torch

import ganlab
from ganlab.errors import ConfigError


def train_seconds(config: str, steps: int, threads: int, out: str) -> float:
    overrides = {
        "train.steps": steps,
        "train.checkpoint_every": 10**6,
        "train.threads": threads,
        "train.adaptive_threads": False,
        "eval.every": 0,
        "log.sample_every": 0,
        "log.tensorboard": False,
    }
    try:
        cfg = ganlab.load_config(config, overrides)
    except ConfigError:  # a version from before train.adaptive_threads existed
        overrides.pop("train.adaptive_threads")
        cfg = ganlab.load_config(config, overrides)
    start = time.perf_counter()
    ganlab.train(cfg, out, device="cpu", progress=False)
    return time.perf_counter() - start


def main() -> None:
    config, short, long_, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        train_seconds(config, short, threads, f"{tmp}/warm")
        a = train_seconds(config, short, threads, f"{tmp}/short")
        b = train_seconds(config, long_, threads, f"{tmp}/long")
    print(json.dumps({"config": config, "step_s": (b - a) / (long_ - short)}))


if __name__ == "__main__":
    main()
