"""scikit-learn's 8x8 digits: scaling, split and labels, against sklearn itself."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset


def test_digits_scaled_and_split_80_20() -> None:
    reference = load_digits()
    train = load_dataset(DataConfig(name="digits"), "train")
    test = load_dataset(DataConfig(name="digits"), "test")
    assert train.x.shape == (1437, 1, 8, 8) and test.x.shape == (360, 1, 8, 8)
    assert train.x.dtype == torch.uint8 and train.num_classes == 10 and train.source.startswith("scikit-learn")
    images = torch.cat([train.x, test.x])[:, 0].double()
    torch.testing.assert_close(images, torch.from_numpy(reference.images) * 255 / 16, atol=0.5, rtol=0)
    assert train.labels is not None and test.labels is not None
    torch.testing.assert_close(torch.cat([train.labels, test.labels]), torch.from_numpy(reference.target).long())
    assert int(images.max()) == 255 and int(images.min()) == 0
