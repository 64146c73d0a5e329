"""`ganlab toy NAME`: one illustrative experiment, its figures and the numbers behind them."""

from __future__ import annotations

from pathlib import Path

import click

from ganlab.cli import SHORT_HELP
from ganlab.cli_types import SEED, UserPath

TOY_NAMES = ["js-vs-emd", "critic-1d", "critic-surface", "clipping-depth", "generator-gradient", "mixture"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, short_help=SHORT_HELP["toy"])
@click.argument("name", type=click.Choice(TOY_NAMES))
@click.option("--out", type=UserPath(file_okay=False), help="folder for the figures and JSON (default runs/toys/NAME)")
@click.option("--quick", is_flag=True, help="a reduced scale that finishes in under a minute on 2 CPU cores")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of every random draw")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="change a setting of the toy, e.g. --set iterations=20000 (its JSON lists them; repeatable)",
)
def toy(name: str, out: str | None, quick: bool, seed: int, sets: tuple[str, ...]) -> None:
    """Run an illustrative experiment (seed 000 §3, App. A; seed 002 Fig. 5; seed 003) and write its figures."""
    from ganlab.config import parse_set
    from ganlab.toys import run_toy

    folder = Path(out) if out else Path("runs") / "toys" / name
    overrides = parse_set(list(sets))
    scale = " (quick)" if quick else ""
    scale += f" with {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else ""
    click.echo(f"ganlab: running {name}{scale} into {folder.resolve()}", err=True)
    result = run_toy(name, folder, quick=quick, seed=seed, overrides=overrides)
    for figure in result["figures"]:
        click.echo(f"figure:  {figure}")
    click.echo(f"numbers: {result['json']}")
    click.echo(f"time:    {result['seconds']:.1f} s")
