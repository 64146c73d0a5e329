"""Interleaved A/B: ganlab's GEMM/tap convolution paths (ganlab.models.gemm_conv) against torch's own kernels.

    .venv/bin/python benchmarks/ab_conv_paths.py [CONFIG ...] [--rounds 6]

One TrainState per config; rounds of generator steps alternate between the two paths in one process (the
paths are switched by their module-level thresholds), so load from other processes hits both alike. Reports the
median round time of each and their ratio. Writes benchmarks/results/ab-conv-paths-cpu.json.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from ab import gen_step
from common import CONFIGS, save

from ganlab.config import load_config
from ganlab.data import load_dataset
from ganlab.models import dcgan, gemm_conv
from ganlab.train.state import build_state

ON = (gemm_conv.GEMM_MAX_SIDE, gemm_conv.FEW_CHANNELS, dcgan.gemm_eligible)
OFF = (0, 0, lambda x, small_side: False)


def use(paths: tuple) -> None:  # type: ignore[type-arg]
    gemm_conv.GEMM_MAX_SIDE, gemm_conv.FEW_CHANNELS, dcgan.gemm_eligible = paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["demo", "dcgan", str(CONFIGS / "dcgan64.yaml")])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.configs:
        cfg = load_config(name)
        state = build_state(cfg, load_dataset(cfg.data), torch.device("cpu"))
        steps = max(1, round(1.5 / max(_time_one(state), 1e-3)))  # rounds of about 1.5 s
        times: dict[str, list[float]] = {"ganlab": [], "torch": []}
        for _ in range(args.rounds):
            for label, paths in (("ganlab", ON), ("torch", OFF)):
                use(paths)
                start = time.perf_counter()
                for _ in range(steps):
                    gen_step(state)
                times[label].append((time.perf_counter() - start) / steps)
        use(ON)
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "config": name,
                "steps_per_round": steps,
                "ms_per_step": {k: v * 1e3 for k, v in med.items()},
                "speedup": med["torch"] / med["ganlab"],
            }
        )
        print(
            f"{name}: ganlab paths {med['ganlab'] * 1e3:.1f} ms/step, torch kernels {med['torch'] * 1e3:.1f} ms/step, "
            f"{rows[-1]['speedup']:.3f}x"
        )
    path = save("ab-conv-paths-cpu", {"command": vars(args), "results": rows})
    print(f"raw results in {path}")


def _time_one(state) -> float:  # type: ignore[no-untyped-def]
    for _ in range(2):
        gen_step(state)
    start = time.perf_counter()
    gen_step(state)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
