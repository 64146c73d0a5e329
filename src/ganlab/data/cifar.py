"""CIFAR-10 from its python batches (`cifar-10-batches-py/data_batch_1..5`, `test_batch`).

The batches are pickles, and unpickling runs whatever code a pickle names. They are read with an unpickler that
refuses every global except the few numpy names an ndarray needs, so a tampered file fails instead of running.
"""

from __future__ import annotations

import codecs
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ganlab.config.schema import DataConfig
from ganlab.data import locate
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo
from ganlab.errors import DataError

NAME = "cifar10"
NUM_CLASSES = 10
NATIVE_SHAPE = (3, 32, 32)
ROW_BYTES = 3 * 32 * 32  # one image per row: 1024 red, then 1024 green, then 1024 blue bytes
FOLDER = "cifar-10-batches-py"  # what the official archive (and torchvision's download) unpacks to
FILES: dict[str, tuple[str, ...]] = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
HOW = (
    "set data.root or $GANLAB_DATA to a directory holding cifar-10-batches-py/ (the python version of CIFAR-10), "
    "or allow data.download=true where a network exists"
)


def latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` limited to latin-1: how Python 3 writes bytes in pickle protocols 0-2."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


# The only globals a CIFAR batch may name: numpy's ndarray reconstruction (old and numpy-2 module paths).
ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
    ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in ALLOWED, so no other code can run while loading."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (n, 3072) and labels int64 (n,) of one batch file, refusing anything but plain data."""
    try:
        with path.open("rb") as file:
            # encoding="bytes": the official batches are Python 2 pickles whose keys are byte strings
            batch = RestrictedUnpickler(file, encoding="bytes").load()
    except Exception as err:  # a malformed pickle can raise almost any type (KeyError, IndexError, ...)
        raise DataError(f"{path}: not a readable CIFAR-10 batch ({err})") from err
    if not isinstance(batch, dict):
        raise DataError(f"{path}: expected a dict with b'data' and b'labels', got {type(batch).__name__}")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != ROW_BYTES:
        got = f"{data.dtype} {list(data.shape)}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path}: b'data' must be uint8 (n, {ROW_BYTES}), got {got}")
    try:
        label_array = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as err:
        raise DataError(f"{path}: b'labels' must be a list of integers ({err})") from err
    if label_array.shape != (len(data),) or (
        len(data) and not (0 <= label_array.min() <= label_array.max() < NUM_CLASSES)
    ):
        raise DataError(f"{path}: b'labels' must be {len(data)} integers in 0..{NUM_CLASSES - 1}")
    return data, label_array


def serves(split: Split) -> Callable[[Path], bool]:
    """Whether a directory holds every batch file of `split`."""
    return lambda directory: all((directory / name).is_file() for name in FILES[split])


def fetch(target: Path) -> None:
    """Download and unpack the official archive into `target` (checksum from torchvision)."""
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import download_and_extract_archive

    download_and_extract_archive(CIFAR10.url, target, filename=CIFAR10.filename, md5=CIFAR10.tgz_md5)


def find(root: str | None, split: Split) -> locate.Search:
    """Where the batches of `split` are, without downloading."""
    return locate.search(NAME, root, serves(split), layouts=("", FOLDER))


@DATASETS.register(NAME)
def load_cifar10(cfg: DataConfig, split: Split) -> Dataset:
    """The whole split as uint8 (N, 3, 32, 32) with int64 labels."""
    import torch

    result = find(cfg.root, split)
    if result.found is None and cfg.download:
        locate.try_download(NAME, fetch, lambda d: serves(split)(d / FOLDER), result)
        if result.found is not None:
            result.found = result.found / FOLDER
    if result.found is None:
        raise locate.missing(NAME, f"batch files ({', '.join(FILES[split])})", result, cfg.download, HOW)
    parts = [read_batch(result.found / name) for name in FILES[split]]
    data = np.concatenate([images for images, _ in parts])
    labels = np.concatenate([labels for _, labels in parts])
    x = torch.from_numpy(np.ascontiguousarray(data)).view(-1, *NATIVE_SHAPE)  # (N, 3, 32, 32)
    return Dataset(NAME, "image", x, torch.from_numpy(labels), NUM_CLASSES, str(result.found))


def where(root: str | None) -> str | None:
    """The directory serving the train split, if any."""
    found = find(root, "train").found
    return None if found is None else str(found)


INFO.add(NAME, DatasetInfo("image", NATIVE_SHAPE, NUM_CLASSES, HOW, where))
