"""Throughput of the presets against this machine's measured peak: `ganlab bench` on each, fp32 and bf16.

    .venv/bin/python benchmarks/presets.py [--seconds 20] [--device auto]

Writes benchmarks/results/presets-<device>.json and prints a markdown table for the README.
"""

from __future__ import annotations

import argparse

from common import CONFIGS, best_of, save, table

FP32 = ["gan", "dcgan", "wgan", "wgan-gp", "demo", str(CONFIGS / "dcgan64.yaml")]
BF16 = ["dcgan", "wgan-gp", "demo", str(CONFIGS / "dcgan64.yaml")]
COLUMNS = [
    ("config", "config", ""),
    ("batch", "batch_size", "d"),
    ("side", "resolution", "d"),
    ("precision", "precision", ""),
    ("G steps/s", "gen_steps_per_s", ".2f"),
    ("D img/s", "d_imgs_per_s", ".0f"),
    ("GFLOP/G step", "gflop_per_step", ".1f"),
    ("GFLOP/s", "achieved_gflops", ".1f"),
    ("share of peak", "share_of_peak", ".1%"),
    ("peak used", "peak", ""),
    ("loop overhead", "loop_overhead_share", ".1%"),
    ("GP step / plain", "penalty_step_ratio", ".2f"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeat", type=int, default=1, help="runs per point, the fastest kept")
    args = parser.parse_args()
    runs = []
    for configs, sets in ((FP32, []), (BF16, ["train.precision=bf16"])):
        for config in configs:  # one process per config: its own peak RSS, no state carried over
            runs.append(best_of(args.repeat, [config], sets, args.seconds, args.device))
    rows = []
    for run in runs:
        for r in run["results"]:
            peak = f"{r['peak_kind']} {r['peak_gflops']:.0f}"
            rows.append({**r, "gflop_per_step": r["flops_per_gen_step"] / 1e9, "peak": peak})
    device = runs[0]["results"][0]["device"].split(":")[0]
    path = save(f"presets-{device}", {"runs": runs})
    print(table(rows, COLUMNS))
    print(f"\n{runs[0]['device_name']}, torch {runs[0]['torch']}; commands and raw results in {path}")


if __name__ == "__main__":
    main()
