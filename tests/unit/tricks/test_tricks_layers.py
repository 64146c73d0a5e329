"""Layer tricks: virtual batch norm (seed 001 §4.4) and minibatch discrimination (seed 001 §4.3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganlab.config.schema import ModelConfig, TricksConfig
from ganlab.models import build_models
from ganlab.models.layers import MinibatchDiscrimination, MinibatchHead, VirtualBatchNorm2d
from ganlab.plugins import load_config

SMALL = {"g_channels": 8, "d_channels": 8, "g_max_channels": 16, "d_max_channels": 16, "d_dense": 16}


def test_vbn_normalises_each_sample_with_the_statistics_of_reference_plus_itself() -> None:
    torch.manual_seed(0)
    ref, live = torch.randn(4, 3, 2, 2) * 2 + 1, torch.randn(3, 3, 2, 2)
    vbn = VirtualBatchNorm2d(3, reference_size=4)
    with torch.no_grad():
        vbn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        vbn.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    out = vbn(torch.cat([ref, live]))
    # The 1/(R+1) mixing equals batch norm over the union {reference batch, x}: an independent reference.
    for i in range(len(live)):
        union = torch.cat([ref, live[i : i + 1]])
        expected = F.batch_norm(union, None, None, vbn.weight, vbn.bias, training=True, eps=vbn.eps)[-1]
        torch.testing.assert_close(out[4 + i], expected)
    # The reference rows use the reference batch's own statistics.
    expected_ref = F.batch_norm(ref, None, None, vbn.weight, vbn.bias, training=True, eps=vbn.eps)
    torch.testing.assert_close(out[:4], expected_ref)


def test_vbn_mixing_coefficient_is_one_over_reference_size_plus_one() -> None:
    ref = torch.zeros(9, 1, 1, 1)  # reference mean 0, mean of squares 0
    ref[::2] = 1.0  # 5 ones, 4 zeros: mean 5/9
    x = torch.full((1, 1, 1, 1), 10.0)
    vbn = VirtualBatchNorm2d(1, reference_size=9, eps=0.0)
    mean = 0.1 * 10.0 + 0.9 * 5 / 9  # 1/(9+1) of the sample, 9/10 of the reference
    sq = 0.1 * 100.0 + 0.9 * 5 / 9
    expected = (10.0 - mean) / (sq - mean**2) ** 0.5
    torch.testing.assert_close(vbn(torch.cat([ref, x]))[-1].flatten(), torch.tensor([expected]))


def test_vbn_generator_output_of_a_sample_does_not_depend_on_its_batch() -> None:
    torch.manual_seed(0)
    G, _ = build_models(
        ModelConfig(**SMALL), (1, 28, 28), 0, TricksConfig(virtual_batch_norm=True, vbn_reference_size=8)
    )
    z = torch.randn(6, 100)
    alone = torch.cat([G(z[i : i + 1]) for i in range(6)])
    torch.testing.assert_close(G(z), alone, rtol=1e-4, atol=1e-5)
    assert G(z).shape == (6, 1, 28, 28)
    assert "reference_z" in G.state_dict() and not any(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())


def test_minibatch_discrimination_matches_the_formula() -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=6, kernels=4, kernel_dim=3)
    f = torch.randn(5, 6)
    out = layer(f)
    assert out.shape == (5, 6 + 4)
    T = layer.T.weight.T.reshape(6, 4, 3)  # T in R^{A x B x C}
    M = torch.einsum("na,abc->nbc", f, T)
    expected = torch.zeros(5, 4)
    for i in range(5):
        for b in range(4):
            for j in range(5):
                expected[i, b] += torch.exp(-(M[i, b] - M[j, b]).abs().sum())
    torch.testing.assert_close(out[:, :6], f)
    torch.testing.assert_close(out[:, 6:], expected)


def test_minibatch_discrimination_tells_identical_from_distinct_batches() -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=8, kernels=16, kernel_dim=5)
    same = layer(torch.randn(1, 8).expand(10, 8))[:, 8:]
    distinct = layer(100 * torch.randn(10, 8))[:, 8:]
    torch.testing.assert_close(same, torch.full((10, 16), 10.0))  # every sample close to all n
    torch.testing.assert_close(distinct, torch.ones(10, 16), atol=1e-3, rtol=0)  # each close only to itself


def test_seed_5_6_discriminator_head_layout() -> None:
    cfg = load_config("cdcgan-tricks")
    _, D = build_models(cfg.model, (1, 32, 32), 10, cfg.tricks)
    assert isinstance(D.head, MinibatchHead)
    widths = [(m.in_features, m.out_features) for m in D.head.modules() if isinstance(m, torch.nn.Linear)]
    # concat(256*4*4, 10) -> dense 256 -> T: 256 -> 128*5 -> dense (256+128) -> 256 -> 1 (seed 001 §5.6 table)
    assert widths == [(4106, 256), (256, 640), (384, 256), (256, 1)]
    logits = D(torch.randn(4, 1, 32, 32), torch.arange(4))
    assert logits.shape == (4,)


def test_minibatch_head_on_the_mlp_discriminator_and_projection() -> None:
    tricks = TricksConfig(minibatch_discrimination=True, mbd_kernels=8, mbd_dense_after=False)
    cfg = ModelConfig(discriminator="mlp", d_hidden=[32, 16], conditional=True, d_condition="projection")
    _, D = build_models(cfg, (1, 28, 28), 10, tricks)
    h = D.features(torch.randn(3, 1, 28, 28), torch.arange(3))
    assert h.shape == (3, 16) and D.classify(h, torch.arange(3)).shape == (3,)
