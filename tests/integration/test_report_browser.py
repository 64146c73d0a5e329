"""The report of real tiny runs: every run, table and image in the HTML, and a headless Chromium screenshot."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.cli_helpers import run_cli
from tests.integration.study_helpers import GP, tiny_study

from ganlab.studies import parse_study, plan_study, run_study

pytestmark = pytest.mark.slow
HEADER_RGB = (0x2D, 0x4A, 0x6B)  # table header colour in report/style.css
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 2 x 2 study (loss x generator width), 2 seeds each, with periodic evaluation: 8 real runs."""
    axes = {"loss": [{"name": "gan"}, {"name": "wgan-gp", "set": GP}], "model.g_hidden": [[16], [32]]}
    data = tiny_study("tiny-report", repeats=2, axes=axes)
    data["set"].pop("model.g_hidden")
    data["set"].update({"eval.every": 2, "eval.metrics": ["w1_exact"], "eval.samples": 64})
    out = tmp_path_factory.mktemp("report") / "study"
    run_study(plan_study(parse_study(data), out, workers=1), device="cpu")
    yield out


class Inventory(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, int] = {}
        self.images: list[str] = []
        self.sources: list[str] = []
        self.text = ""
        self._table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = 0
        elif tag == "tr" and self._table is not None:
            self.tables[self._table] += 1
        elif tag == "img":
            self.images.append(a.get("alt", ""))
        self.sources += [a[k] for k in ("src", "href") if k in a]

    def handle_endtag(self, tag: str) -> None:
        self._table = None if tag == "table" else self._table

    def handle_data(self, data: str) -> None:
        self.text += data


def test_report_holds_every_run_table_and_image(study_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html_path = study_dir.parent / "report.html"
    code, out, err = run_cli(capsys, "report", str(study_dir), "-o", str(html_path))
    assert code == 0, err
    assert "claims of study tiny-report (full scale)" in out and "wgan-gp beats gan" in out
    assert out.count("[g_hidden-16]") + out.count("[model.g_hidden=g_hidden-16]") >= 1
    page = Inventory()
    page.feed(html_path.read_text(encoding="utf-8"))
    runs = sorted(p.name for p in study_dir.iterdir() if (p / "config.yaml").is_file())
    assert len(runs) == 8
    assert all(name in page.text for name in runs)
    assert page.tables["runs"] == 1 + 8 and page.tables["models"] == 1 + 4 and page.tables["claims"] == 1 + 2
    assert page.tables["times"] == 1 + 2  # loss x width grid, like seed 000 Table 2
    assert page.tables["samples"] == 1 + 4
    assert "w1_exact over training" in page.images and "final w1_exact" in page.images
    assert "Wasserstein estimates" in page.images
    assert sum(alt.startswith("losses of") for alt in page.images) == 4
    assert all(s.startswith(("data:image/png;base64,", "#")) for s in page.sources)  # nothing fetched


def test_chromium_renders_the_report(study_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "headless Chromium is part of the test set-up: apt-get install -y chromium"
    html_path = tmp_path / "report.html"
    assert run_cli(capsys, "report", str(study_dir), "-o", str(html_path))[0] == 0
    shot = tmp_path / "shot.png"
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
               "--window-size=1280,2000", html_path.resolve().as_uri()]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)
    assert pixels.shape == (2000, 1280, 3)
    assert pixels.std() > 20  # not a blank page
    assert (pixels.sum(axis=2) < 600).mean() > 0.05  # plenty of non-white: text, tables, plots
    header = np.all(np.abs(pixels - np.array(HEADER_RGB)) <= 3, axis=2)
    assert header.sum() > 2000  # the tables' header rows are on screen
