"""Interleaved A/B of two versions of ganlab's code on `ganlab bench`: does a change keep the speed?

    .venv/bin/python benchmarks/ab_revisions.py OLD_SRC [CONFIG ...] [--rounds 3] [--seconds 6]
        [--via bench|train] [--threads N]

OLD_SRC is the `src` folder of the other version (a git worktree: `git worktree add ../old REV`). Each round
runs, for each config, `ganlab bench CONFIG --json` three times in fresh processes: this version, the old one,
and this version again (an A/A control: the spread between the two "new" runs is this machine's noise), in a
rotating order so that drifts in load hit all alike. `--via train` times real trainings instead
(`benchmarks/train_step_time.py`: `ganlab.train` for 6x the steps less for 1x, at `--threads`), which leaves the
bench's own code out of the comparison. Reported: generator steps/s, the median over rounds of old/new and of
new/new (A/A). Writes benchmarks/results/ab-revisions[-train-Nt]-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import CONFIGS, GANLAB, save, table, wait_quiet

NEW_SRC = Path(__file__).resolve().parents[1] / "src"


TRAIN_STEPS = {"demo": 40, "dcgan": 10}  # SHORT steps of a --via train timing (LONG is 6x); others: 6


def train_rate(src: Path, config: str, threads: int) -> float:
    short = TRAIN_STEPS.get(config, 6)
    cmd = [sys.executable, str(Path(__file__).with_name("train_step_time.py")), config, str(short), str(6 * short)]
    out = subprocess.run(
        [*cmd, str(threads)], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)}
    )
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} with {src} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return 1.0 / float(json.loads(out.stdout.splitlines()[-1])["step_s"])


def rate(src: Path, config: str, seconds: float) -> float:
    cmd = [*GANLAB, "bench", config, "--json", "--seconds", str(seconds), "--warmup", "3", "--device", "cpu"]
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=src.parent)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} with {src} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return float(json.loads(out.stdout)["results"][0]["gen_steps_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_src", type=Path)
    parser.add_argument("configs", nargs="*", default=["demo", "dcgan", str(CONFIGS / "dcgan64.yaml")])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--via", choices=["bench", "train"], default="bench")
    parser.add_argument("--threads", type=int, default=2, help="with --via train")
    args = parser.parse_args()
    idle = wait_quiet()
    sources = {"new": NEW_SRC, "old": args.old_src.resolve(), "new again": NEW_SRC}
    rates: dict[str, dict[str, list[float]]] = {c: {name: [] for name in sources} for c in args.configs}
    for round_ in range(args.rounds):
        order = list(sources)[round_ % 3 :] + list(sources)[: round_ % 3]
        for config in args.configs:
            for name in order:
                if args.via == "train":
                    rates[config][name].append(train_rate(sources[name], config, args.threads))
                else:
                    rates[config][name].append(rate(sources[name], config, args.seconds))
    rows, results = [], {}
    for config, by in rates.items():
        old_ratio = statistics.median(o / n for o, n in zip(by["old"], by["new"], strict=True))
        aa_ratio = statistics.median(a / n for a, n in zip(by["new again"], by["new"], strict=True))
        results[config] = {"gen_steps_per_s": by, "old_over_new": old_ratio, "new_again_over_new": aa_ratio}
        new, old = statistics.median(by["new"]), statistics.median(by["old"])
        rows.append({"config": Path(config).stem, "new": new, "old": old, "ratio": old_ratio, "aa": aa_ratio})
    columns = [("config", "config", "s"), ("new steps/s", "new", ".2f"), ("old steps/s", "old", ".2f")]
    columns += [("old/new", "ratio", ".3f"), ("A/A new/new", "aa", ".3f")]
    print(table(rows, columns))
    name = "ab-revisions-cpu" if args.via == "bench" else f"ab-revisions-train-{args.threads}t-cpu"
    path = save(name, {"old_src": str(args.old_src), "idle_before": idle, "rounds": args.rounds, "via": args.via,
                       "seconds": args.seconds, "threads": args.threads, "results": results})  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
