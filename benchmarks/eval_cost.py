"""Evaluation cost: the share of wall time periodic evaluation takes in the demo run, and `fd_domain` on
10 000 samples.

    .venv/bin/python benchmarks/eval_cost.py [--out runs/bench-demo] [--device auto]

Trains the demo preset as `make demo` does (eval.every=250) unless OUT already holds it, reads the
evaluation hook's own accounting from summary.json (eval_s, eval_share), then times `ganlab evaluate
--metrics fd_domain --samples 10000` on the run. Writes benchmarks/results/eval-cost-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from common import GANLAB, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/bench-demo")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    out = Path(args.out)
    train_cmd = [*GANLAB, "train", "demo", "--set", "eval.every=250", "--out", str(out), "--device", args.device]
    if not (out / "summary.json").is_file():
        subprocess.run(train_cmd, check=True)
    summary = json.loads((out / "summary.json").read_text())
    eval_cmd = [*GANLAB, "evaluate", str(out), "--metrics", "fd_domain", "--samples", "10000"]
    start = time.perf_counter()
    subprocess.run(eval_cmd, check=True, capture_output=True)
    fd_s = time.perf_counter() - start
    keys = ("wall_s", "eval_s", "eval_setup_s", "evaluations", "eval_share", "gen_steps_per_s")
    result = {k: summary.get(k) for k in keys} | {"fd_domain_10k_s": fd_s}
    path = save(
        f"eval-cost-{summary.get('device', 'cpu').split(':')[0]}",
        {
            "train_command": " ".join(["ganlab", *train_cmd[3:]]),
            "evaluate_command": " ".join(["ganlab", *eval_cmd[3:]]),
            **result,
        },
    )
    print(json.dumps(result, indent=2))
    print(f"raw results in {path}")


if __name__ == "__main__":
    main()
