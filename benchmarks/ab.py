"""Interleaved A/B of config variants on the real training step (one process, alternating rounds).

    .venv/bin/python benchmarks/ab.py dcgan fp32: bf16:train.precision=bf16 [--threads 2] [--rounds 6]

Each variant gets its own TrainState; rounds of `--steps` generator steps (their critic steps included)
alternate between variants, so load from other processes hits all of them alike; the ratio of the median
round times is reported against the first variant. Uses ganlab.training.step.d_step/g_step themselves.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from common import save

from ganlab.bench.hardware import synchronizer
from ganlab.config import parse_set
from ganlab.data import load_dataset
from ganlab.plugins import load_config
from ganlab.training.device import resolve_device
from ganlab.training.state import TrainState, build_state
from ganlab.training.step import critic_updates, d_step, g_step


def gen_step(state: TrainState) -> None:
    labels = None
    for _ in range(critic_updates(state.config.train, state.step)):
        real, labels = state.real_batch()
        d_step(state, real, labels)
    g_step(state, labels, real=real)
    state.step += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("variants", nargs="+", help="NAME:KEY=VALUE,KEY=VALUE (empty after the colon: as is)")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="applied to every variant")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=2, help="generator steps per round")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    sync = synchronizer(device)
    states: dict[str, TrainState] = {}
    data = None
    for spec in args.variants:
        name, _, sets = spec.partition(":")
        cfg = load_config(args.config, parse_set([*args.sets, *filter(None, sets.split(","))]))
        data = data or load_dataset(cfg.data, "train").to(device)
        states[name] = build_state(cfg, data, device)
    times: dict[str, list[float]] = {name: [] for name in states}
    for round_ in range(args.rounds + 1):  # round 0 warms up (oneDNN primitives, compilation)
        for name, state in states.items():
            sync()
            start = time.perf_counter()
            for _ in range(args.steps):
                gen_step(state)
            sync()
            if round_:
                times[name].append((time.perf_counter() - start) / args.steps)
    first = next(iter(times))
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        rows.append({"variant": name, "s_per_gen_step": median, "speedup": statistics.median(times[first]) / median})
        print(f"{name:>16}: {median * 1e3:9.1f} ms per generator step   {rows[-1]['speedup']:.2f}x {first}")
    tag = "-".join([args.config.split("/")[-1].removesuffix(".yaml"), *states, f"{args.threads}t", device.type])
    save(f"ab-{tag}", {"command": vars(args), "rows": rows, "times": times})


if __name__ == "__main__":
    main()
