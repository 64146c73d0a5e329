"""The command line: a thin shell over the library, and the only place that prints errors and exits.

Exit codes (shared/SPEC.md): 0 success; 1 an I/O failure (disk full, permission); 2 bad input, one line
naming the key, file or value; 3 training diverged; 130 interrupted after a checkpoint was written.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, TextIO

import click

from ganlab.cli_types import SEED, UserPath
from ganlab.errors import ArgumentError, GanlabError, GanlabWarning
from ganlab.interrupts import Terminated, sigterm_as_interrupt

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def fail(message: str, code: int) -> None:
    click.echo(f"ganlab: error: {one_line(message)}", err=True)
    sys.exit(code)


def one_line(message: str) -> str:
    """The message with any line break inside it (a YAML key or a path may hold one) escaped, so an error
    is always exactly one line."""
    return "".join(repr(c)[1:-1] if len(f"a{c}b".splitlines()) > 1 else c for c in message)


def note(message: str) -> None:
    click.echo(f"ganlab: {message}", err=True)


SHORT_HELP = {  # one line each, short enough for `ganlab --help` not to wrap
    "bench": "Training throughput here: steps/s, images/s, time per phase.",
    "report": "Write one HTML report of the runs, studies and toys in DIRs.",
    "study": "Run a study: a grid of trainings judged against its claims.",
    "toy": "Run an illustrative experiment of the sources on 2-D data.",
}


class LazyGroup(click.Group):
    """Commands living in other packages, imported only when used (keeps `ganlab --help` fast): `--help`
    lists them with their SHORT_HELP, which each command also declares as its own `short_help`."""

    LAZY = {
        "bench": ("ganlab.bench", "bench"),
        "report": ("ganlab.report.cli", "report"),
        "study": ("ganlab.studies.cli", "study"),
        "toy": ("ganlab.toys.cli", "toy"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            import importlib

            module, attr = self.LAZY[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.LAZY:
                rows.append((name, SHORT_HELP[name]))
            else:
                command = super().get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(package_name="ganlab")
def cli() -> None:
    """Train, evaluate, diagnose and compare GANs; rerun the classic studies in one command."""


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """ganlab's own warnings as one line each; other libraries' as Python shows them."""
    if issubclass(category, GanlabWarning):
        note(f"warning: {message}")
    else:
        PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


PYTHON_SHOWWARNING = warnings.showwarning


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `ganlab` console script and `python -m ganlab`."""
    warnings.showwarning = show_warning
    try:
        with sigterm_as_interrupt():  # SIGTERM outside a training's own handler: like Ctrl-C, one line, 130
            cli.main(args=argv, prog_name="ganlab", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # usage errors: one line, exit 2
        fail(exc.format_message(), 2)
    except click.exceptions.Abort as exc:  # click's form of a KeyboardInterrupt raised inside a command
        fail("terminated (SIGTERM)" if isinstance(exc.__context__, Terminated) else "interrupted", 130)
    except GanlabError as exc:
        fail(str(exc), exc.exit_code)
    except Terminated:
        fail("terminated (SIGTERM)", 130)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", 1)


def _load(config: str, sets: tuple[str, ...]) -> Any:
    from ganlab.config import parse_set
    from ganlab.plugins import load_config

    return load_config(config, parse_set(list(sets)))


SET_HELP = "override a config key, e.g. --set train.steps=500 (repeatable)"


# --- train --------------------------------------------------------------------------------------------
@cli.command(context_settings=CONTEXT)
@click.argument("config", required=False)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--out", type=UserPath(file_okay=False), help="run directory (default runs/<preset>-<timestamp>)")
@click.option(
    "--resume",
    is_flag=True,
    help="continue the run in --out from its last good checkpoint (start it if it has none yet)",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda")
@click.option("--dry-run", is_flag=True, help="print the resolved config and exit")
def train(config: str | None, sets: tuple[str, ...], out: str | None, resume: bool, device: str, dry_run: bool) -> None:
    """Train one model. CONFIG is a preset name (`ganlab presets`) or a YAML file."""
    from ganlab.compose import train as run_training
    from ganlab.config import dump_yaml
    from ganlab.errors import Interrupted
    from ganlab.training import default_out

    if config is None:
        if not (resume and out):
            raise ArgumentError("CONFIG", "a preset name or YAML file (or --resume --out RUN)")
        config = str(Path(out) / "config.yaml")
    cfg = _load(config, sets)
    if dry_run:
        from ganlab.training.device import resolve_device

        resolve_device(device)  # a bad --device is refused by the dry run too
        click.echo(dump_yaml(cfg), nl=False)
        return
    out_dir = (Path(out) if out else default_out(cfg)).expanduser().resolve()
    announce = _announce(f"{'resuming' if resume else 'training'} {cfg.name} into {out_dir}")
    try:
        run = run_training(cfg, out=out_dir, resume=resume, device=device, hooks=[announce], progress=True)
    except Interrupted:
        note(f"checkpoint written; continue with: ganlab train --resume --out {out_dir}")
        raise
    except KeyboardInterrupt:  # before the loop took over the signals: loading data, building the models
        note(_kept_after_interrupt(out_dir))
        raise
    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun only rank 0 reports (it wrote the run)
    for message in run.messages:
        note(message)
    for warning in run.summary.get("warnings", []):
        note(f"warning: {warning['message'] if isinstance(warning, dict) else warning}")
    _report_run(run)


def _kept_after_interrupt(out_dir: Path) -> str:
    """What an interrupt before the training loop left: the run's last checkpoint, or nothing at all."""
    from ganlab.rundir.checkpoint import step_dirs

    steps = step_dirs(out_dir / "checkpoints") if (out_dir / "checkpoints").is_dir() else []
    if steps:
        return (
            f"stopped before training went on: the run keeps its checkpoint {steps[-1][1].name}; continue with: "
            f"ganlab train --resume --out {out_dir}"
        )
    if (out_dir / "config.yaml").is_file():
        return f"stopped before the first checkpoint: {out_dir} holds no checkpoint; --resume starts it from step 0"
    return f"stopped before the first checkpoint: nothing was written ({out_dir} was not created or was removed)"


def _announce(message: str) -> Any:
    """A hook saying where the run goes once its directory is taken (a refused --out prints only the error)."""
    from ganlab.training.hooks import Hook  # imports torch: only when training

    class Announce(Hook):
        def on_start(self, state: Any, ctx: Any) -> None:
            note(message)

    return Announce()


def _report_run(run: Any) -> None:
    summary = run.summary
    samples = sorted((run.path / "samples").glob("step_*.png"))
    final = summary.get("final", {})
    losses = ", ".join(
        f"{k}={v:.4g}" for k, v in final.items() if isinstance(v, (int, float)) and k.startswith(("loss", "wasser"))
    )
    click.echo(f"run:      {run.path}")
    click.echo(
        f"status:   {summary.get('status')} after {summary.get('steps')} steps in {summary.get('wall_s')} s ({summary.get('imgs_per_s')} img/s)"
    )
    if losses:
        click.echo(f"losses:   {losses}")
    evals = run.evals()
    if evals:
        last = {k: v for k, v in evals[-1].items() if isinstance(v, (int, float)) and k not in ("step", "time_s")}
        click.echo("eval:     " + ", ".join(f"{k}={v:.4g}" for k, v in last.items()))
    if samples:
        click.echo(f"samples:  {samples[-1]}")


# --- presets ------------------------------------------------------------------------------------------
@cli.command(context_settings=CONTEXT)
def presets() -> None:
    """List the presets with a one-line description and the source section they follow."""
    from ganlab.config import preset_summaries

    rows = preset_summaries()
    width = max(len(name) for name, _, _ in rows)
    for name, description, source in rows:
        click.echo(f"{name:<{width}}  {description}  [{source}]")


# --- sample -------------------------------------------------------------------------------------------
@cli.command(context_settings=CONTEXT)
@click.argument("run_dir", metavar="RUN", type=UserPath(file_okay=False))
@click.option("-n", "n", default=64, show_default=True, type=click.IntRange(min=1), help="number of samples")
@click.option("--class", "class_id", type=int, help="class id for a conditional model (default: all classes)")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of the latent noise")
@click.option("-o", "output", type=UserPath(dir_okay=False), help="PNG to write (default RUN/sample.png)")
def sample(run_dir: str, n: int, class_id: int | None, seed: int, output: str | None) -> None:
    """Draw a grid of N samples from a trained run (EMA weights if kept); needs only the run directory."""
    from ganlab.rundir.run import load_run
    from ganlab.viz.grids import save_image_grid, save_point_cloud

    run = load_run(run_dir)
    for message in run.messages:
        note(message)
    labels: list[int] | int | None = None
    if class_id is None and run.num_classes:
        labels = [i % run.num_classes for i in range(n)]  # one class per column of the grid
    elif class_id is not None:
        labels = class_id
    images = run.sample(n, labels=labels, seed=seed)
    path = Path(output) if output else run.path / "sample.png"
    if run.data_kind == "points":
        save_point_cloud(images, path, title=f"{run.config.name}: {n} samples")
    else:
        save_image_grid(images, path, nrow=run.num_classes if (class_id is None and run.num_classes) else None)
    click.echo(str(path))


# --- evaluate -----------------------------------------------------------------------------------------
@cli.command(context_settings=CONTEXT)
@click.argument("run_dir", metavar="RUN", type=UserPath(file_okay=False))
@click.option("--metrics", "metric_list", help="comma-separated metric names (default: the run's eval.metrics)")
@click.option("--samples", type=int, default=10_000, show_default=True, help="generated samples")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of the generated samples")
@click.option(
    "--inception-weights",
    type=UserPath(dir_okay=False),
    envvar="GANLAB_INCEPTION_WEIGHTS",
    help="local Inception weights for fid/kid/is/precision/recall (env GANLAB_INCEPTION_WEIGHTS)",
)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or auto: where G and the features run")
def evaluate(
    run_dir: str, metric_list: str | None, samples: int, seed: int, inception_weights: str | None, device: str
) -> None:
    """Compute metrics on the run's last checkpoint, print a table, write RUN/eval.json."""
    from ganlab.evaluation import format_table, run_evaluation
    from ganlab.rundir.run import load_run
    from ganlab.training.device import resolve_device

    if samples <= 1:
        raise ArgumentError("--samples", "more than 1 sample", samples)
    names = [m.strip() for m in metric_list.split(",") if m.strip()] if metric_list else None
    dev = resolve_device(device)  # a bad --device is refused before the run is loaded
    run = load_run(run_dir)
    for message in run.messages:  # e.g. the newest checkpoint is damaged and an older one is evaluated
        note(message)
    run.generator.to(dev)
    result = run_evaluation(run, names, samples, inception_weights, seed, device=dev, progress=True)
    click.echo(
        format_table(json.loads((run.path / "eval.json").read_text()) if (run.path / "eval.json").is_file() else result)
    )


# --- data ---------------------------------------------------------------------------------------------
@cli.group(context_settings=CONTEXT)
def data() -> None:
    """Datasets: which are known and available here, and Carvana preprocessing."""


@data.command("list", context_settings=CONTEXT)
def data_list() -> None:
    """List the datasets, whether each is available here and from where."""
    from ganlab.data import describe_datasets

    for row in describe_datasets():
        where = row["where"] if row["available"] else f"not found ({row['how']})"
        shape = "x".join(map(str, row["shape"])) if row.get("shape") else "-"
        click.echo(f"{row['name']:<22} {row['kind']:<7} {shape:<9} classes={row['classes']!s:<5} {where}")


@data.command("check", context_settings=CONTEXT)
@click.argument("name")
@click.option("--root", type=UserPath(file_okay=False), help="directory to look in first")
def data_check(name: str, root: str | None) -> None:
    """Say whether dataset NAME is available here, from where, and its size."""
    from ganlab.data import check_dataset

    info = check_dataset(name, root=root)
    for key, value in info.items():
        click.echo(f"{key}: {value}")


@data.command("prepare", context_settings=CONTEXT)
@click.argument("name", type=click.Choice(["carvana"]))
@click.option(
    "--images", required=True, type=UserPath(exists=True, file_okay=False), help="Carvana train/ photos (JPEG)"
)
@click.option("--masks", required=True, type=UserPath(exists=True, file_okay=False), help="Carvana train_masks/ (GIF)")
@click.option("--out", required=True, type=UserPath(file_okay=False), help="output directory of 64x64 PNGs")
@click.option("--size", default=64, show_default=True, type=click.IntRange(min=8), help="output side in pixels")
def data_prepare(name: str, images: str, masks: str, out: str, size: int) -> None:
    """Carvana preprocessing (seed 000 §4.1): mask, crop a square holding the car, resize, white background."""
    from ganlab.data import prepare_carvana

    report = prepare_carvana(Path(images), Path(masks), Path(out), size=size)
    for key, value in report.items():
        click.echo(f"{key}: {value}")
    click.echo(f"train on it with: ganlab train dcgan --set data.name=carvana --set data.root={out}")


if __name__ == "__main__":
    main()
