"""`ganlab report`: one self-contained HTML page comparing the runs under some directories; claims on stdout."""

from __future__ import annotations

from pathlib import Path

import click

from ganlab.cli import CONTEXT, SHORT_HELP
from ganlab.cli_types import UserPath
from ganlab.report.groups import plural


@click.command(context_settings=CONTEXT, short_help=SHORT_HELP["report"])
@click.argument("directories", metavar="DIR...", nargs=-1, required=True, type=UserPath())
@click.option(
    "-o",
    "--output",
    default="report.html",
    show_default=True,
    type=UserPath(dir_okay=False),
    help="HTML file to write",
)
@click.option(
    "--publish",
    type=UserPath(file_okay=False),
    help="instead of the HTML page, write each study's records, Markdown results page and figures, and each toy "
    "record with its figures, under this directory (e.g. docs/results) and its README.md index; the pages are "
    "rendered from the records alone",
)
def report(directories: tuple[str, ...], output: str, publish: str | None) -> None:
    """Write one self-contained HTML report of the runs, studies and toy figures found under DIR...

    For named studies, also print the verdict on each of the sources' claims in these runs.
    """
    from ganlab.errors import ArgumentError
    from ganlab.report import build_report

    for directory in directories:
        if not Path(directory).is_dir():
            raise ArgumentError(directory, "an existing directory", "no such directory")
    if publish is not None:
        from ganlab.report.publish import describe
        from ganlab.report.publish import publish as publish_results

        done = publish_results(list(directories), publish)
        if not done.studies and not done.toys:
            raise ArgumentError(
                "DIR", "directories holding a study (a study.json written by ganlab study) or a toy record (ganlab toy)"
            )
        for item in done.studies:
            click.echo(f"claims of study {item.study}, {len(item.claims)} checks:")
            for claim in item.claims:
                click.echo("  " + claim.line().replace("\n", "\n  "))
        for toy in done.toys:
            click.echo(f"claims of toy {toy.toy}:")
            for j in toy.judged:
                click.echo(f"  {'holds' if j.holds else 'does not hold'}: {j.claim.claim} ({j.measured})")
        for line in describe(done):
            click.echo(f"published {line}")
        click.echo(f"index: {Path(publish).resolve() / 'README.md'}")
        return
    result = build_report(list(directories), output)
    for note in result.collection.notes:
        click.echo(f"ganlab: warning: {note}", err=True)
    for study in result.collection.studies:
        scale = f"{study.scale} scale"
        mine = [c for c in result.claims if c.study == study.name]
        click.echo(f"claims of study {study.name} ({scale}), {len(mine)} checks:")
        for claim in mine:
            click.echo("  " + claim.line().replace("\n", "\n  "))
    click.echo(
        f"{plural(len(result.collection.runs), 'run')} in {plural(len(result.groups), 'model')}; "
        f"{plural(sum(len(t.figures) for t in result.collection.toys), 'toy figure')}"
    )
    click.echo(f"report: {result.path}")
