"""Inception adapter: torch-fidelity's own computation fed by a stand-in extractor; offline and bad weights."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits
from torch.testing import assert_close
from torch_fidelity import register_feature_extractor
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from ganlab.data.base import Dataset
from ganlab.errors import MetricError
from ganlab.metrics import compute_metrics, inception
from ganlab.metrics.frechet import frechet_distance_features

STAND_IN = "ganlab-test-stand-in"


class StandInExtractor(FeatureExtractorBase):
    """A fixed random projection of 4x4-pooled pixels: 24-d features and 10 logits."""

    def __init__(self, name, features_list, **kwargs):
        super().__init__(name, features_list)
        gen = torch.Generator().manual_seed(0)
        self.register_buffer("projection", torch.randn(48, 24, generator=gen))
        self.register_buffer("classes", torch.randn(24, 10, generator=gen))

    @staticmethod
    def get_provided_features_list():
        return ("features", "logits")

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "logits" if metric == "isc" else "features"

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 28, 28, dtype=torch.uint8)

    def forward(self, x):
        features = F.adaptive_avg_pool2d(x.float() / 255, 4).flatten(1) @ self.projection  # (B, 24)
        out = {"features": features, "logits": features @ self.classes}
        return tuple(out[name] for name in self.features_list)


if STAND_IN not in FEATURE_EXTRACTORS_REGISTRY:
    register_feature_extractor(STAND_IN, StandInExtractor)


def toy_images(n: int, seed: int, brightness: float) -> torch.Tensor:
    """(n, 1, 28, 28) float images in [-1, 1] with blobs, so features vary."""
    gen = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 1, 7, 7, generator=gen) * brightness
    return F.interpolate(low, size=28, mode="bilinear").mul(2).sub(1)


def toy_dataset(n: int) -> Dataset:
    pixels = inception.to_uint8_rgb(toy_images(n, 1, 1.0))[:, :1]  # uint8 (n, 1, 28, 28)
    return Dataset("toy-images", "image", pixels, None, 0, "generated")


def test_adapter_equals_torch_fidelity_direct_computation():
    fake, real = toy_images(150, 2, 0.8), toy_dataset(200)
    names = ["fid", "kid", "is", "precision", "recall"]
    with threadpool_limits(limits=1):  # KID's 600 tiny BLAS products crawl multi-threaded on a busy machine
        values, provenance = compute_metrics(names, fake, real, seed=3, inception_extractor=STAND_IN)

    extractor = StandInExtractor(STAND_IN, ["features", "logits"]).eval()
    with torch.no_grad():
        fake_feats, fake_logits = extractor(inception.to_uint8_rgb(fake))
        real_feats, _ = extractor(inception.uint8_to_rgb(real.x))
    fid = fid_statistics_to_metric(
        fid_features_to_statistics(fake_feats), fid_features_to_statistics(real_feats), False
    )
    with threadpool_limits(limits=1):
        kid = kid_features_to_metric(fake_feats, real_feats, kid_subset_size=150, rng_seed=3, verbose=False)
    isc = isc_features_to_metric(fake_logits, splits=10, shuffle=True, rng_seed=3)
    prc = prc_features_to_metric(fake_feats, real_feats, verbose=False)

    assert_close(values["fid"], fid["frechet_inception_distance"], rtol=1e-6, atol=1e-6)
    assert_close(values["kid"], kid["kernel_inception_distance_mean"], rtol=1e-6, atol=1e-9)
    assert_close(values["is"], isc["inception_score_mean"], rtol=1e-6, atol=1e-9)
    assert_close(values["precision"], prc["precision"])
    assert_close(values["recall"], prc["recall"])
    # ganlab's own Fréchet distance (sqrtm) agrees with torch-fidelity's (eigenvalues) on these features.
    assert_close(frechet_distance_features(fake_feats, real_feats), values["fid"], rtol=1e-4, atol=1e-6)
    inception_provenance = provenance["features"]["inception"]
    assert inception_provenance["library"].startswith("torch-fidelity")
    assert inception_provenance["extractor"] == STAND_IN and inception_provenance["kid_subset_size"] == 150


def test_offline_without_weights_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(inception, "network_available", lambda *args, **kwargs: False)
    with pytest.raises(MetricError) as err:
        compute_metrics(["fid"], toy_images(10, 0, 1.0), toy_dataset(10))
    message = str(err.value)
    assert "\n" not in message
    assert "--inception-weights" in message and inception.WEIGHTS_ENV in message and inception.WEIGHTS_URL in message


def test_missing_weights_file_names_it(monkeypatch, tmp_path):
    missing = tmp_path / "nope.pth"
    monkeypatch.setenv(inception.WEIGHTS_ENV, str(missing))
    with pytest.raises(MetricError, match="nope.pth"):
        inception.resolve_inception_weights()


def test_weights_with_wrong_sha256_are_refused_before_loading(tmp_path):
    fake_weights = tmp_path / "weights.pth"
    fake_weights.write_bytes(b"not the inception network")
    with pytest.raises(MetricError, match="weights.pth has sha256"):
        inception.resolve_inception_weights(str(fake_weights))


def test_a_file_matching_only_the_sha256_prefix_of_the_name_is_refused(monkeypatch, tmp_path):
    """The release file's name carries 8 hex digits of its sha256 (32 bits, forgeable); the whole digest is checked."""
    weights = tmp_path / "weights.pth"
    weights.write_bytes(b"stand-in bytes")
    digest = hashlib.sha256(b"stand-in bytes").hexdigest()
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", digest[:8] + "0" * 56)
    with pytest.raises(MetricError, match=f"has sha256 {digest[:16]}"):
        inception.resolve_inception_weights(str(weights))
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", digest)
    found = inception.resolve_inception_weights(str(weights))
    assert found.path == str(weights) and found.sha256 == digest


def release_like_file(path, monkeypatch):
    """A state dict with the shapes of torch-fidelity's Inception network (random values), saved as the release
    file is, and made 'official' by pinning its sha256."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    captured = {}
    with monkeypatch.context() as m:  # build the network once without loading anything, to read its shapes
        m.setattr(FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd: captured.update(self.state_dict()))
        buffer = io.BytesIO()
        torch.save({}, buffer)
        buffer.seek(0)
        FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=buffer)
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in captured.items()}
    torch.save(state, path)
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def test_torch_fidelity_gets_the_weights_from_memory_never_unpickling_a_file(monkeypatch, tmp_path):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    state = release_like_file(tmp_path / "weights.pth", monkeypatch)
    weights = inception.resolve_inception_weights(str(tmp_path / "weights.pth"))
    network = FeatureExtractorInceptionV3(
        "inception-v3-compat", ["2048"], feature_extractor_weights_path=inception.weights_buffer(weights)
    )
    loaded = network.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_weights_that_would_run_code_are_refused_even_with_a_matching_sha256(monkeypatch, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = tmp_path / "evil.pth"
    torch.save({"conv.weight": torch.zeros(1), "x": Payload()}, evil)
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", hashlib.sha256(evil.read_bytes()).hexdigest())
    weights = inception.resolve_inception_weights(str(evil))  # the hash matches: a forged 'release'
    with pytest.raises(MetricError, match="holds more than tensors"):
        inception.weights_buffer(weights)
    assert not marker.exists()


def test_uint8_conversion_matches_png_quantisation():
    images = torch.tensor([-1.0, -0.5, 0.0, 1.0]).reshape(1, 1, 2, 2)
    pixels = inception.to_uint8_rgb(images)
    assert pixels.shape == (1, 3, 2, 2) and pixels.dtype == torch.uint8
    assert pixels[0, 0].flatten().tolist() == [0, 64, 128, 255]
