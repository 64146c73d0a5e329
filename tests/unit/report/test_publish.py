"""`ganlab report --publish`: records copied without checkpoints, a page rendered from the records alone that
rebuilds identically, and a page that no longer matches its records is caught; toy records published with their
claims judged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import make_study

from ganlab.cli import main
from ganlab.report.publish import RECORD_FILES, publish, rebuilt


@pytest.fixture
def published(tmp_path: Path) -> Path:
    root = make_study(tmp_path / "runs", {"gan": [40.0, 44.0, 42.0], "wgan": [20.0, 23.0, 21.0]})
    for run in (root / "study").glob("*-seed*"):
        (run / "checkpoints").mkdir()
        (run / "checkpoints" / "weights.safetensors").write_bytes(b"x" * 100)
    out = tmp_path / "results"
    (done,) = publish([root / "study"], out).studies
    assert done.study == "mini"
    return out


def test_records_hold_only_the_small_files(published: Path) -> None:
    records = published / "mini" / "records"
    assert (records / "study.json").is_file()
    runs = sorted(p for p in records.iterdir() if p.is_dir())
    assert [p.name for p in runs] == [f"{c}-seed{s}" for c in ("gan", "wgan") for s in range(3)]
    for run in runs:
        assert {p.name for p in run.iterdir()} <= set(RECORD_FILES)
        assert (run / "config.yaml").is_file() and (run / "eval.jsonl").is_file()
    assert not list(records.rglob("*.safetensors")) and not list(records.rglob("*.png"))


def test_the_page_holds_verdicts_numbers_figures_and_rebuilds_from_records(published: Path) -> None:
    page = (published / "mini.md").read_text()
    assert "| **supported** | wgan beats gan | seed 000 §5.2 |" in page
    assert "Holm p" in page and "g = " in page and "## What differs from the source" in page
    assert "![fd_domain-over-training](mini/fd_domain-over-training.png)" in page
    assert (published / "mini" / "fd_domain-over-training.png").stat().st_size > 1000
    assert "![gan](mini/samples/gan.png)" in page  # the last fixed-noise grid of each cell's first repeat
    index = (published / "README.md").read_text()
    assert "| [mini](mini.md) | wgan beats gan | seed 000 §5.2 | **supported** |" in index
    for path, text in rebuilt(published).items():
        assert path.read_text() == text, path
    before = {p: p.read_bytes() for p in (published / "mini.md", published / "README.md")}
    publish([published / "mini" / "records"], published)  # from the records alone: the same pages
    assert before == {p: p.read_bytes() for p in before}


def test_a_page_that_disagrees_with_its_records_is_caught(published: Path) -> None:
    record = published / "mini" / "records" / "wgan-seed0" / "eval.json"
    data = json.loads(record.read_text())
    data["metrics"]["fd_domain"] = 95.0
    record.write_text(json.dumps(data))
    pages = rebuilt(published)
    assert pages[published / "mini.md"] != (published / "mini.md").read_text()


def test_cli_publishes_and_refuses_a_directory_without_a_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_study(tmp_path / "runs", {"gan": [40.0, 44.0, 42.0], "wgan": [20.0, 23.0, 21.0]})
    main(["report", str(root / "study"), "--publish", str(tmp_path / "results")])  # returns: exit 0
    out = capsys.readouterr().out
    assert "SUPPORTED" in out and "published mini:" in out and (tmp_path / "results" / "mini.md").is_file()
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as info:
        main(["report", str(tmp_path / "empty"), "--publish", str(tmp_path / "results")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "study.json" in err and "toy record" in err


def toy_record(directory: Path, gan_slope: float) -> Path:
    """A critic-1d record as `ganlab toy` writes it (numbers cut to what its claim reads), with its figure."""
    directory.mkdir(parents=True, exist_ok=True)
    slopes = {"relative_slope_at_probe": gan_slope, "relative_slope_at_minus_probe": gan_slope}
    critic = {"relative_slope_at_probe": 0.9, "relative_slope_at_minus_probe": 0.8}
    record = {
        "toy": "critic-1d",
        "summary": "GAN discriminator vs clipped WGAN critic",
        "source": "seed 000 Fig. 2",
        "quick": False,
        "overrides": {"iterations": 5000},
        "seed": 0,
        "seconds": 95.0,
        "torch_threads": 1,
        "settings": {"probe": 4.0},
        "figures": ["critic-1d.png"],
        "numbers": {"models": {"GAN": slopes, "WGAN (clip)": critic}},
    }
    (directory / "critic-1d.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = directory / "critic-1d.json"
    path.write_text(json.dumps(record))
    return path


def test_toy_records_are_published_with_their_claims_judged(published: Path, tmp_path: Path) -> None:
    toy_record(tmp_path / "toys-run", gan_slope=0.01)
    done = publish([tmp_path / "toys-run"], published)
    assert done.studies == [] and [(t.toy, [j.holds for j in t.judged]) for t in done.toys] == [("critic-1d", [True])]
    assert {p.name for p in (published / "toys").iterdir()} == {"critic-1d.json", "critic-1d.png"}
    index = (published / "README.md").read_text()
    assert "| [mini](mini.md) | wgan beats gan |" in index  # the studies stay in the index
    row = next(line for line in index.splitlines() if line.startswith("| critic-1d |"))
    assert (
        "**holds**" in row
        and "GAN 0.01, WGAN 0.8" in row
        and "full, except iterations=5000; seed 0; 2 min on 1 thread" in row
    )
    assert "[critic-1d.png](toys/critic-1d.png)" in row
    assert rebuilt(published)[published / "README.md"] == index
    before = index
    publish([published / "toys"], published)  # from the published records alone: the same index
    assert (published / "README.md").read_text() == before
    toy_record(published / "toys", gan_slope=0.5)  # a record whose numbers no longer show the claim
    assert "**does not hold**" in rebuilt(published)[published / "README.md"]


def test_a_session_note_in_the_records_is_shown_on_the_page(published: Path) -> None:
    records = published / "mini" / "records"
    index = json.loads((records / "study.json").read_text())
    env = {"commit": "1ed2df1b9e01", "cpu": "AMD EPYC", "cores": 2}
    index["timing"] = {
        "wall_s": 5400.0,
        "sessions": [
            {"started": "2026-12-07T11:21:50+0000", "wall_s": 3600.0, "workers": 2, "environment": env},
            {"started": "2026-12-07T14:22:48+0000", "wall_s": 1800.0, "workers": 2, "environment": env,
             "note": "retrained gan-seed0 on a quiet machine"},
        ],
    }  # fmt: skip
    (records / "study.json").write_text(json.dumps(index))
    publish([records], published)
    page = (published / "mini.md").read_text()
    assert "| wall time | 1.5 h measured over 2 session(s)" in page
    assert "| sessions | 2026-12-07 14:22, 30 min, 1ed2df1: retrained gan-seed0 on a quiet machine |" in page
