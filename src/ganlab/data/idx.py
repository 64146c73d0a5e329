"""MNIST and Fashion-MNIST from their IDX files (raw or gzip), parsed with numpy.frombuffer.

IDX layout (LeCun's format): a big-endian uint32 magic number whose low byte is the number of dimensions and
whose third byte is the element type (0x08 = unsigned byte), one big-endian uint32 per dimension, then the data.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganlab.config.schema import DataConfig
from ganlab.data import locate
from ganlab.data.base import DATASETS, Dataset, Loader, Split
from ganlab.data.catalog import INFO, DatasetInfo
from ganlab.errors import DataError

if TYPE_CHECKING:
    import torch

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension (N,)
NUM_CLASSES = 10
NATIVE_SHAPE = (1, 28, 28)
GZIP_MAGIC = b"\x1f\x8b"
FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# torchvision's class names: its download layout <root>/<Class>/raw is accepted as a data.root too.
TORCHVISION_CLASS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}
HOW = {
    "fashion-mnist": "get it with `apt-get install -y dataset-fashion-mnist`, or set data.root or $GANLAB_DATA "
    "to a directory holding the IDX files, or allow data.download=true where a network exists",
    "mnist": "set data.root or $GANLAB_DATA to a directory holding the IDX files (train-images-idx3-ubyte.gz, ...), "
    "or allow data.download=true where a network exists",
}


def idx_file(directory: Path, stem: str) -> Path | None:
    """`stem` or `stem.gz` in `directory` (the uncompressed one first: no decompression needed)."""
    for path in (directory / stem, directory / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def serves(split: Split) -> Callable[[Path], bool]:
    """Whether a directory holds both IDX files of `split`."""
    return lambda directory: all(idx_file(directory, stem) is not None for stem in FILES[split])


def read_bytes(path: Path) -> bytes:
    """The content of `path`, gunzipped when it starts with the gzip magic bytes."""
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot be read as a gzip'd or raw IDX file ({err})") from err


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array of one IDX file, after checking its magic number and that its length matches its header."""
    raw = read_bytes(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: {len(raw)} bytes, shorter than the {header}-byte IDX header (truncated?)")
    got_magic, *dims = struct.unpack(f">{1 + ndim}I", raw[:header])
    if got_magic != magic:
        raise DataError(f"{path}: IDX magic number {got_magic}, expected {magic} (uint8 with {ndim} dimension(s))")
    expected = header + math.prod(dims)
    if len(raw) != expected:
        raise DataError(f"{path}: {len(raw)} bytes, expected {expected} for dimensions {dims} (truncated or corrupt)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_split(directory: Path, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
    """Images uint8 (N, 1, H, W) and labels int64 (N,) of one split in `directory`."""
    import torch

    images_path, labels_path = (idx_file(directory, stem) for stem in FILES[split])
    assert images_path is not None and labels_path is not None  # `serves` checked both
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) == 0 or 0 in images.shape[1:]:
        raise DataError(f"{images_path}: empty image dimensions {list(images.shape)}")
    if len(labels) != len(images):
        raise DataError(
            f"{labels_path}: {len(labels)} labels, expected {len(images)} (one per image in {images_path.name})"
        )
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{labels_path}: label {int(labels.max())}, expected 0..{NUM_CLASSES - 1}")
    # copy: frombuffer views immutable bytes, and torch wants writable memory
    x = torch.from_numpy(images.copy()).unsqueeze(1)  # (N, 1, H, W)
    return x, torch.from_numpy(labels.astype(np.int64))


def fetch(name: str) -> Callable[[Path], None]:
    """A download function for the cache directory, using torchvision's mirrors and checksums."""

    def run(target: Path) -> None:
        from torchvision.datasets import MNIST, FashionMNIST
        from torchvision.datasets.utils import download_and_extract_archive

        source = FashionMNIST if name == "fashion-mnist" else MNIST
        for filename, md5 in source.resources:
            errors: list[str] = []
            for mirror in source.mirrors:
                try:
                    download_and_extract_archive(f"{mirror}{filename}", target, filename=filename, md5=md5)
                    break
                except Exception as err:  # try the next mirror; report all if none works
                    errors.append(f"{mirror}: {err}")
            else:
                raise OSError("; ".join(errors))

    return run


def find(name: str, root: str | None, split: Split) -> locate.Search:
    """Where the IDX files of `name`'s `split` are, without downloading."""
    layouts = ("", f"{TORCHVISION_CLASS[name]}/raw")
    return locate.search(name, root, serves(split), layouts, system=True)


def idx_loader(name: str) -> Loader:
    """The loader of one IDX dataset: the whole split as uint8 (N, 1, 28, 28) with int64 labels."""

    def load(cfg: DataConfig, split: Split) -> Dataset:
        result = find(name, cfg.root, split)
        if result.found is None and cfg.download:
            locate.try_download(name, fetch(name), serves(split), result)
        if result.found is None:
            what = f"IDX files ({' and '.join(f'{s}[.gz]' for s in FILES[split])})"
            raise locate.missing(name, what, result, cfg.download, HOW[name])
        x, labels = read_split(result.found, split)
        return Dataset(name, "image", x, labels, NUM_CLASSES, str(result.found))

    return load


def where(name: str) -> Callable[[str | None], str | None]:
    """The `data list` locator of an IDX dataset: the directory serving its train split, if any."""

    def find_train(root: str | None) -> str | None:
        found = find(name, root, "train").found
        return None if found is None else str(found)

    return find_train


for _name in ("fashion-mnist", "mnist"):
    DATASETS.add(_name, idx_loader(_name))
    INFO.add(_name, DatasetInfo("image", NATIVE_SHAPE, NUM_CLASSES, HOW[_name], where(_name)))
