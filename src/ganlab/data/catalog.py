"""What `ganlab data list` shows about each dataset: kind, native shape, classes, where it is, how to get it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ganlab.config.schema import DataConfig
from ganlab.registry import Registry


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about one registered dataset that need no loading."""

    kind: Literal["image", "points"]
    shape: tuple[int, ...] | None  # one native sample: (C, H, W) or (D,); None when it depends on the files
    num_classes: int | None  # 0 when unlabelled; None when it depends on the files
    how: str  # one line on how to get it
    locate: Callable[[str | None], str | None]  # root -> where it is available here without downloading, or None
    held_out: bool = True  # False when the test split is the train split again (folders of images)


INFO: Registry[DatasetInfo] = Registry("dataset info")


def always(where: str) -> Callable[[str | None], str | None]:
    """A `locate` for data that is generated or bundled, hence always available."""
    return lambda root: where


def describe(name: str, info: DatasetInfo, root: str | None = None) -> dict[str, Any]:
    """The `ganlab data list` row of one dataset."""
    where = info.locate(root)
    return {
        "name": name,
        "kind": info.kind,
        "shape": None if info.shape is None else list(info.shape),
        "classes": info.num_classes,
        "available": where is not None,
        "where": where,
        "how": info.how,
    }


def describe_datasets() -> list[dict[str, Any]]:
    """One row per registered dataset for `ganlab data list`: kind, native shape, classes, where, how to get it."""
    return [describe(name, info) for name, info in INFO.items()]


def check_dataset(name: str, root: str | None = None) -> dict[str, Any]:
    """Load both splits of `name` from local files (no download); DataError saying where it looked when missing."""
    from ganlab.data.load import load_dataset

    info = INFO.get(name, key="data.name")
    cfg = DataConfig(name=name, root=root, download=False)
    train = load_dataset(cfg, "train")
    test = load_dataset(cfg, "test") if info.held_out else train
    return {
        **describe(name, info, root),
        "available": True,
        "where": train.source,
        "shape": list(train.shape),
        "classes": train.num_classes,
        "train": len(train),
        "test": len(test),
    }
