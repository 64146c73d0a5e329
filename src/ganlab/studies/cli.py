"""`ganlab study`: run a grid of trainings and evaluations from a study file or a named study."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ganlab.cli import CONTEXT, SET_HELP, SHORT_HELP, note
from ganlab.cli_types import UserPath
from ganlab.progress import Progress


def _default_out(name: str, scale: str) -> Path:
    return Path("runs") / (name if scale == "full" else f"{name}-{scale}")


def _format_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def print_plan(plan: Any, statuses: list[tuple[str, str]], full: bool) -> None:
    """The cells, their settings relative to the study's base (or whole configs) and what is on disk."""
    from ganlab.config import dump_yaml
    from ganlab.studies.grid import diff

    study = plan.study
    scale = f"{plan.scale} scale"
    click.echo(f"study {study.name}: {study.description}")
    click.echo(f"source: {study.source}")
    click.echo(f"from: {study.origin}; {scale}; out: {plan.out}")
    click.echo(
        f"{len(plan.cells)} runs; evaluate {', '.join(plan.metrics) or 'nothing'} on {plan.samples} samples; "
        f"train.threads={plan.threads} per run"
    )
    click.echo("")
    for cell, (status, why) in zip(plan.cells, statuses, strict=True):
        shown = f"{status} ({why})" if why else status
        click.echo(f"{cell.run:<40} {shown:<24} {cell.path}")
        if full:
            click.echo("  " + dump_yaml(cell.config).replace("\n", "\n  ").rstrip())
        else:
            changes = diff(cell.config, plan.base)
            click.echo("  " + (", ".join(f"{k}={_format_value(v)}" for k, v in changes.items()) or "(the base config)"))


def print_estimates(plan: Any, full_plan: Any, workers: int, device: str) -> None:
    """Probe each distinct model and print the estimated wall time at the plan's scale and at full scale."""
    from ganlab.progress import format_duration
    from ganlab.studies.estimate import estimate_plan

    def probed(cell: Any, probe: Any) -> None:
        click.echo(
            f"  probe {cell.name}: {probe.step_s:.3g} s a step, evaluation {probe.eval_setup_s:.1f} s + "
            f"{probe.eval_sample_s * 1000:.2f} ms a sample ({probe.threads} thread{'s' * (probe.threads > 1)})",
            err=True,
        )

    click.echo("")
    click.echo(f"estimate on this machine ({workers} worker{'s' * (workers > 1)}), from a probe of each model:")
    mine = estimate_plan(plan, workers, device, on_probe=probed)
    steps = sum(c.config.train.steps for c in plan.cells)
    click.echo(
        f"  {plan.scale} scale: {len(plan.cells)} runs, {steps:,} generator steps, {format_duration(mine.wall_s)}"
    )
    if full_plan is not plan:
        full = estimate_plan(full_plan, workers, device, probes=mine.probes, on_probe=probed)
        steps = sum(c.config.train.steps for c in full_plan.cells)
        click.echo(
            f"  full scale: {len(full_plan.cells)} runs, {steps:,} generator steps, {format_duration(full.wall_s)}"
        )
    budget = plan.study.scale(plan.scale).budget
    if budget:
        click.echo(f"  sizing of the {plan.scale} scale: {budget}")


def estimate_quietly(plan: Any, workers: int, device: str) -> dict[str, Any]:
    """The plan's estimate for study.json, probed before the runs start (one line on stderr)."""
    from ganlab.progress import format_duration
    from ganlab.studies.estimate import estimate_plan

    result = estimate_plan(plan, workers, device)
    note(f"estimated wall time of the whole study: {format_duration(result.wall_s)} (probe of each model)")
    return result.as_dict()


def _describe(result: dict[str, Any]) -> str:
    values = result.get("metrics") or {}
    shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
    parts = [result.get("action", ""), f"{result.get('seconds', 0):.0f} s", shown, result.get("error") or ""]
    return "; ".join(p for p in parts if p)


@click.command(context_settings=CONTEXT, short_help=SHORT_HELP["study"])
@click.argument("study_ref", metavar="STUDY", required=False)
@click.option(
    "--out",
    type=UserPath(file_okay=False),
    help="directory of the study's runs (default runs/<study>, runs/<study>-lab or runs/<study>-quick)",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="trainings at once")
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local processes, or Ray tasks (pip install 'ganlab[ray]')",
)
@click.option("--ray-address", help="address of a running Ray cluster (default: start a local instance)")
@click.option(
    "--scale",
    type=click.Choice(["quick", "lab", "full"]),
    default=None,
    help="quick: a smoke test (fewer steps, a data subset); lab: about an hour on 2 CPU cores, the scale whose "
    "verdicts docs/results publishes; full: the source's settings  [default: full]",
)
@click.option("--quick", is_flag=True, help="short for --scale quick")
@click.option("--dry-run", is_flag=True, help="list the runs, their settings and which are finished; run nothing")
@click.option("--full", is_flag=True, help="with --dry-run: print each run's whole resolved config")
@click.option(
    "--estimate/--no-estimate",
    default=True,
    show_default=True,
    help="probe each distinct model for a few seconds and estimate the wall time (with --dry-run: at the chosen "
    "scale and at full scale; on a real run it is kept in study.json beside the measured time)",
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP + "; applies to every run")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda")
@click.option("--list", "list_only", is_flag=True, help="list the named studies and exit")
@click.option(
    "--allow-large",
    is_flag=True,
    help="plan a grid of more than 1,000 runs (refused without it, so a typo in a study file cannot start a "
    "month of training)",
)
def study(
    study_ref: str | None,
    out: str | None,
    workers: int,
    backend: str,
    ray_address: str | None,
    scale: str | None,
    quick: bool,
    dry_run: bool,
    full: bool,
    estimate: bool,
    sets: tuple[str, ...],
    device: str,
    list_only: bool,
    allow_large: bool,
) -> None:
    """Run a grid of trainings and evaluations. STUDY is a named study (`--list`) or a study YAML file.

    Re-running the same command skips finished runs and resumes interrupted ones.
    """
    from ganlab.config import parse_set
    from ganlab.errors import ArgumentError
    from ganlab.studies.grid import MAX_RUNS, grid_size, load_study, plan_study, study_names
    from ganlab.studies.index import read_index
    from ganlab.studies.runner import StudyError, check_mismatch, run_study, survey

    if list_only:
        for name in study_names():
            named = load_study(name)
            click.echo(f"{name:<24} {named.description}  [{named.source}]")
        return
    if study_ref is None:
        raise ArgumentError("STUDY", "a named study (ganlab study --list) or a study YAML file")
    if backend == "ray" and not dry_run:
        from ganlab.studies.ray_backend import import_ray

        import_ray()  # fail in one line before anything is written
    if quick and scale not in (None, "quick"):
        raise ArgumentError("--quick", f"no other scale (--scale {scale} was given too)")
    scale = "quick" if quick else scale or "full"
    definition = load_study(study_ref)
    overrides = parse_set(list(sets))
    runs, how = grid_size(definition, scale)
    if runs > MAX_RUNS and allow_large:  # the size first: a grid this large takes a while to plan
        note(f"study {definition.name} at the {scale} scale: {runs:,} runs ({how}); planning them")
    out_dir = out or _default_out(definition.name, scale)
    plan = plan_study(definition, out_dir, scale, overrides, workers, allow_large=allow_large)
    statuses = survey(plan)
    if dry_run:
        print_plan(plan, statuses, full)
        if estimate:
            full_runs, _ = grid_size(definition, "full")
            if scale == "full" or allow_large or full_runs <= MAX_RUNS:
                full_plan = (
                    plan if scale == "full" else plan_study(definition, plan.out, "full", overrides, workers, True)
                )
                print_estimates(plan, full_plan, workers, device)
            else:
                note(f"not estimated at full scale: {full_runs:,} runs, more than {MAX_RUNS:,} (see --allow-large)")
        return
    check_mismatch(plan, statuses)
    planned = None
    # the estimate made before the study's first training is kept (study.json): a resumed study is not re-probed
    estimated = ((read_index(plan.out) or {}).get("timing") or {}).get("estimate")
    if estimate and not estimated and any(s in ("new", "partial") for s, _ in statuses):
        planned = estimate_quietly(plan, workers, device)
    todo = sum(1 for s, _ in statuses if s in ("new", "partial", "trained"))
    note(
        f"study {plan.study.name} at the {scale} scale: {todo} of {len(plan.cells)} runs to do in {plan.out} "
        f"({backend}, {workers} worker{'s' * (workers > 1)}, train.threads={plan.threads})"
    )
    inline = backend == "local" and workers == 1  # then each training shows where it is itself
    # runs take minutes: in a log, a line a minute over the whole study beside each run's own line when it ends
    bar = Progress(todo, plan.study.name, "run", "off" if inline else True, every=60.0)
    done = [0]

    def report(cell: Any, result: dict[str, Any]) -> None:
        done[0] += 1
        line = f"ganlab: [{done[0]}/{todo}] {cell.run}: {_describe(result)}"
        if inline:
            click.echo(line, err=True)
        else:
            bar.write(line)
            bar.update()

    try:
        outcome = run_study(
            plan, backend, workers, device, ray_address, overrides, report, progress=inline, estimate=planned
        )
    finally:
        bar.close()
    for record in outcome.records:
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in (record["metrics"] or {}).items())
        click.echo(f"{record['run']:<40} {record['status']:<10} {metrics}")
    click.echo(f"index: {outcome.index}")
    click.echo(f"report: ganlab report {plan.out} -o {plan.out / 'report.html'}")
    failed = outcome.failed()
    if failed:
        raise StudyError(
            f"{len(failed)} of {len(outcome.ran)} runs failed, first {failed[0]['run']}: {failed[0]['error']}"
        )
