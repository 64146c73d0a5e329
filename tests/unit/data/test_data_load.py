"""load_dataset: registry lookup, subset, channels and resolution, and Dataset.batch's range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.config.schema import DataConfig
from ganlab.data import DATASETS, Dataset, load_dataset, transform
from ganlab.data.base import repeated_channels
from ganlab.errors import ConfigError


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"data.name.*fashion-mnist.*did you mean 'mnist'"):
        load_dataset(DataConfig(name="mnsit"))


def test_every_required_name_is_registered() -> None:
    required = {
        "fashion-mnist",
        "mnist",
        "cifar10",
        "folder",
        "carvana",
        "digits",
        "stacked-fashion-mnist",
        "8gaussians",
        "25gaussians",
        "swissroll",
        "scurve",
    }
    assert required <= set(DATASETS.names())


def test_subset_takes_the_first_training_images(fashion_train: Dataset) -> None:
    data = load_dataset(DataConfig(subset=100, download=False))
    torch.testing.assert_close(data.x, fashion_train.x[:100])
    assert fashion_train.labels is not None
    torch.testing.assert_close(data.labels, fashion_train.labels[:100])


def test_subset_leaves_the_test_split_whole() -> None:
    assert len(load_dataset(DataConfig(name="digits", subset=10), "test")) == 360


def test_subset_larger_than_the_set_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"data.subset.*at most 1437"):
        load_dataset(DataConfig(name="digits", subset=5000))


def test_resolution_matches_pil_bilinear(fashion_train: Dataset) -> None:
    data = load_dataset(DataConfig(subset=8, resolution=16, download=False))
    assert data.x.shape == (8, 1, 16, 16) and data.x.dtype == torch.uint8
    # independent reference: PIL's bilinear filter, which antialiases when shrinking as torch's antialias=True does
    reference = [
        np.asarray(Image.fromarray(img[0].numpy()).resize((16, 16), Image.Resampling.BILINEAR))
        for img in fashion_train.x[:8]
    ]
    torch.testing.assert_close(data.x[:, 0].int(), torch.from_numpy(np.stack(reference)).int(), atol=1, rtol=0)


def test_resize_runs_in_chunks_and_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)
    whole = transform.resize(x, 4)
    monkeypatch.setattr(transform, "RESIZE_CHUNK", 2)
    torch.testing.assert_close(transform.resize(x, 4), whole)


def test_channels_one_to_three_repeats() -> None:
    gray = load_dataset(DataConfig(name="digits"))
    rgb = load_dataset(DataConfig(name="digits", channels=3))
    assert rgb.x.shape == (1437, 3, 8, 8)
    torch.testing.assert_close(rgb.x, gray.x.repeat(1, 3, 1, 1))
    assert rgb.x.untyped_storage().nbytes() == gray.x.untyped_storage().nbytes()  # a view, not three copies
    assert repeated_channels(rgb.x) and not repeated_channels(gray.x)
    idx = torch.tensor([5, 0, 1436])
    batch = rgb.batch(idx)
    assert batch.shape == (3, 3, 8, 8) and batch.is_contiguous()
    torch.testing.assert_close(batch, gray.batch(idx).repeat(1, 3, 1, 1))
    moved = rgb.to("meta")  # moving keeps one channel and the view
    assert moved.x.shape == rgb.x.shape and repeated_channels(moved.x)


def test_channels_three_to_one_is_bt601_luminance(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3, 5, 7, 3), dtype=np.uint8)
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
    data = load_dataset(DataConfig(name="folder", root=str(tmp_path), channels=1))
    assert data.x.shape == (3, 1, 5, 7)
    # reference: PIL's convert("L"), the same ITU-R 601-2 weights in fixed point (so +-1 from rounding)
    reference = np.stack([np.asarray(Image.fromarray(image).convert("L")) for image in pixels])
    torch.testing.assert_close(data.x[:, 0].int(), torch.from_numpy(reference).int(), atol=1, rtol=0)


def test_batch_is_float_in_minus_one_one() -> None:
    data = load_dataset(DataConfig(name="digits"))
    batch = data.batch(torch.arange(len(data)))
    assert batch.dtype == torch.float32 and batch.shape == (1437, 1, 8, 8)
    assert batch.min().item() == -1.0 and batch.max().item() == 1.0
    torch.testing.assert_close(batch, data.x.float() / 127.5 - 1)


def test_point_sets_refuse_image_keys() -> None:
    with pytest.raises(ConfigError, match="data.resolution"):
        load_dataset(DataConfig(name="8gaussians", resolution=32, points=10))
    with pytest.raises(ConfigError, match="data.channels"):
        load_dataset(DataConfig(name="scurve", channels=3, points=10))
