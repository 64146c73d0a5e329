"""Interleaved A/B: ganlab's own CPU paths against torch's kernels, on the same training state.

    .venv/bin/python benchmarks/ab_paths.py [CONFIG ...] [--paths conv norm all] [--rounds 6]

The paths: `conv`, the GEMM/tap convolutions (ganlab.accel.conv), switched per module as train.gemm_conv does;
`norm`, batch norm fused with its activation (ganlab.accel.norm_act, train.fused_norm), switched
per module; `all`, both. One TrainState per config; rounds of generator steps alternate between ganlab's
paths, torch's kernels and ganlab's paths again (an A/A control: the spread between the two ganlab columns is
this machine's noise), so load from other processes hits all alike. Reports the median round times and the
speed-up. Writes benchmarks/results/ab-paths-cpu.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from ab import gen_step
from common import CONFIGS, save

from ganlab.accel.conv import set_gemm_conv
from ganlab.accel.norm_act import set_fused_norm
from ganlab.data import load_dataset
from ganlab.plugins import load_config
from ganlab.training.state import TrainState, build_state


def use_conv(state: TrainState, on: bool) -> None:
    for model in (state.G, state.D):
        set_gemm_conv(model, on)  # what train.gemm_conv sets


def use_norm(state: TrainState, on: bool) -> None:
    for model in (state.G, state.D):
        set_fused_norm(model, on)


def use_all(state: TrainState, on: bool) -> None:
    use_conv(state, on)
    use_norm(state, on)


SWITCHES: dict[str, Callable[[TrainState, bool], None]] = {"conv": use_conv, "norm": use_norm, "all": use_all}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["demo", "dcgan", str(CONFIGS / "dcgan64.yaml")])
    parser.add_argument("--paths", nargs="+", choices=sorted(SWITCHES), default=["conv", "norm", "all"])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.configs:
        cfg = load_config(name)
        state = build_state(cfg, load_dataset(cfg.data), torch.device("cpu"))
        steps = max(1, round(1.5 / max(_time_one(state), 1e-3)))  # rounds of about 1.5 s
        for paths in args.paths:
            switch = SWITCHES[paths]
            times: dict[str, list[float]] = {"ganlab": [], "torch": [], "ganlab again": []}
            for _ in range(args.rounds):
                for label in times:
                    switch(state, label != "torch")
                    start = time.perf_counter()
                    for _ in range(steps):
                        gen_step(state)
                    times[label].append((time.perf_counter() - start) / steps)
            switch(state, True)
            med = {k: statistics.median(v) for k, v in times.items()}
            row = {
                "config": name,
                "paths": paths,
                "steps_per_round": steps,
                "ms_per_step": {k: v * 1e3 for k, v in med.items()},
                "speedup": med["torch"] / med["ganlab"],
                "a_a": med["ganlab again"] / med["ganlab"],
            }
            rows.append(row)
            print(
                f"{name} [{paths}]: ganlab {med['ganlab'] * 1e3:.1f} ms/step, torch {med['torch'] * 1e3:.1f} ms/step, "
                f"{row['speedup']:.3f}x (A/A {row['a_a']:.3f})"
            )
    path = save("ab-paths-cpu", {"command": vars(args), "results": rows})
    print(f"raw results in {path}")


def _time_one(state: TrainState) -> float:
    for _ in range(2):
        gen_step(state)
    start = time.perf_counter()
    gen_step(state)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
