"""Datasets: one module per family, each registering its loader in DATASETS; `load_dataset` is the entry point.

Every loader returns a whole split in memory (uint8 images or float32 points); `load_dataset` then applies
`data.subset`, `data.channels` and `data.resolution` once, so the training loop does no per-image work.
"""

from __future__ import annotations

import importlib
import pkgutil

from ganlab.data.base import DATASETS, Dataset
from ganlab.data.carvana import prepare_carvana
from ganlab.data.catalog import check_dataset, describe_datasets
from ganlab.data.load import load_dataset
from ganlab.data.toy2d import mixture_modes

# Every module of this package, for the loaders it registers in DATASETS and INFO: a new dataset is one new
# module (docs/extending.md).
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "DATASETS",
    "Dataset",
    "check_dataset",
    "describe_datasets",
    "load_dataset",
    "mixture_modes",
    "prepare_carvana",
]
