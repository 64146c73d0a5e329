"""`ganlab bench`: the command line over `bench_config`; it prints, the library measures."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from ganlab.bench.phases import PHASES
from ganlab.cli import SHORT_HELP

DEFAULT_CONFIGS = ("gan", "dcgan", "wgan", "wgan-gp")  # at their source batch sizes, on Fashion-MNIST
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.command(context_settings=CONTEXT, short_help=SHORT_HELP["bench"])
@click.argument("configs", nargs=-1, metavar="[CONFIG ...]")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="override a config key in every CONFIG")
@click.option("--seconds", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="measured window")
@click.option("--warmup", type=click.FloatRange(min=0.0), default=3.0, show_default=True, help="warm-up seconds")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object with a `results` list")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda")
def bench(
    configs: tuple[str, ...], sets: tuple[str, ...], seconds: float, warmup: float, as_json: bool, device: str
) -> None:
    """Training throughput on this machine: steps/s, images/s, time per phase, FLOPs and share of the measured peak.

    CONFIG is a preset or YAML file (default: gan, dcgan, wgan, wgan-gp). Each runs the real training loop
    for a warm-up and then a fixed window.
    """
    import torch

    from ganlab.bench.hardware import bf16_support, device_name
    from ganlab.bench.runner import BenchSettings, DataCache, bench_config
    from ganlab.config import parse_set
    from ganlab.plugins import load_config
    from ganlab.training.device import resolve_device

    dev = resolve_device(device)
    overrides = parse_set(list(sets))
    cfgs = [load_config(name, overrides) for name in (configs or DEFAULT_CONFIGS)]  # all refused before any runs
    settings = BenchSettings(
        seconds=seconds, warmup_s=warmup, peak_budget_s=min(1.2, seconds / 4), peak_slice_s=min(0.45, seconds / 8)
    )
    header = {
        "load_avg": os.getloadavg()[0],  # processes competing for the cores when the bench started
        "cpus": os.cpu_count(),
        "device": str(dev),
        "device_name": device_name(dev),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "bf16": bf16_support(dev),
    }
    if not as_json:
        _print_header(header)
    cache, results = DataCache(dev), []
    for cfg in cfgs:
        result = bench_config(cfg, dev, settings, cache)
        results.append(result)
        if not as_json:
            _print_result(result)
    if as_json:
        click.echo(json.dumps({**header, "results": results}, indent=2))


def _print_header(header: dict[str, Any]) -> None:
    bf16 = header["bf16"]
    support = "native" if bf16["native"] else "NOT native (bf16 runs are emulated and slow)"
    click.echo(
        f"device: {header['device']} ({header['device_name']}), torch {header['torch']}, {header['threads']} threads"
    )
    click.echo(f"bf16:   {support}" + (f" [{', '.join(bf16.get('cpu_flags', []))}]" if bf16.get("cpu_flags") else ""))
    if header["cpus"] and header["load_avg"] > header["cpus"]:
        click.echo(
            f"note:   load average {header['load_avg']:.1f} on {header['cpus']} CPUs: other processes compete for the"
            " cores, so these numbers are below what this machine can do"
        )


def _print_result(r: dict[str, Any]) -> None:
    shape = f"{r['resolution']}x{r['resolution']}x{r['channels']}" if r["resolution"] else "points"
    peaks = r["peaks"]
    click.echo("")
    click.echo(
        f"{r['config']}: batch {r['batch_size']}, {shape}, n_critic {r['n_critic']}, {r['precision']}, {r['threads']} threads"
    )
    click.echo(f"  generator steps/s    {r['gen_steps_per_s']:.3f}   ({r['gen_steps']} steps in {r['window_s']:.1f} s)")
    click.echo(f"  D images/s           {r['d_imgs_per_s']:.0f}   (real + fake)")
    click.echo(
        f"  FLOPs per G step     {r['flops_per_gen_step'] / 1e9:.3f} GFLOP ({r['conv_flop_share']:.0%} convolution)"
    )
    click.echo(
        f"  achieved             {r['achieved_gflops']:.1f} GFLOP/s = {r['share_of_peak']:.1%} of the {r['peak_kind']} peak"
    )
    best = peaks["best_block"]
    click.echo(
        f"  measured peaks       conv {peaks['conv_gflops']:.1f} GFLOP/s ({peaks['conv_shape']}), matmul"
        f" {peaks['matmul_gflops']:.1f} GFLOP/s: sustained, {len(peaks['conv_slice_gflops'])} slices beside the window"
    )
    click.echo(
        f"  best short blocks    conv {best['conv_gflops']:.1f}, matmul {best['matmul_gflops']:.1f} GFLOP/s"
        f" (share of those: {r['achieved_gflops'] / (best['conv_gflops'] if r['peak_kind'] == 'conv' else best['matmul_gflops']):.1%})"
    )
    order = [*PHASES, "checkpoint", "samples"]
    phases = ", ".join(f"{name} {r['phases'][name]:.1%}" for name in order if name in r["phases"])
    click.echo(f"  phases (wall time)   {phases}")
    click.echo(
        f"  loop overhead        {r['loop_overhead_share']:.1%}   (data, logging, watch, loop, checkpoints, samples)"
    )
    if r["penalty_step_ratio"] is not None:
        click.echo(f"  penalty step         {r['penalty_step_ratio']:.2f}x a plain critic step")
    memory = {k: v for k, v in r.items() if k.endswith("_mib")}
    for key, value in memory.items():
        click.echo(f"  {key.replace('_mib', '').replace('_', ' '):<20} {value:.0f} MiB")
    for note in r["notes"]:
        click.echo(f"  note: {note}")
