"""The comparison report: one self-contained HTML page over the runs found under some directories.

- collect: runs, study indexes and toy figures on disk
- groups: runs grouped into models (repeats), varied settings
- claims: the sources' claims checked on a study's runs (means, Welch's t-test)
- figures, tables, page: plots (matplotlib Agg, embedded as PNG), sortable tables, the page
- cli: `ganlab report`
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganlab.report.claims import ClaimResult, study_claims
from ganlab.report.collect import Collection, collect
from ganlab.report.groups import Group, group_runs


@dataclass(frozen=True)
class Report:
    path: Path
    collection: Collection
    groups: list[Group]
    claims: list[ClaimResult]


def build_report(directories: list[str | Path], out: str | Path) -> Report:
    """Collect the runs under `directories`, check the claims of their studies and write the HTML to `out`."""
    from ganlab.errors import ArgumentError
    from ganlab.report.page import render, write_report

    collection = collect([Path(d) for d in directories])
    if not collection.runs and not collection.toys:
        shown = ", ".join(str(r) for r in collection.roots)
        raise ArgumentError("DIR", "directories holding ganlab runs (a config.yaml in each) or toy figures", shown)
    groups = group_runs(collection.runs)
    claims = [result for study in collection.studies for result in study_claims(study, collection.runs)]
    path = write_report(render(collection, groups, claims), Path(out).resolve())
    return Report(path, collection, groups, claims)


__all__ = ["Report", "build_report", "ClaimResult", "Collection", "Group"]
