"""`ganlab data list` rows and `ganlab data check` results."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganlab.data import DATASETS, check_dataset, describe_datasets
from ganlab.errors import ConfigError, DataError


def test_describe_lists_every_registered_dataset() -> None:
    rows = {row["name"]: row for row in describe_datasets()}
    assert set(rows) == set(DATASETS.names())
    assert rows["digits"]["available"] and rows["digits"]["shape"] == [1, 8, 8] and rows["digits"]["classes"] == 10
    assert rows["8gaussians"]["kind"] == "points" and rows["8gaussians"]["where"] == "generated"
    assert rows["stacked-fashion-mnist"]["classes"] == 1000
    assert all(row["how"] for row in rows.values())


def test_describe_reports_missing_sets_without_downloading(isolated: Path) -> None:
    rows = {row["name"]: row for row in describe_datasets()}
    assert rows["fashion-mnist"]["available"] is False and rows["fashion-mnist"]["where"] is None
    assert "apt-get install -y dataset-fashion-mnist" in rows["fashion-mnist"]["how"]


def test_check_loads_both_splits() -> None:
    result = check_dataset("digits")
    assert (result["train"], result["test"], result["shape"]) == (1437, 360, [1, 8, 8])


def test_check_missing_raises_one_line(isolated: Path) -> None:
    with pytest.raises(DataError, match=r"^mnist: no IDX files .*looked in [^\n]*$"):
        check_dataset("mnist")
    with pytest.raises(ConfigError, match="data.name"):
        check_dataset("imagenet")


def test_check_folder_uses_root(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (5, 5)).save(tmp_path / "a.png")
    result = check_dataset("folder", root=str(tmp_path))
    assert result["train"] == result["test"] == 1 and result["where"] == str(tmp_path)
