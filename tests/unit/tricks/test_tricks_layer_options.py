"""The layer tricks' options: virtual batch norm's statistics (seed 001 §4.4, tricks.vbn_statistics) against a
float64 hand computation, and the three placements of minibatch discrimination seed 001 §4.3 compares."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from ganlab.config.schema import ModelConfig, TricksConfig
from ganlab.models import build_models
from ganlab.models.layers import MinibatchDiscrimination, VirtualBatchNorm2d
from ganlab.plugins import load_config

R, B, C, H, W = 5, 3, 2, 3, 2


def _hand_vbn(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, statistics: str, eps: float) -> torch.Tensor:
    """Virtual batch norm in float64 with explicit sums over samples and pixels, one channel at a time."""
    x, weight, bias = x.double(), weight.double(), bias.double()
    out = torch.empty_like(x)
    pixels = H * W
    for c in range(C):
        ref_mean = sum(x[n, c].sum() for n in range(R)) / (R * pixels)
        ref_sq = sum((x[n, c] ** 2).sum() for n in range(R)) / (R * pixels)
        batch_mean = sum(x[n, c].sum() for n in range(R, R + B)) / (B * pixels)
        batch_sq = sum((x[n, c] ** 2).sum() for n in range(R, R + B)) / (B * pixels)
        for n in range(R + B):
            if n < R or statistics == "reference":
                mean, sq = ref_mean, ref_sq
            elif statistics == "batch":  # x = 1/(R+1) x_curr + R/(R+1) x_ref, x_curr the current batch's
                mean, sq = (batch_mean + R * ref_mean) / (R + 1), (batch_sq + R * ref_sq) / (R + 1)
            else:  # the union of the R reference samples and this one
                mean = (x[n, c].sum() / pixels + R * ref_mean) / (R + 1)
                sq = ((x[n, c] ** 2).sum() / pixels + R * ref_sq) / (R + 1)
            out[n, c] = (x[n, c] - mean) / torch.sqrt(sq - mean**2 + eps) * weight[c] + bias[c]
    return out


@pytest.mark.parametrize("statistics", ["sample", "batch", "reference"])
def test_vbn_statistics_match_a_float64_hand_computation(statistics: str) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(R + B, C, H, W, generator=gen) * torch.tensor([2.0, 0.5])[:, None, None] + 1.0
    vbn = VirtualBatchNorm2d(C, reference_size=R, statistics=statistics)
    with torch.no_grad():
        vbn.weight.copy_(torch.tensor([1.5, -0.5]))
        vbn.bias.copy_(torch.tensor([0.25, 2.0]))
    expected = _hand_vbn(x, vbn.weight.detach(), vbn.bias.detach(), statistics, vbn.eps)
    torch.testing.assert_close(vbn(x).double(), expected, rtol=1e-5, atol=1e-5)


SMALL = {"g_channels": 4, "d_channels": 4, "g_max_channels": 8, "d_max_channels": 8}


@pytest.mark.parametrize(("statistics", "independent"), [("sample", True), ("reference", True), ("batch", False)])
def test_vbn_statistics_reach_every_layer_of_the_generator(statistics: str, independent: bool) -> None:
    torch.manual_seed(0)
    tricks = TricksConfig(virtual_batch_norm=True, vbn_reference_size=4, vbn_statistics=statistics)
    G, _ = build_models(ModelConfig(**SMALL), (1, 8, 8), 0, tricks)
    layers = [m for m in G.modules() if isinstance(m, VirtualBatchNorm2d)]
    assert layers and {m.statistics for m in layers} == {statistics}
    z = torch.randn(5, 100)
    alone = torch.cat([G(z[i : i + 1]) for i in range(5)])
    # Only the current batch's statistics make a sample's image depend on the rest of its batch.
    assert torch.allclose(G(z), alone, rtol=1e-4, atol=1e-5) is independent


def _head(placement: dict[str, Any]) -> list[tuple[str, int, int]]:
    """D's head after the convolutions, as (layer, inputs, outputs), for the seed's 32x32 conditional DCGAN."""
    cfg = load_config("cdcgan", {"data.resolution": 32, "tricks.minibatch_discrimination": True, **placement})
    _, D = build_models(cfg.model, (1, 32, 32), 10, cfg.tricks)
    kernels = {id(m.T) for m in D.head.modules() if isinstance(m, MinibatchDiscrimination)}  # T, not a dense layer
    rows = []
    for m in D.head.modules():
        if isinstance(m, MinibatchDiscrimination):
            rows.append(("mbd", m.T.in_features, m.T.in_features + m.kernels))
        elif isinstance(m, nn.Linear) and id(m) not in kernels:
            rows.append(("dense", m.in_features, m.out_features))
        elif isinstance(m, nn.LeakyReLU):
            rows.append(("lrelu", 0, 0))
    return rows


FEATURES = 256 * 4 * 4 + 10  # the last 4x4x256 map, flattened, and the one-hot condition (seed 001 §4.3 table)


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        # "a dense layer before": concat -> dense 256 -> MBD (256 + 128) -> output
        (
            {"tricks.mbd_dense_after": False},
            [("dense", FEATURES, 256), ("lrelu", 0, 0), ("mbd", 256, 384), ("dense", 384, 1)],
        ),
        # "then a dense layer after": concat -> MBD (4106 + 128) -> dense 256 -> output
        (
            {"model.d_head": "conv"},
            [("mbd", FEATURES, FEATURES + 128), ("dense", FEATURES + 128, 256), ("lrelu", 0, 0), ("dense", 256, 1)],
        ),
        # "and finally a dense layer before and after" (also seed 001 §5.6)
        (
            {},
            [
                ("dense", FEATURES, 256),
                ("lrelu", 0, 0),
                ("mbd", 256, 384),
                ("dense", 384, 256),
                ("lrelu", 0, 0),
                ("dense", 256, 1),
            ],
        ),
    ],
)
def test_the_three_minibatch_discrimination_placements_of_seed_001_4_3(
    placement: dict[str, Any], expected: list[tuple[str, int, int]]
) -> None:
    assert _head(placement) == expected
