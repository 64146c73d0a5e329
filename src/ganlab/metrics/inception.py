"""Inception metrics (fid, kid, is, precision, recall) through torch-fidelity's `calculate_metrics`.

ganlab only adapts inputs: samples in [-1, 1] are quantised to uint8 as a saved PNG would be, grey images are
repeated to RGB, and torch-fidelity's reference-matching `inception-v3-compat` network resizes them to 299x299
with its TensorFlow-1-compatible bilinear filter. One torch-fidelity call extracts the features once for all
requested metrics; the real side's features can be cached on disk under a name derived from its content.

Weights come from, in order: the `weights_path` argument (CLI `--inception-weights`), $GANLAB_INCEPTION_WEIGHTS,
torch hub's cache, or a download of torch-fidelity's release file when a network is reachable. Every file is
checked against the release file's full sha256, loaded by ganlab as tensors only (`weights_only=True`) and handed
to torch-fidelity re-serialised in memory: torch-fidelity's own unrestricted load (`weights_only=False`) never
reads a file from disk.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import Dataset as TorchDataset

from ganlab.errors import MetricError
from ganlab.metrics.classifier import sha256_of

INCEPTION_EXTRACTOR = "inception-v3-compat"
WEIGHTS_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
)
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"  # 95,628,359 bytes
WEIGHTS_ENV = "GANLAB_INCEPTION_WEIGHTS"
KID_SUBSET_SIZE = 1000  # torch-fidelity's default; shrunk to the smaller set when that is smaller
RESIZE = "uint8 quantisation, grey repeated to RGB, TF1-compatible bilinear to 299x299 (torch-fidelity)"

# ganlab metric name -> torch-fidelity result key, and the calculate_metrics flag that produces it.
RESULT_KEYS = {
    "fid": ("fid", "frechet_inception_distance"),
    "kid": ("kid", "kernel_inception_distance_mean"),
    "is": ("isc", "inception_score_mean"),
    "precision": ("prc", "precision"),
    "recall": ("prc", "recall"),
}


@dataclass(frozen=True)
class InceptionWeights:
    """The verified weights file and how it was found."""

    path: str
    sha256: str
    source: str


def hub_weights_file() -> Path:
    """Where torch hub keeps torch-fidelity's download."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_URL.rsplit("/", 1)[1]


def network_available(host: str = "github.com", timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to the weights' host opens; a cheap offline check before any download."""
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def missing_weights_message() -> str:
    """One line telling the user how to provide the Inception weights."""
    return (
        f"Inception metrics need torch-fidelity's Inception weights and no network is reachable: download "
        f"{WEIGHTS_URL} elsewhere and pass --inception-weights FILE or set {WEIGHTS_ENV}=FILE"
    )


def verified_weights(path: Path, source: str) -> InceptionWeights:
    """The file at `path` after checking it exists and its sha256 is the release file's."""
    if not path.is_file():
        raise MetricError(f"Inception weights file {path} ({source}) does not exist")
    digest = sha256_of(path)
    if digest != WEIGHTS_SHA256:
        raise MetricError(
            f"Inception weights file {path} has sha256 {digest[:16]}..., expected {WEIGHTS_SHA256[:16]}... "
            f"(the file at {WEIGHTS_URL})"
        )
    return InceptionWeights(str(path), digest, source)


def resolve_inception_weights(weights_path: str | None = None) -> InceptionWeights:
    """Find the Inception weights (downloading them when a network is reachable), or raise MetricError in one
    line saying how to provide them."""
    if weights_path:
        return verified_weights(Path(weights_path).expanduser(), "--inception-weights")
    if os.environ.get(WEIGHTS_ENV):
        return verified_weights(Path(os.environ[WEIGHTS_ENV]).expanduser(), f"${WEIGHTS_ENV}")
    if hub_weights_file().is_file():
        return verified_weights(hub_weights_file(), "torch hub cache")
    if network_available():
        target = hub_weights_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(WEIGHTS_URL, str(target), progress=False)  # a temporary file, then renamed
        return verified_weights(target, f"downloaded from {WEIGHTS_URL}")
    raise MetricError(missing_weights_message())


def weights_buffer(weights: InceptionWeights) -> io.BytesIO:
    """The verified weights as torch-fidelity's `feature_extractor_weights_path` takes them: loaded here as
    tensors only (`weights_only=True`, so a file changed since its check cannot run code), re-serialised in
    memory, so torch-fidelity's `weights_only=False` load unpickles only what this process just wrote."""
    try:
        state = torch.load(weights.path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for anything but tensors, or a damaged file
        raise MetricError(f"Inception weights file {weights.path} holds more than tensors: {exc}") from None
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise MetricError(f"Inception weights file {weights.path} is not a state dict of tensors")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return buffer


def to_uint8_rgb(images: Tensor) -> Tensor:
    """Images (N, C, H, W) in [-1, 1] -> uint8 (N, 3, H, W) as a PNG would store them; grey repeated to RGB."""
    pixels = ((images.detach().float().cpu() + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)
    return uint8_to_rgb(pixels)


def uint8_to_rgb(pixels: Tensor) -> Tensor:
    """uint8 (N, 1 or 3, H, W) -> uint8 (N, 3, H, W)."""
    if pixels.shape[1] == 1:
        return pixels.expand(-1, 3, -1, -1).contiguous()
    if pixels.shape[1] != 3:
        raise MetricError(f"Inception metrics need 1- or 3-channel images, got {pixels.shape[1]} channels")
    return pixels


class UInt8Images(TorchDataset):
    """A uint8 tensor (N, 3, H, W) served image by image, as torch-fidelity's Dataset input expects."""

    def __init__(self, pixels: Tensor) -> None:
        self.pixels = pixels

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, i: int) -> Tensor:
        return self.pixels[i]


def inception_metrics(
    names: Sequence[str],
    fake_pixels: Tensor,
    real_pixels: Tensor,
    *,
    weights: InceptionWeights | None = None,
    feature_extractor: str = INCEPTION_EXTRACTOR,
    seed: int = 0,
    cuda: bool = False,
    kid_subset_size: int = KID_SUBSET_SIZE,
    real_cache_name: str | None = None,
    cache_root: Path | None = None,
) -> dict[str, float]:
    """The requested Inception metrics of fake vs real uint8 RGB images (N, 3, H, W), in one torch-fidelity pass."""
    import torch_fidelity

    unknown = [name for name in names if name not in RESULT_KEYS]
    if unknown or not names:
        raise MetricError(f"not Inception metrics: {unknown or 'none requested'}; choose from {', '.join(RESULT_KEYS)}")
    flags = {RESULT_KEYS[name][0]: True for name in names}
    cache = real_cache_name is not None and cache_root is not None
    try:
        result = torch_fidelity.calculate_metrics(
            input1=UInt8Images(fake_pixels),  # generated: IS, and the "precision" side of PRC
            input2=UInt8Images(real_pixels),
            feature_extractor=feature_extractor,
            feature_extractor_weights_path=weights_buffer(weights) if weights is not None else None,
            cuda=cuda,
            kid_subset_size=min(kid_subset_size, len(fake_pixels), len(real_pixels)),
            rng_seed=seed,
            save_cpu_ram=True,  # in-memory tensors: no DataLoader worker processes
            cache=cache,
            cache_root=str(cache_root) if cache else None,
            input2_cache_name=real_cache_name if cache else None,
            verbose=False,
            **flags,
        )
    except ValueError as exc:  # torch-fidelity's vassert
        raise MetricError(f"torch-fidelity refused the inputs: {exc}") from exc
    return {name: float(result[RESULT_KEYS[name][1]]) for name in names}
