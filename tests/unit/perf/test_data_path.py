"""The training data path: batches drawn by index from the uint8 tensor equal a reference indexing."""

from __future__ import annotations

import torch
from torch.testing import assert_close

from ganlab.data.base import Dataset
from ganlab.plugins import load_config
from ganlab.training.state import build_state


def images(n: int = 40, c: int = 1, side: int = 8) -> Dataset:
    x = torch.randint(0, 256, (n, c, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("toy", "image", x, torch.arange(n) % 10, 10, "generated")


def test_batch_is_reference_indexing_scaled_to_minus_one_one() -> None:
    data = images()
    idx = torch.tensor([3, 0, 39, 3])
    expected = data.x.double()[idx] / 127.5 - 1.0
    got = data.batch(idx)
    assert got.dtype == torch.float32 and got.shape == (4, 1, 8, 8)
    assert_close(got.double(), expected, rtol=0, atol=1e-7)
    assert got.min() >= -1 and got.max() <= 1
    assert torch.equal(data.batch_labels(idx), idx % 10)


def test_stacked_batch_composes_rows_by_index_without_materialising() -> None:
    base = images(n=12)
    index = torch.randint(0, 12, (30, 3), generator=torch.Generator().manual_seed(1))
    data = Dataset("stacked", "image", base.x, torch.zeros(30, dtype=torch.int64), 1, "generated", index=index)
    idx = torch.tensor([5, 29, 0])
    expected = torch.stack([torch.cat([base.x[r] for r in index[i]]) for i in idx]).double() / 127.5 - 1.0
    assert_close(data.batch(idx).double(), expected, rtol=0, atol=1e-7)
    assert data.x.shape[0] == 12  # the base images only


def test_state_draws_the_seeded_permutation_in_order_in_channels_last() -> None:
    cfg = load_config(
        "dcgan",
        {"train.batch_size": 16, "train.seed": 3, "model.g_channels": 4, "model.d_channels": 4, "model.z_dim": 4},
    )
    data = images(n=40, c=3)
    state = build_state(cfg, data, torch.device("cpu"))
    reference = torch.Generator().manual_seed(cfg.train.seed * 1_000 + 1)  # the "data" stream of make_generators
    first, second = torch.randperm(40, generator=reference), torch.randperm(40, generator=reference)
    expected = [first[:16], first[16:32], second[:16]]  # drop-last: 8 left over, a new epoch
    for idx in expected:
        real, labels = state.real_batch()
        assert real.is_contiguous(memory_format=torch.channels_last)
        assert_close(real, data.x[idx].float() / 127.5 - 1.0, rtol=0, atol=1e-7)
        assert torch.equal(labels, data.labels[idx])
