"""Stacked Fashion-MNIST: three base images per sample, mode id from their classes, built by index."""

from __future__ import annotations

import torch

from ganlab.config.schema import DataConfig
from ganlab.data import Dataset, load_dataset

NAME = "stacked-fashion-mnist"


def test_stacked_samples_are_base_images_by_index(fashion_test: Dataset) -> None:
    data = load_dataset(DataConfig(name=NAME, download=False), "test")
    assert data.index is not None and data.index.shape == (10000, 3) and data.index.dtype == torch.int64
    assert data.shape == (3, 28, 28) and len(data) == 10000 and data.num_classes == 1000
    assert data.x.shape == fashion_test.x.shape  # the base images, never materialised as stacks
    assert fashion_test.labels is not None and data.labels is not None
    c = fashion_test.labels[data.index]  # (M, 3) base classes
    torch.testing.assert_close(data.labels, 100 * c[:, 0] + 10 * c[:, 1] + c[:, 2])
    idx = torch.tensor([0, 17, 9999])
    manual = torch.cat([fashion_test.x[data.index[idx, k]] for k in range(3)], dim=1).float() / 127.5 - 1
    torch.testing.assert_close(data.batch(idx), manual)
    assert data.labels.unique().numel() > 900  # 10 000 draws over 1000 equally likely modes cover nearly all


def test_stacked_split_seeds_are_fixed() -> None:
    a = load_dataset(DataConfig(name=NAME, download=False), "test")
    b = load_dataset(DataConfig(name=NAME, download=False), "test")
    torch.testing.assert_close(a.index, b.index)


def test_stacked_subset_and_resolution_work_on_the_index(fashion_train: Dataset) -> None:
    full_index = torch.randint(0, 60000, (60000, 3), generator=torch.Generator().manual_seed(0))
    data = load_dataset(DataConfig(name=NAME, subset=50, resolution=14, channels=3, download=False))
    assert len(data) == 50 and data.shape == (3, 14, 14) and data.labels is not None and len(data.labels) == 50
    assert data.x.shape[0] <= 150  # only the base images the 50 samples use were kept (and resized)
    expected = torch.cat([fashion_train.x[full_index[:50, k]] for k in range(3)], dim=1)  # (50, 3, 28, 28)
    resized = torch.nn.functional.interpolate(expected.float(), size=(14, 14), mode="bilinear", antialias=True)
    torch.testing.assert_close(data.batch(torch.arange(50)), resized.round() / 127.5 - 1)
