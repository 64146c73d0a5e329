"""Every file written for the user appears whole or not at all, and a failure names the user's path
(issue 17: every write atomic)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from ganlab import atomic
from ganlab.viz.grids import save_image_grid


def full_disk(path: Path) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


def test_a_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "eval.json"
    atomic.write_text(target, "old\n")
    atomic.write_text(target, "new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["eval.json"]


def test_a_failed_write_keeps_the_old_file_removes_the_temporary_and_names_the_users_path(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    atomic.write_text(target, "<p>old</p>")

    def half_then_full(tmp: Path) -> None:
        tmp.write_text("<p>ha")
        full_disk(tmp)

    with pytest.raises(OSError) as caught:
        atomic.write_with(target, half_then_full)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert target.read_text() == "<p>old</p>" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_interrupt_mid_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    def interrupted(tmp: Path) -> None:
        tmp.write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_with(tmp_path / "grid.png", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_sample_grids_go_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = torch.rand(4, 1, 8, 8) * 2 - 1
    save_image_grid(images, tmp_path / "sample.png")
    before = (tmp_path / "sample.png").read_bytes()
    monkeypatch.setattr(atomic, "fsync_file", full_disk)
    with pytest.raises(OSError) as caught:
        save_image_grid(-images, tmp_path / "sample.png")
    assert caught.value.filename == str(tmp_path / "sample.png")
    assert (tmp_path / "sample.png").read_bytes() == before and len(list(tmp_path.iterdir())) == 1
