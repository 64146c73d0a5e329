"""Shared by the benchmark scripts: running `ganlab bench`, saving results, the machine's conditions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
CONFIGS = ROOT / "configs"
GANLAB = [sys.executable, "-m", "ganlab"]


def conditions() -> dict[str, Any]:
    """What the numbers depend on besides the code: load on the machine, torch, device."""
    import torch

    from ganlab.bench.hardware import bf16_support, device_name
    from ganlab.training.device import resolve_device

    device = resolve_device("auto")
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_avg_1_5_15": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "device": device_name(device),
        "torch": torch.__version__,
        "bf16": bf16_support(device),
    }


def cpu_idle_share(seconds: float = 2.0) -> float:
    """Share of this process's CPUs that other processes left idle over the next `seconds` (Linux /proc/stat,
    read by the thread tuner's OtherLoad)."""
    from ganlab.training.threads import OtherLoad, allowed_cpus

    cpus = allowed_cpus()
    load = OtherLoad(cpus)
    load.read()
    time.sleep(seconds)
    return 1.0 - (load.read() or 0.0) / len(cpus)


def wait_quiet(min_idle: float = 0.9, max_wait_s: float = 600.0) -> float:
    """Wait (up to `max_wait_s`) until other processes leave the CPUs idle; returns the idle share seen.
    On a machine shared with other jobs this keeps their load out of the numbers as far as possible."""
    if not Path("/proc/stat").is_file():
        return float("nan")
    deadline = time.monotonic() + max_wait_s
    idle = cpu_idle_share()
    while idle < min_idle and time.monotonic() < deadline:
        idle = cpu_idle_share()
    return idle


def bench_json(configs: list[str], sets: list[str], seconds: float, device: str, warmup: float = 3.0) -> dict[str, Any]:
    """`ganlab bench CONFIGS --json` in a fresh process (each config's peak RSS is its own)."""
    idle = wait_quiet()
    cmd = [*GANLAB, "bench", *configs, "--json", "--seconds", str(seconds), "--warmup", str(warmup), "--device", device]
    for item in sets:
        cmd += ["--set", item]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    report = json.loads(out.stdout)
    report["command"] = " ".join(["ganlab", *cmd[3:]])
    report["idle_share_before"] = idle
    return report


def peak_rss(cmd: list[str]) -> tuple[float, str]:
    """Run `cmd` in a child process; its peak RSS in MiB (from os.wait4) and its stdout. RuntimeError if it fails."""
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed with exit code {child.returncode}")
    return usage.ru_maxrss / 1024, stdout


def save(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"conditions": conditions(), **payload}, indent=2) + "\n", encoding="utf-8")
    return path


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """A markdown table: columns are (header, key, format)."""
    lines = ["| " + " | ".join(h for h, _, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for _, key, fmt in columns:
            value = row.get(key)
            cells.append("-" if value is None else format(value, fmt))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best_of(
    repeat: int, configs: list[str], sets: list[str], seconds: float, device: str, warmup: float = 3.0
) -> dict[str, Any]:
    """The fastest of `repeat` bench runs (by generator steps/s): on a machine shared with other jobs, load
    only ever slows a run down, so the best run is the best estimate of the machine; all runs are kept."""
    runs = [bench_json(configs, sets, seconds, device, warmup) for _ in range(repeat)]
    best = max(runs, key=lambda run: sum(r["gen_steps_per_s"] for r in run["results"]))
    return {
        **best,
        "repeats": len(runs),
        "all_gen_steps_per_s": [[r["gen_steps_per_s"] for r in run["results"]] for run in runs],
    }
