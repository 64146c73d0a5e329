"""`ganlab report`: one self-contained HTML page comparing the runs under some directories; claims on stdout."""

from __future__ import annotations

from pathlib import Path

import click

from ganlab.cli import CONTEXT


@click.command(context_settings=CONTEXT)
@click.argument("directories", metavar="DIR...", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="HTML file to write",
)
def report(directories: tuple[str, ...], output: str) -> None:
    """Write one self-contained HTML report of the runs, studies and toy figures found under DIR...

    For named studies, also print whether the sources' claims hold in these runs.
    """
    from ganlab.errors import ConfigError
    from ganlab.report import build_report

    for directory in directories:
        if not Path(directory).is_dir():
            raise ConfigError(directory, "an existing directory", "no such directory")
    result = build_report(list(directories), output)
    for study in result.collection.studies:
        scale = f"{study.scale} scale"
        mine = [c for c in result.claims if c.study == study.name]
        click.echo(f"claims of study {study.name} ({scale}), {len(mine)} checks:")
        for claim in mine:
            click.echo("  " + claim.line().replace("\n", "\n  "))
    click.echo(
        f"{len(result.collection.runs)} runs in {len(result.groups)} models; {len(result.collection.toys)} toy figures"
    )
    click.echo(f"report: {result.path}")
