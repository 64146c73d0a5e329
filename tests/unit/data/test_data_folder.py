"""The `folder` dataset: classes from sub-folders, unlabelled folders, unreadable files, sizes, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset
from ganlab.errors import ConfigError, DataError, GanlabWarning


def save(path: Path, size: tuple[int, int] = (6, 4), mode: str = "RGB", value: int = 0) -> np.ndarray:
    """Write a constant-free image (a ramp plus `value`) and return its pixels as read back (H, W[, 3])."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    ramp = (np.arange(w * h).reshape(h, w) * 7 + value) % 256
    pixels = np.stack([ramp, 255 - ramp, ramp // 2], axis=2) if mode == "RGB" else ramp
    Image.fromarray(pixels.astype(np.uint8), mode).save(path)
    return np.array(Image.open(path).convert(mode))


def test_sub_folders_are_sorted_classes(tmp_path: Path) -> None:
    save(tmp_path / "zebra" / "a.png", value=1)
    save(tmp_path / "apple" / "b.png", value=2)
    save(tmp_path / "apple" / "nested" / "c.bmp", value=3)
    save(tmp_path / "loose.png", value=4)  # ignored: with sub-folders only they hold samples
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path)))
    assert data.x.shape == (3, 3, 4, 6) and data.num_classes == 2
    assert data.labels is not None and data.labels.tolist() == [0, 0, 1]


def test_flat_folder_is_unlabelled_and_exact(tmp_path: Path) -> None:
    first = save(tmp_path / "1.png", value=5)
    save(tmp_path / "2.webp", value=6, mode="RGB")
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path)))
    assert data.labels is None and data.num_classes == 0
    torch.testing.assert_close(data.x[0], torch.from_numpy(first).permute(2, 0, 1))


def test_all_grayscale_stays_one_channel_mixed_becomes_rgb(tmp_path: Path) -> None:
    gray = save(tmp_path / "g" / "1.png", mode="L", value=9)
    save(tmp_path / "g" / "2.gif", mode="L")
    assert load_dataset(DataConfig(name="folder", root=str(tmp_path / "g"))).x.shape == (2, 1, 4, 6)
    save(tmp_path / "g" / "3.jpg", mode="RGB")
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path / "g")))
    assert data.x.shape == (3, 3, 4, 6)
    torch.testing.assert_close(data.x[0], torch.from_numpy(gray).expand(3, -1, -1))


def test_unreadable_file_is_skipped_with_a_counted_warning(tmp_path: Path) -> None:
    save(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    save(tmp_path / "c.png")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file.*b\.png"):
        data = load_dataset(DataConfig(name="folder", root=str(tmp_path)))
    assert len(data) == 2


def test_all_unreadable_or_empty_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no image files"):
        load_dataset(DataConfig(name="folder", root=str(tmp_path / "empty")))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(DataError, match="all 1 image files are unreadable"):
        load_dataset(DataConfig(name="folder", root=str(tmp_path / "bad")))


def test_differing_sizes_need_a_resolution(tmp_path: Path) -> None:
    save(tmp_path / "a.png", size=(6, 4))
    save(tmp_path / "b.png", size=(8, 8))
    with pytest.raises(DataError, match=r"a\.png is 6x4 but .*b\.png is 8x8.*data\.resolution"):
        load_dataset(DataConfig(name="folder", root=str(tmp_path)))
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path), resolution=4))
    assert data.x.shape == (2, 3, 4, 4)


def test_subset_decodes_only_what_it_needs(tmp_path: Path) -> None:
    for i in range(3):
        save(tmp_path / f"{i}.png", value=i)
    (tmp_path / "9.png").write_bytes(b"broken, but never reached")
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path), subset=2))
    assert len(data) == 2
    with pytest.warns(UserWarning, match="skipped 1"):
        test = load_dataset(DataConfig(name="folder", root=str(tmp_path), subset=2), "test")
    assert len(test) == 3  # subset is for training only; the test split is the same folder


def test_folder_needs_a_root(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="data.root"):
        load_dataset(DataConfig(name="folder"))
    with pytest.raises(DataError, match="is not a directory"):
        load_dataset(DataConfig(name="folder", root=str(tmp_path / "missing")))


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path: Path) -> None:
    """A 16-bit gray PNG spans 0..65535: 8 bits are v / 257 (so 65535 is 255 and mid-gray stays mid-gray), not
    min(v, 255) as PIL's convert("L") gives, which turns every pixel above 255 white."""
    wide = np.array([[0, 257, 32896], [40000, 65278, 65535]], dtype=np.uint16)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    assert Image.open(tmp_path / "wide.png").mode.startswith("I")  # PIL opens it as a 16-bit mode
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path)))
    expected = np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
    assert data.x.shape == (1, 1, 2, 3)
    assert data.x[0, 0].tolist() == expected.tolist() == [[0, 1, 128], [156, 254, 255]]


def test_a_folder_of_mostly_unreadable_files_is_refused(tmp_path: Path) -> None:
    save(tmp_path / "a.png")
    for name in ("b.png", "c.jpg"):
        (tmp_path / name).write_bytes(b"not an image")
    with pytest.raises(DataError, match=r"2 of 3 image files under .* are unreadable \(first: .*b\.png"):
        load_dataset(DataConfig(name="folder", root=str(tmp_path)))


def test_images_much_smaller_than_the_resolution_are_counted_once(tmp_path: Path, recwarn) -> None:
    save(tmp_path / "big.png", size=(32, 32))
    for i in range(3):
        save(tmp_path / f"tiny{i}.png", size=(8, 6))
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path), resolution=32))
    assert data.x.shape == (4, 3, 32, 32)
    lines = [str(w.message) for w in recwarn.list if issubclass(w.category, GanlabWarning)]
    assert len(lines) == 1 and "3 of 4 images" in lines[0] and "data.resolution=32" in lines[0]
    assert "tiny0.png (8x6)" in lines[0]


def test_the_cli_shows_a_data_warning_as_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ganlab.cli import main

    for i in range(3):
        save(tmp_path / "imgs" / f"{i}.png", size=(8, 8), value=i)
    (tmp_path / "imgs" / "bad.png").write_bytes(b"broken")
    sets = ["data.name=folder", f"data.root={tmp_path / 'imgs'}", "data.resolution=28", "train.steps=1"]
    sets += ["train.batch_size=2", "model.generator=mlp", "model.discriminator=mlp", "model.g_hidden=[8]"]
    sets += ["model.d_hidden=[8]", "log.tensorboard=false", "eval.every=0", "log.sample_every=0"]
    main(["train", "gan", *(a for s in sets for a in ("--set", s)), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "UserWarning" not in err and "warnings.warn" not in err
    assert err.count("ganlab: warning: folder: skipped 1 unreadable image file(s)") == 1
    assert err.count("ganlab: warning: folder: 3 of 3 images") == 1
