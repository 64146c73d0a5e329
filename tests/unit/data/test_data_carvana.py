"""Carvana preprocessing end to end on synthetic photos (JPEG) and palette GIF masks named like Kaggle's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset, prepare_carvana
from ganlab.data.carvana import MARKER, square_box
from ganlab.errors import DataError

W, H = 96, 64  # photos 3:2 like Carvana's 1918 x 1280
CARS = {"c1_01": (20, 10, 50, 40), "c1_02": (30, 20, 70, 50), "c2_01": (25, 15, 60, 45)}  # car boxes


def write_pair(images: Path, masks: Path, car_id: str, box: tuple[int, int, int, int]) -> None:
    """A red car on a green background, and its 1-bit palette GIF mask (black/white palette, like Carvana's)."""
    photo = np.zeros((H, W, 3), np.uint8)
    photo[:, :] = (0, 160, 0)
    left, top, right, bottom = box
    photo[top:bottom, left:right] = (200, 0, 0)
    Image.fromarray(photo).save(images / f"{car_id}.jpg", quality=95)
    mask = np.zeros((H, W), np.uint8)
    mask[top:bottom, left:right] = 1
    gif = Image.fromarray(mask, "P")
    gif.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
    gif.save(masks / f"{car_id}_mask.gif")


@pytest.fixture
def carvana_dirs(tmp_path: Path) -> tuple[Path, Path]:
    images, masks = tmp_path / "train", tmp_path / "train_masks"
    images.mkdir()
    masks.mkdir()
    for car_id, box in CARS.items():
        write_pair(images, masks, car_id, box)
    Image.new("RGB", (W, H)).save(images / "lonely.jpg")  # a photo without a mask
    return images, masks


def test_prepare_writes_masked_square_crops(tmp_path: Path, carvana_dirs: tuple[Path, Path]) -> None:
    out = tmp_path / "out"
    report = prepare_carvana(*carvana_dirs, out, size=16)
    # union of the car boxes: (20, 10)-(70, 50), 50 x 40 -> a 50-pixel square centred on it, inside the photo
    assert report["crop_box"] == [20, 5, 70, 55] and report["written"] == 3
    assert report["unmasked"] == 1 and report["unmasked_first"].endswith("lonely.jpg")
    assert sorted(p.name for p in out.glob("*.png")) == ["c1_01.png", "c1_02.png", "c2_01.png"]
    data = load_dataset(DataConfig(name="folder", root=str(out)))
    assert data.x.shape == (3, 3, 16, 16) and data.labels is None
    corner = data.x[:, :, 0, 0].int()  # (3, 3): outside every car in the crop -> white background
    torch.testing.assert_close(corner, torch.full((3, 3), 255, dtype=torch.int32), atol=2, rtol=0)
    car = data.x[1, :, 8, 8].int()  # c1_02's car covers the crop's centre: red, from the JPEG
    assert car[0] > 150 and car[1] < 60 and car[2] < 60
    assert load_dataset(DataConfig(name="carvana", root=str(out))).x.shape == (3, 3, 16, 16)


def test_crop_override_and_clamping() -> None:
    assert square_box((20, 10, 70, 50), (96, 64), 64) == (13, 0, 77, 64)  # shifted down to stay inside
    assert square_box((0, 0, 10, 10), (96, 64), None) == (0, 0, 10, 10)
    left, top, right, bottom = square_box((0, 0, 96, 64), (96, 64), None)  # taller than the photo: centred
    assert (right - left, bottom - top) == (96, 96) and top == -16


def test_refuses_a_foreign_non_empty_out_dir(tmp_path: Path, carvana_dirs: tuple[Path, Path]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.png").write_bytes(b"precious")
    with pytest.raises(DataError, match="not empty and was not written by"):
        prepare_carvana(*carvana_dirs, out)
    assert (out / "thesis.png").read_bytes() == b"precious"


def test_rerun_replaces_its_own_output(tmp_path: Path, carvana_dirs: tuple[Path, Path]) -> None:
    out = tmp_path / "out"
    prepare_carvana(*carvana_dirs, out, size=8)
    (carvana_dirs[0] / "c2_01.jpg").unlink()
    report = prepare_carvana(*carvana_dirs, out, size=8)
    assert report["written"] == 2 and sorted(p.name for p in out.iterdir()) == [MARKER, "c1_01.png", "c1_02.png"]


def test_no_pairs_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "a" / "x.jpg")
    with pytest.raises(DataError, match="no photo .* has a mask"):
        prepare_carvana(tmp_path / "a", tmp_path / "b", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_carvana_dataset_without_prepared_output_says_how(isolated: Path) -> None:
    with pytest.raises(DataError, match="ganlab data prepare carvana"):
        load_dataset(DataConfig(name="carvana", root=str(isolated)))
