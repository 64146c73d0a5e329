"""The published results (docs/results) are what `ganlab report` makes of their committed records: every page and
the index are rebuilt from the records and must match the committed text, verdicts and numbers included."""

from __future__ import annotations

from pathlib import Path

from ganlab.report.publish import RECORD_FILES, load_records, rebuilt

RESULTS = Path(__file__).resolve().parents[3] / "docs" / "results"


def test_every_published_page_is_what_its_records_give() -> None:
    pages = rebuilt(RESULTS)
    studies = [p for p in pages if p.name != "README.md"]
    assert studies, f"no published study under {RESULTS}"
    for path, text in pages.items():
        assert path.is_file(), f"{path} is missing: run ganlab report {RESULTS}/<study>/records --publish {RESULTS}"
        assert path.read_text(encoding="utf-8") == text, f"{path} disagrees with its records: re-publish it"


def test_published_records_are_small_and_complete() -> None:
    for index in sorted(RESULTS.glob("*/records/study.json")):
        study, runs = load_records(index.parent)
        cells = study.index.get("cells", [])
        assert len(runs) == len(cells), f"{study.name}: {len(runs)} runs recorded for {len(cells)} cells"
        for run in runs:
            assert {p.name for p in run.path.iterdir()} <= set(RECORD_FILES)
            assert run.summary.get("status") == "completed" and run.final_metrics(), run.path
        for figure in (RESULTS / study.name).glob("*.png"):
            assert figure.stat().st_size < 400_000
