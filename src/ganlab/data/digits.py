"""scikit-learn's 8x8 handwritten digits (UCI optdigits test set, 1797 images), bundled with scikit-learn: always offline."""

from __future__ import annotations

from ganlab.config.schema import DataConfig
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo, always

NAME = "digits"
NUM_CLASSES = 10
NATIVE_SHAPE = (1, 8, 8)
MAX_VALUE = 16  # pixels are counts of set bits in 4x4 blocks of a 32x32 bitmap: 0..16
TRAIN_SHARE = 0.8  # train = the first 80 % in file order, test = the last 20 %: deterministic, no shuffling
SOURCE = "scikit-learn load_digits (bundled)"


@DATASETS.register(NAME)
def load_digits(cfg: DataConfig, split: Split) -> Dataset:
    """The 8x8 digits as uint8 (N, 1, 8, 8) scaled from 0..16 to 0..255, with int64 labels."""
    import torch
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = torch.from_numpy(bunch.images).float()  # (1797, 8, 8) in 0..16
    x = (images * (255 / MAX_VALUE)).round_().to(torch.uint8).unsqueeze(1)
    labels = torch.from_numpy(bunch.target).long()
    n_train = int(TRAIN_SHARE * len(x))
    part = slice(0, n_train) if split == "train" else slice(n_train, None)
    return Dataset(NAME, "image", x[part].contiguous(), labels[part].contiguous(), NUM_CLASSES, SOURCE)


INFO.add(NAME, DatasetInfo("image", NATIVE_SHAPE, NUM_CLASSES, "bundled with scikit-learn", always(SOURCE)))
