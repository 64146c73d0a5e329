"""`ganlab study`: run a grid of trainings and evaluations from a study file or a named study."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from ganlab.cli import CONTEXT, SET_HELP, note


def _default_out(name: str, quick: bool) -> Path:
    return Path("runs") / (f"{name}-quick" if quick else name)


def _format_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def print_plan(plan: Any, statuses: list[tuple[str, str]], full: bool) -> None:
    """The cells, their settings relative to the study's base (or whole configs) and what is on disk."""
    from ganlab.config import dump_yaml
    from ganlab.studies.grid import diff

    study = plan.study
    scale = "quick scale (--quick)" if plan.quick else "full scale"
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


def _describe(result: dict[str, Any]) -> str:
    values = result.get("metrics") or {}
    shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
    parts = [result.get("action", ""), f"{result.get('seconds', 0):.0f} s", shown, result.get("error") or ""]
    return "; ".join(p for p in parts if p)


@click.command(context_settings=CONTEXT)
@click.argument("study_ref", metavar="STUDY", required=False)
@click.option(
    "--out", type=click.Path(file_okay=False), help="directory of the study's runs (default runs/<study>[-quick])"
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
@click.option("--quick", is_flag=True, help="the study's quick scale: fewer steps, a data subset, fewer repeats")
@click.option("--dry-run", is_flag=True, help="list the runs, their settings and which are finished; run nothing")
@click.option("--full", is_flag=True, help="with --dry-run: print each run's whole resolved config")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP + "; applies to every run")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda")
@click.option("--list", "list_only", is_flag=True, help="list the named studies and exit")
def study(
    study_ref: str | None,
    out: str | None,
    workers: int,
    backend: str,
    ray_address: str | None,
    quick: bool,
    dry_run: bool,
    full: bool,
    sets: tuple[str, ...],
    device: str,
    list_only: bool,
) -> None:
    """Run a grid of trainings and evaluations. STUDY is a named study (`--list`) or a study YAML file.

    Re-running the same command skips finished runs and resumes interrupted ones.
    """
    from ganlab.config import parse_set
    from ganlab.errors import ConfigError
    from ganlab.studies.grid import load_study, plan_study, study_names
    from ganlab.studies.runner import StudyError, check_mismatch, run_study, survey

    if list_only:
        for name in study_names():
            named = load_study(name)
            click.echo(f"{name:<24} {named.description}  [{named.source}]")
        return
    if study_ref is None:
        raise ConfigError("STUDY", "a named study (ganlab study --list) or a study YAML file")
    if backend == "ray" and not dry_run:
        from ganlab.studies.ray_backend import import_ray

        import_ray()  # fail in one line before anything is written
    definition = load_study(study_ref)
    overrides = parse_set(list(sets))
    plan = plan_study(definition, out or _default_out(definition.name, quick), quick, overrides, workers)
    statuses = survey(plan)
    if dry_run:
        print_plan(plan, statuses, full)
        return
    check_mismatch(plan, statuses)
    todo = sum(1 for s, _ in statuses if s in ("new", "partial", "trained"))
    scale = " at the quick scale" if quick else ""
    note(
        f"study {plan.study.name}{scale}: {todo} of {len(plan.cells)} runs to do in {plan.out} "
        f"({backend}, {workers} worker{'s' * (workers > 1)}, train.threads={plan.threads})"
    )
    inline = backend == "local" and workers == 1  # then each training shows its own step bar
    bar = None if inline else tqdm(total=todo, unit="run", desc=plan.study.name, dynamic_ncols=True)
    done = [0]

    def report(cell: Any, result: dict[str, Any]) -> None:
        done[0] += 1
        line = f"ganlab: [{done[0]}/{todo}] {cell.run}: {_describe(result)}"
        if bar is None:
            click.echo(line, err=True)
        else:
            bar.write(line, file=sys.stderr)
            bar.update()

    try:
        outcome = run_study(plan, backend, workers, device, ray_address, overrides, report, progress=inline)
    finally:
        if bar is not None:
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
