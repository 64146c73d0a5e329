"""CIFAR-10 batches: the real pickle format loads; a crafted pickle is refused without running; bad shapes fail."""

from __future__ import annotations

import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.config.schema import DataConfig
from ganlab.data import cifar, load_dataset
from ganlab.errors import DataError

ROWS = 4  # images per batch here; the real batches hold 10 000


def write_batch(path: Path, seed: int, rows: int = ROWS, data: object = None) -> tuple[np.ndarray, list[int]]:
    """A batch in the official layout: a protocol-2 pickle of {b'data': uint8 (n, 3072), b'labels': [...]}."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (rows, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, rows)]
    with path.open("wb") as file:
        pickle.dump(
            {b"batch_label": b"x", b"data": images if data is None else data, b"labels": labels}, file, protocol=2
        )
    return images, labels


def write_cifar(root: Path) -> dict[str, tuple[np.ndarray, list[int]]]:
    folder = root / cifar.FOLDER
    folder.mkdir(parents=True)
    names = [*cifar.FILES["train"], *cifar.FILES["test"]]
    return {name: write_batch(folder / name, seed) for seed, name in enumerate(names)}


class Python2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 `str` opcodes, as in the official batches (made with Python 2 and numpy 1)."""

    def save_bytes(self, obj: bytes) -> None:
        n = len(obj)
        self.write(
            pickle.SHORT_BINSTRING + bytes([n]) + obj if n < 256 else pickle.BINSTRING + struct.pack("<i", n) + obj
        )
        self.memoize(obj)

    def save_str(self, obj: str) -> None:
        self.save_bytes(obj.encode("latin1"))

    dispatch = {**pickle._Pickler.dispatch, bytes: save_bytes, str: save_str}  # type: ignore[attr-defined]


class WritesAFile:
    """Unpickling this would create `target`: what a tampered dataset file could do."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.target}",))


def test_real_format_batches_load(isolated: Path) -> None:
    written = write_cifar(isolated)
    data = load_dataset(DataConfig(name="cifar10", root=str(isolated), download=False))
    assert data.x.shape == (5 * ROWS, 3, 32, 32) and data.x.dtype == torch.uint8
    first_images, first_labels = written["data_batch_1"]
    # row layout: 1024 red, 1024 green, 1024 blue values, each row-major 32 x 32
    torch.testing.assert_close(data.x[0, 1], torch.from_numpy(first_images[0, 1024:2048].reshape(32, 32)))
    assert data.labels is not None
    assert data.labels[:ROWS].tolist() == first_labels and data.num_classes == 10
    test = load_dataset(DataConfig(name="cifar10", root=str(isolated / cifar.FOLDER), download=False), "test")
    assert test.labels is not None and test.labels.tolist() == written["test_batch"][1]


def test_python2_batches_with_numpy1_names_load(isolated: Path) -> None:
    images = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump({"data": images, "labels": [3, 7]})
    # numpy 1 named the reconstructor numpy.core.multiarray, as the official files do
    payload = buffer.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"numpy.core.multiarray\n_reconstruct" in payload
    (isolated / "test_batch").write_bytes(payload)
    data = load_dataset(DataConfig(name="cifar10", root=str(isolated), download=False), "test")
    torch.testing.assert_close(data.x.reshape(2, -1), torch.from_numpy(images))
    assert data.labels is not None and data.labels.tolist() == [3, 7]


def test_malicious_pickle_is_refused_and_does_not_run(isolated: Path) -> None:
    write_cifar(isolated)
    target = isolated / "pwned"
    with (isolated / cifar.FOLDER / "data_batch_3").open("wb") as file:
        pickle.dump({b"data": WritesAFile(target), b"labels": [0]}, file, protocol=2)
    with pytest.raises(DataError, match=r"data_batch_3: .*refused global (posix|os|nt)\.system"):
        load_dataset(DataConfig(name="cifar10", root=str(isolated), download=False))
    assert not target.exists()


def test_codecs_other_than_latin1_are_refused(isolated: Path) -> None:
    folder = isolated / cifar.FOLDER
    folder.mkdir()
    path = folder / "test_batch"
    # _codecs.encode is allowed only for latin-1, the way Python 3 writes bytes in protocol 2
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(DataError, match="test_batch: .*encoding 'rot13'"):
        cifar.read_batch(path)


@pytest.mark.parametrize("bad", [np.zeros((ROWS, 3071), np.uint8), np.zeros((ROWS, 3072), np.int32), [1, 2, 3]])
def test_wrong_shape_names_the_file(isolated: Path, bad: object) -> None:
    write_cifar(isolated)
    write_batch(isolated / cifar.FOLDER / "data_batch_2", seed=9, data=bad)
    with pytest.raises(DataError, match=r"data_batch_2: b'data' must be uint8 \(n, 3072\)"):
        load_dataset(DataConfig(name="cifar10", root=str(isolated), download=False))


def test_labels_out_of_range_fail(isolated: Path) -> None:
    write_cifar(isolated)
    path = isolated / cifar.FOLDER / "test_batch"
    with path.open("wb") as file:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, file, protocol=2)
    with pytest.raises(DataError, match="test_batch: b'labels' must be 2 integers in 0..9"):
        load_dataset(DataConfig(name="cifar10", root=str(isolated), download=False), "test")


def test_missing_cifar_says_where_it_looked(isolated: Path) -> None:
    with pytest.raises(DataError, match=r"cifar10: no batch files .* looked in .*\.cache/ganlab/cifar10"):
        load_dataset(DataConfig(name="cifar10", download=False))
