"""Peak memory of `ganlab evaluate` against the number of samples: evaluation streams, so it should barely grow.

    .venv/bin/python benchmarks/eval_memory.py [--samples 1000 10000 50000] [--resolutions 28 64]

For each resolution a dcgan run is trained for 2 steps (no evaluation) in a temporary folder; then `ganlab
evaluate RUN --samples N` (the run's default metrics: fd_domain and class_coverage on Fashion-MNIST) runs in a
fresh process for each N, and the parent reads its peak RSS from os.wait4. The samples are generated, measured
and dropped one chunk at a time; what stays is 1 KiB of classifier features per sample. Writes
benchmarks/results/eval-memory-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time

from common import GANLAB, peak_rss, save, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[28, 64])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ganlab-evalmem-") as tmp:
        for side in args.resolutions:
            run = os.path.join(tmp, f"dcgan-{side}")
            sets = ["train.steps=2", "eval.every=0", "log.sample_every=0", f"data.resolution={side}"]
            cmd = [*GANLAB, "train", "dcgan", "--out", run, "--device", "cpu"]
            subprocess.run([*cmd, *(arg for s in sets for arg in ("--set", s))], check=True, capture_output=True)
            for n in args.samples:
                start = time.perf_counter()
                rss, _ = peak_rss([*GANLAB, "evaluate", run, "--samples", str(n), "--device", "cpu"])
                row = {"resolution": side, "samples": n, "peak_rss_mib": rss, "wall_s": time.perf_counter() - start}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(
        table(
            rows,
            [
                ("image", "resolution", "d"),
                ("--samples", "samples", "d"),
                ("peak RSS MiB", "peak_rss_mib", ".0f"),
                ("wall s", "wall_s", ".0f"),
            ],
        )
    )
    print(f"raw results in {save('eval-memory-cpu', {'command': vars(args), 'points': rows})}")


if __name__ == "__main__":
    main()
