"""The HTML page: every run, table and image present, self-contained (no network, no files), sortable."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from ganlab.cli import main
from ganlab.report import build_report


class Page(HTMLParser):
    """Tables by id, images, links and the text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, int] = {}
        self.images: list[dict[str, str]] = []
        self.external: list[str] = []
        self.text: list[str] = []
        self.details = 0
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.current = a.get("id", "")
            self.tables[self.current] = 0
        elif tag == "tr" and self.current is not None:
            self.tables[self.current] += 1
        elif tag == "img":
            self.images.append(a)
        elif tag == "details":
            self.details += 1
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("data:image/png;base64,", "#")):
                self.external.append(a[key])
        if tag in ("link", "iframe", "object", "embed"):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_every_run_table_and_image_is_on_a_self_contained_page(report_tree: Path) -> None:
    report = build_report([report_tree], report_tree / "report.html")
    page = parse(report.path)
    text = "".join(page.text)
    for name in ("gan-seed0", "gan-seed1", "wgan-seed0", "wgan-seed1", "dcgan-a"):
        assert name in text
    # header row + one row per model / run / claim check / time-table row
    assert page.tables["models"] == 1 + 3
    assert page.tables["runs"] == 1 + 5
    assert page.tables["claims"] == 1 + 3
    assert page.tables["times"] == 1 + 3  # no two-axis study: one row per model
    assert page.tables["samples"] == 1 + 3
    assert not page.external, page.external
    alts = [img["alt"] for img in page.images]
    assert "Wasserstein estimates" in alts and "fd_domain over training" in alts and "final fd_domain" in alts
    assert sum(a.startswith("losses of") for a in alts) == 3
    assert sum(" step " in a for a in alts) == 3 * 2  # each model's grids at steps 2 and 4
    assert any(a.startswith("toy js-vs-emd") for a in alts)
    assert page.details == 5 + 1  # each run's configuration, and the toy's numbers
    assert "sortTable" in report.path.read_text() and "ganlab domain classifier" in text  # script, provenance
    assert "full scale" in text


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        ('"scale": "full"', '"scale": "quick"', "quick scale"),
        ('"scale": "full"', '"scale": "lab"', "lab scale"),
        ('"scale": "full"', '"quick": true', "quick scale"),  # an index written before --scale
    ],
)
def test_the_scale_is_announced(report_tree: Path, before: str, after: str, shown: str) -> None:
    index = report_tree / "study" / "study.json"
    assert before in index.read_text()
    index.write_text(index.read_text().replace(before, after))
    text = "".join(parse(build_report([report_tree / "study"], report_tree / "r.html").path).text)
    assert shown in text


def test_cli_prints_claims_and_the_path(report_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = report_tree / "out" / "r.html"
    with pytest.raises(SystemExit) as info:
        main(["report", str(report_tree / "study"), "-o", str(out_file)])
        raise SystemExit(0)
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert "claims of study mini (full scale), 3 checks:" in out
    assert "INCONCLUSIVE" in out and "a verdict needs 3" in out and f"report: {out_file.resolve()}" in out


def test_cli_refuses_a_directory_without_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert info.value.code == 2
    assert "config.yaml" in capsys.readouterr().err


def test_one_run_reads_as_one_run(tmp_path: Path) -> None:
    """make demo's report: no single-bar chart (its final values are in the tables), the `ganlab sample` grid at
    twice its size with sharp pixels, sample counts beside the metric values, "1 run in 1 model"."""
    from tests.unit.report.report_helpers import write_png, write_run

    from ganlab.config import dump_yaml
    from ganlab.plugins import load_config

    run = tmp_path / "demo"
    write_run(run, dump_yaml(load_config("demo")), final=12.5, wasserstein=False, wall_s=60.0, warnings=[])
    write_png(run / "sample.png", 7)  # 32 px wide
    page = parse(build_report([tmp_path], tmp_path / "report.html").path)
    text = "".join(page.text)
    alts = [img["alt"] for img in page.images]
    assert "fd_domain over training" in alts and "final fd_domain" not in alts
    sheet = next(img for img in page.images if img["alt"] == "demo samples")
    assert sheet["width"] == "64"
    assert "1 run in 1 model" in text and "1 runs" not in text
    assert "final fd_domain (↓; 100 samples)" in text and "best periodic fd_domain (100 samples)" in text
    assert "periodic evaluations on 100 samples" in text and "over repeats" not in text
    assert "Metrics over training" in text and "final metrics" not in text and "Wasserstein" not in text
