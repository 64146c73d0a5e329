"""The domain classifier: a small CNN whose penultimate features and predicted classes feed the domain metrics.

It is trained by ganlab on a dataset's training split (`train_classifier`), stored as safetensors beside a JSON
record of how it was made (seed, epochs, test accuracy, sha256 of the weights file, input shape,
normalisation), and loaded only after the sha256 matches (`load_classifier`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from ganlab import atomic
from ganlab.data.base import Dataset
from ganlab.errors import MetricError

FEATURE_DIM = 128  # width of the penultimate layer whose activations fd_domain / kd_domain compare
POOLED_SIDE = 3  # side of the last feature map before flattening
STORAGE_DTYPE = torch.float16  # weights are stored in half precision and computed with in float32
NORMALISATION = "uint8 / 127.5 - 1 (inputs in [-1, 1], as ganlab's datasets and generators)"


class DomainClassifier(nn.Module):
    """Three conv blocks (conv-BN-ReLU-maxpool) -> (3, 3) pooled map -> 128-d penultimate -> class logits."""

    def __init__(self, in_channels: int, num_classes: int, widths: tuple[int, int, int] = (32, 64, 128)) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        prev = in_channels
        for width in widths:
            blocks += [nn.Conv2d(prev, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            blocks.append(nn.MaxPool2d(2))
            prev = width
        # Adaptive pooling fixes the flattened size whatever the native resolution (28 -> 3, 32 -> 4 -> 3).
        blocks.append(nn.AdaptiveAvgPool2d(POOLED_SIDE))
        self.body = nn.Sequential(*blocks)
        self.penultimate = nn.Sequential(
            nn.Flatten(),
            nn.Linear(prev * POOLED_SIDE**2, FEATURE_DIM, bias=False),
            nn.BatchNorm1d(FEATURE_DIM),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, images: Tensor) -> Tensor:
        """Penultimate activations (N, 128) of images (N, C, H, W) in [-1, 1]."""
        return self.penultimate(self.body(images))

    def forward(self, images: Tensor) -> Tensor:
        """Class logits (N, K) of images (N, C, H, W) in [-1, 1]."""
        return self.head(self.dropout(self.features(images)))


@dataclass(frozen=True)
class ClassifierRecord:
    """What the JSON beside the weights says about how the classifier was made."""

    dataset: str
    num_classes: int
    input_shape: tuple[int, int, int]  # (C, H, W)
    normalisation: str
    weights_dtype: str
    seed: int
    epochs: int
    batch_size: int
    lr: float
    augmentation: str
    train_samples: int
    test_accuracy: float
    train_seconds: float
    torch_version: str
    weights_file: str
    sha256: str


@dataclass(frozen=True)
class LoadedClassifier:
    """A classifier ready for inference, with the record it was verified against."""

    model: DomainClassifier
    record: ClassifierRecord


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


AUGMENTATION = "random horizontal flip"


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Random horizontal flips of a batch (B, C, H, W)."""
    flip = torch.rand(len(images), generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(3), images)


@torch.no_grad()
def predict(model: DomainClassifier, images: Tensor, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
    """Penultimate features (N, 128) float64 and predicted classes (N,) int64 for images (N, C, H, W) in [-1, 1]."""
    model.eval()
    device = next(model.parameters()).device
    features, classes = [], []
    for chunk in images.split(batch_size):
        feats = model.features(chunk.to(device, torch.float32))
        features.append(feats.double().cpu())
        classes.append(model.head(feats).argmax(1).cpu())
    return torch.cat(features), torch.cat(classes)


def dataset_images(data: Dataset, batch_size: int = 10_000) -> Tensor:
    """All samples of an image dataset as float32 (N, C, H, W) in [-1, 1]."""
    return torch.cat([data.batch(idx) for idx in torch.arange(len(data)).split(batch_size)])


def accuracy(model: DomainClassifier, test: Dataset) -> float:
    """Share of a labelled dataset's images whose predicted class equals the label."""
    if test.labels is None:
        raise MetricError(f"dataset '{test.name}' has no labels to measure accuracy against")
    _, classes = predict(model, dataset_images(test))
    return float((classes == test.labels.cpu()).double().mean())


def train_classifier(
    train: Dataset,
    *,
    epochs: int = 4,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    augmentation: bool = True,
) -> DomainClassifier:
    """Train a DomainClassifier on a labelled image dataset with Adam and a one-cycle schedule."""
    if train.kind != "image" or train.labels is None or train.num_classes < 2:
        raise MetricError(f"a domain classifier needs labelled images; dataset '{train.name}' has none")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # weight init draws from the global stream
    model = DomainClassifier(train.shape[0], train.num_classes)
    batch_size = min(batch_size, len(train))
    steps_per_epoch = len(train) // batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(train), generator=generator)
        for step in range(steps_per_epoch):
            idx = order[step * batch_size : (step + 1) * batch_size]
            images = train.batch(idx)  # (B, C, H, W) in [-1, 1]
            if augmentation:
                images = augment(images, generator)
            loss = F.cross_entropy(model(images), train.labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def stored(tensor: Tensor) -> Tensor:
    """Floating tensors as STORAGE_DTYPE (halves the shipped file; compute stays float32), others as they are."""
    tensor = tensor.detach().cpu()
    return (tensor.to(STORAGE_DTYPE) if tensor.is_floating_point() else tensor).contiguous()


def save_classifier(model: DomainClassifier, out_dir: Path, dataset: str, **record: object) -> ClassifierRecord:
    """Write `<dataset>.safetensors` and `<dataset>.json` (with the weights' sha256) under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{dataset}.safetensors"
    partial = weights.with_suffix(f".partial-{os.getpid()}")
    save_file({name: stored(tensor) for name, tensor in model.state_dict().items()}, partial)
    os.replace(partial, weights)  # atomic: a concurrent reader sees the old file or the new one, never half
    full = ClassifierRecord(
        dataset=dataset,
        num_classes=model.head.out_features,
        normalisation=NORMALISATION,
        weights_dtype=str(STORAGE_DTYPE).removeprefix("torch."),
        torch_version=torch.__version__,
        weights_file=weights.name,
        sha256=sha256_of(weights),
        **record,  # type: ignore[arg-type]
    )
    record_path = out_dir / f"{dataset}.json"
    # written last: the record's presence means the weights are complete
    atomic.write_text(record_path, json.dumps(asdict(full), indent=2) + "\n")
    return full


def read_record(path: Path) -> ClassifierRecord:
    """The ClassifierRecord stored in a classifier's JSON file."""
    try:
        raw = json.loads(path.read_text())
        raw["input_shape"] = tuple(raw["input_shape"])
        return ClassifierRecord(**raw)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise MetricError(f"classifier record {path} is unreadable: {exc}") from exc


def load_classifier(json_path: Path, device: torch.device | str = "cpu") -> LoadedClassifier:
    """Load the classifier described by `json_path` after checking its weights' sha256."""
    record = read_record(json_path)
    weights = json_path.parent / record.weights_file
    if not weights.is_file():
        raise MetricError(f"classifier weights {weights} are missing")
    actual = sha256_of(weights)
    if actual != record.sha256:
        raise MetricError(
            f"classifier weights {weights} have sha256 {actual[:12]}..., but {json_path.name} records "
            f"{record.sha256[:12]}...; delete or re-create the file"
        )
    model = DomainClassifier(record.input_shape[0], record.num_classes)
    state = {
        name: tensor.float() if tensor.is_floating_point() else tensor for name, tensor in load_file(weights).items()
    }
    model.load_state_dict(state)
    return LoadedClassifier(model.to(device).eval(), record)


def build_classifier(
    train: Dataset, test: Dataset, out_dir: Path, *, epochs: int, seed: int = 0, batch_size: int = 128, lr: float = 3e-3
) -> ClassifierRecord:
    """Train on `train`, measure accuracy on `test`, and save weights + record under `out_dir`."""
    start = time.perf_counter()
    model = train_classifier(train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    train_seconds = time.perf_counter() - start
    # Measure the network as it will be loaded: with the weights rounded to the storage precision.
    model.load_state_dict({name: stored(tensor).to(tensor.dtype) for name, tensor in model.state_dict().items()})
    return save_classifier(
        model,
        out_dir,
        train.name,
        input_shape=tuple(train.shape),
        seed=seed,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        augmentation=AUGMENTATION,
        train_samples=len(train),
        test_accuracy=round(accuracy(model, test), 5),
        train_seconds=round(train_seconds, 1),
    )
