"""Start-up time of the commands that compute nothing: the whole process, as a user waits for it.

    .venv/bin/python benchmarks/startup.py [--runs 10] [--max-wait 600]

Runs `python -m ganlab --help`, `presets`, `data list` and `--version` RUNS times each, interleaved (one of each
per round, so load on the machine hits them alike), after waiting for the CPUs to be quiet; reports the median
and the fastest wall time, and, as the reference of what a torch import costs here, `python -c "import torch"`.
Writes benchmarks/results/startup-cpu.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from common import GANLAB, save, table, wait_quiet

COMMANDS = {
    "ganlab --help": [*GANLAB, "--help"],
    "ganlab presets": [*GANLAB, "presets"],
    "ganlab data list": [*GANLAB, "data", "list"],
    "ganlab --version": [*GANLAB, "--version"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--max-wait", type=float, default=600.0, help="seconds to wait for idle CPUs first")
    args = parser.parse_args()
    idle = wait_quiet(max_wait_s=args.max_wait)
    for cmd in COMMANDS.values():  # warm the file cache once: a user's second call is the common case
        wall(cmd)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            times[name].append(wall(cmd))
    rows = [
        {"command": name, "median_s": statistics.median(t), "min_s": min(t), "max_s": max(t)}
        for name, t in times.items()
    ]
    print(
        table(
            rows,
            [
                ("command", "command", "s"),
                ("median s", "median_s", ".3f"),
                ("min s", "min_s", ".3f"),
                ("max s", "max_s", ".3f"),
            ],
        )
    )
    path = save("startup-cpu", {"runs": args.runs, "idle_share_before": idle, "rows": rows, "times_s": times})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
