"""Training throughput on a machine that is not idle: ganlab's default thread policy against each fixed thread
count, with 0, 1 and 2 busy competitors, interleaved in one run.

    .venv/bin/python benchmarks/contention.py [--config demo] [--rounds 2] [--seconds 8] [--max-wait 600]
        [--only "default,threads=1 spin,..."] [--name NAME]

A competitor is a process spinning on one core (`while True: pass`), the way a browser tab or a second job
takes a core away. For each round, for each number of competitors (0, 1, 2), the competitors are started and each
setting is measured by `ganlab bench CONFIG --json` in a fresh process (thread settings are per process):

- `default`: what `ganlab train` does out of the box (`train.adaptive_threads: true`: the thread count follows the
  load, between 1 and one per core; before 2026-12-07 the default was a fixed one thread per core, which the
  `threads=N spin` row with N = cores measures);
- `threads=N spin` for N = 1 .. cores: `--set train.threads=N train.adaptive_threads=false` with OpenMP's default
  wait policy (threads spin for a while before they sleep; `GOMP_SPINCOUNT=300000`, libgomp's default, set
  explicitly);
- `threads=N passive`: the same with `OMP_WAIT_POLICY=PASSIVE` (waiting threads sleep at once);
- each `--env NAME=VALUE` given: the default with that environment variable (to try a policy before shipping it).

Reported: generator steps/s per setting and situation (the best of the rounds: load only slows a run down), and
each setting's ratio to the best fixed setting (`threads=N ...`) measured in each situation. Writes
benchmarks/results/contention-<name or config>-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from common import GANLAB, save, table, wait_quiet

SPIN = [sys.executable, "-c", "while True: pass"]


def measure(config: str, seconds: float, sets: list[str], env: dict[str, str]) -> float:
    cmd = [*GANLAB, "bench", config, "--json", "--seconds", str(seconds), "--warmup", "3", "--device", "cpu"]
    for item in sets:
        cmd += ["--set", item]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return float(json.loads(out.stdout)["results"][0]["gen_steps_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="demo")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--competitors", default="0,1,2", help="comma-separated numbers of busy processes")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="a policy to try")
    parser.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait for idle CPUs first")
    parser.add_argument("--only", default="", help="comma-separated settings to run (default: all)")
    parser.add_argument("--name", default="", help="results file: contention-<name>-cpu.json (default: the config)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    settings: dict[str, tuple[list[str], dict[str, str]]] = {"default": ([], {})}
    for n in range(1, cores + 1):
        fixed = [f"train.threads={n}", "train.adaptive_threads=false"]
        settings[f"threads={n} spin"] = (fixed, {"GOMP_SPINCOUNT": "300000"})
        settings[f"threads={n} passive"] = (fixed, {"OMP_WAIT_POLICY": "PASSIVE"})
    for item in args.env:
        name, _, value = item.partition("=")
        settings[f"default+{item}"] = ([], {name: value})
    if args.only:
        wanted = args.only.split(",")
        unknown = [name for name in wanted if name not in settings]
        if unknown:
            parser.error(f"--only: unknown setting {unknown[0]!r}; expected some of {', '.join(settings)}")
        settings = {name: settings[name] for name in wanted}
    situations = [int(c) for c in args.competitors.split(",")]
    idle = wait_quiet(max_wait_s=args.max_wait)
    rates: dict[str, dict[str, list[float]]] = {f"{c} busy": {s: [] for s in settings} for c in situations}
    for _ in range(args.rounds):
        for competitors in situations:
            spinners = [subprocess.Popen(SPIN) for _ in range(competitors)]
            try:
                time.sleep(0.5)
                for name, (sets, env) in settings.items():
                    rates[f"{competitors} busy"][name].append(measure(args.config, args.seconds, sets, env))
            finally:
                for spinner in spinners:
                    spinner.kill()
                    spinner.wait()
    rows = []
    for situation, by_setting in rates.items():
        best = {name: max(values) for name, values in by_setting.items()}
        best_fixed = max(v for name, v in best.items() if name.startswith("threads="))
        for name, value in best.items():
            rows.append(
                {"situation": situation, "setting": name, "steps_per_s": value, "vs_best_fixed": value / best_fixed}
            )
    print(
        table(
            rows,
            [
                ("situation", "situation", "s"),
                ("setting", "setting", "s"),
                ("G steps/s", "steps_per_s", ".2f"),
                ("vs best fixed", "vs_best_fixed", ".2f"),
            ],
        )
    )
    payload: dict[str, Any] = {
        "config": args.config,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "idle_share_before": idle,
        "rows": rows,
        "all_steps_per_s": rates,
    }
    path = save(f"contention-{args.name or args.config}-cpu", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
