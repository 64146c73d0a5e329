"""Interleaved A/B of two versions of ganlab's code on `ganlab bench`: does a change keep the speed?

    .venv/bin/python benchmarks/ab_revisions.py OLD_SRC [CONFIG ...] [--rounds 3] [--seconds 6]

OLD_SRC is the `src` folder of the other version (a git worktree: `git worktree add ../old REV`). Each round
runs, for each config, `ganlab bench CONFIG --json` three times in fresh processes: this version, the old one,
and this version again (an A/A control: the spread between the two "new" runs is this machine's noise), in a
rotating order so that drifts in load hit all alike. Reported: generator steps/s, the median over rounds of
old/new and of new/new (A/A). Writes benchmarks/results/ab-revisions-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
from pathlib import Path

from common import CONFIGS, GANLAB, save, table, wait_quiet

NEW_SRC = Path(__file__).resolve().parents[1] / "src"


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
    args = parser.parse_args()
    idle = wait_quiet()
    sources = {"new": NEW_SRC, "old": args.old_src.resolve(), "new again": NEW_SRC}
    rates: dict[str, dict[str, list[float]]] = {c: {name: [] for name in sources} for c in args.configs}
    for round_ in range(args.rounds):
        order = list(sources)[round_ % 3 :] + list(sources)[: round_ % 3]
        for config in args.configs:
            for name in order:
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
    path = save("ab-revisions-cpu", {"old_src": str(args.old_src), "idle_before": idle, "rounds": args.rounds,
                                      "seconds": args.seconds, "results": results})  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
