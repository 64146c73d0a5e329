"""IDX parsing (MNIST, Fashion-MNIST): the real files, hand-written files, broken files, and the search order."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.config.schema import DataConfig
from ganlab.data import Dataset, idx, load_dataset, locate
from ganlab.errors import DataError


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """An IDX file written independently of the parser: magic, dims, then the raw bytes."""
    return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def write_idx_split(directory: Path, split: str, images: np.ndarray, labels: np.ndarray, gz: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stem, payload in zip(idx.FILES[split], (idx_bytes(images, 2051), idx_bytes(labels, 2049)), strict=True):
        path = directory / (f"{stem}.gz" if gz else stem)
        path.write_bytes(gzip.compress(payload) if gz else payload)


def tiny(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def test_real_fashion_mnist_train_split(fashion_train: Dataset) -> None:
    assert fashion_train.x.shape == (60000, 1, 28, 28) and fashion_train.x.dtype == torch.uint8
    assert fashion_train.labels is not None and fashion_train.labels.dtype == torch.int64
    torch.testing.assert_close(torch.bincount(fashion_train.labels), torch.full((10,), 6000))
    assert fashion_train.num_classes == 10 and fashion_train.kind == "image"


def test_real_fashion_mnist_test_split(fashion_test: Dataset) -> None:
    assert fashion_test.x.shape == (10000, 1, 28, 28)
    assert fashion_test.labels is not None
    torch.testing.assert_close(torch.bincount(fashion_test.labels), torch.full((10,), 1000))


@pytest.mark.parametrize("gz", [True, False])
def test_hand_written_idx_loads_as_mnist(isolated: Path, gz: bool) -> None:
    images, labels = tiny()
    write_idx_split(isolated / "m", "train", images, labels, gz)
    data = load_dataset(DataConfig(name="mnist", root=str(isolated / "m"), download=False))
    torch.testing.assert_close(data.x, torch.from_numpy(images).unsqueeze(1))
    torch.testing.assert_close(data.labels, torch.from_numpy(labels).long())
    assert data.source == str(isolated / "m")


def test_torchvision_layout_under_root_is_found(isolated: Path) -> None:
    write_idx_split(isolated / "r" / "MNIST" / "raw", "test", *tiny(3), gz=True)
    data = load_dataset(DataConfig(name="mnist", root=str(isolated / "r"), download=False), "test")
    assert len(data) == 3


def test_ganlab_data_env_subdirectory_is_searched(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_idx_split(isolated / "env" / "mnist", "train", *tiny(4), gz=False)
    monkeypatch.setenv("GANLAB_DATA", str(isolated / "env"))
    assert len(load_dataset(DataConfig(name="mnist", download=False))) == 4


def test_truncated_idx_names_the_file_and_expected_length(isolated: Path) -> None:
    write_idx_split(isolated / "m", "train", *tiny(), gz=False)
    path = isolated / "m" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: \d+ bytes, expected \d+ .*truncated"):
        load_dataset(DataConfig(name="mnist", root=str(isolated / "m"), download=False))


def test_truncated_gzip_names_the_file(isolated: Path) -> None:
    write_idx_split(isolated / "m", "train", *tiny(), gz=True)
    path = isolated / "m" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        load_dataset(DataConfig(name="mnist", root=str(isolated / "m"), download=False))


def test_wrong_magic_names_the_file(isolated: Path) -> None:
    images, labels = tiny()
    write_idx_split(isolated / "m", "train", images, labels, gz=False)
    (isolated / "m" / "train-images-idx3-ubyte").write_bytes(idx_bytes(images, 2049))  # the labels' magic
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: IDX magic number 2049, expected 2051"):
        load_dataset(DataConfig(name="mnist", root=str(isolated / "m"), download=False))


def test_label_count_must_match_images(isolated: Path) -> None:
    images, labels = tiny(5)
    write_idx_split(isolated / "m", "train", images, labels[:4], gz=False)
    with pytest.raises(DataError, match="4 labels, expected 5"):
        load_dataset(DataConfig(name="mnist", root=str(isolated / "m"), download=False))


def test_missing_dataset_lists_every_place_looked(isolated: Path) -> None:
    with pytest.raises(DataError) as caught:
        load_dataset(DataConfig(name="fashion-mnist", root=str(isolated / "nowhere"), download=False))
    message = str(caught.value)
    assert "\n" not in message
    for place in (
        str(isolated / "nowhere"),
        "$GANLAB_DATA (unset)",
        str(isolated / "system" / "fashion-mnist"),
        str(isolated / "home" / ".cache" / "ganlab" / "fashion-mnist"),
        "data.download=false",
        "apt-get install -y dataset-fashion-mnist",
    ):
        assert place in message


def test_failed_download_is_reported_not_raised_raw(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(name: str):  # type: ignore[no-untyped-def]
        def run(target: Path) -> None:
            raise OSError("network is unreachable")

        return run

    monkeypatch.setattr(idx, "fetch", offline)
    with pytest.raises(DataError, match="torchvision download into .*failed: OSError: network is unreachable"):
        load_dataset(DataConfig(name="mnist", download=True))


def test_system_directory_is_searched(isolated: Path) -> None:
    write_idx_split(locate.SYSTEM_DATA / "mnist", "train", *tiny(2), gz=True)
    assert load_dataset(DataConfig(name="mnist", download=False)).source == str(locate.SYSTEM_DATA / "mnist")
