"""Throughput against batch size (16...512) and thread count (1, 2): `ganlab bench` per point.

    .venv/bin/python benchmarks/scaling.py [dcgan] [--seconds 8] [--threads 1 2] [--device auto]

Writes benchmarks/results/scaling-<config>-<device>.json and prints a markdown table.
"""

from __future__ import annotations

import argparse

from common import best_of, save

BATCHES = (16, 32, 64, 128, 256, 512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="dcgan")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=list(BATCHES))
    parser.add_argument("--set", dest="sets", action="append", default=[])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeat", type=int, default=1, help="runs per point, the fastest kept")
    args = parser.parse_args()
    points = []
    for threads in args.threads:
        for batch in args.batches:
            sets = [*args.sets, f"train.batch_size={batch}", f"train.threads={threads}", "train.adaptive_threads=false"]
            report = best_of(args.repeat, [args.config], sets, args.seconds, args.device, warmup=2.0)
            (r,) = report["results"]
            points.append({**r, "command": report["command"]})
    device = points[0]["device"].split(":")[0]
    name = args.config.split("/")[-1].removesuffix(".yaml")
    path = save(f"scaling-{name}-{device}", {"points": points})
    header = "| batch | " + " | ".join(f"{t} thread{'s' * (t > 1)}: img/s, share of peak" for t in args.threads) + " |"
    print(header + "\n|---|" + "---|" * len(args.threads))
    for batch in args.batches:
        cells = []
        for threads in args.threads:
            p = next(p for p in points if p["batch_size"] == batch and p["threads"] == threads)
            cells.append(f"{p['d_imgs_per_s']:.0f}, {p['share_of_peak']:.0%}")
        print(f"| {batch} | " + " | ".join(cells) + " |")
    print(f"\nD images/s (real + fake) of {args.config}; raw results and commands in {path}")


if __name__ == "__main__":
    main()
