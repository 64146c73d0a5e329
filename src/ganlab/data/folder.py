"""Any directory tree of images; the first-level sub-folders, when there are any, are the classes.

Each image is decoded once with PIL at load time. Unreadable files are skipped, counted and reported in one
warning rather than failing: one bad JPEG should not make a folder of 100 000 photos unusable; a folder where
most files are unreadable is refused. 16-bit images are scaled to 8 bits (not clipped, as PIL's convert does),
and images much smaller than data.resolution (upscaled, so blurred) are counted in one warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ganlab.config.schema import DataConfig
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo
from ganlab.errors import ConfigError, DataError, GanlabWarning

if TYPE_CHECKING:
    import torch

NAME = "folder"
SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})
# What PIL raises on a file that is not a decodable image of a supported kind.
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
HOW = "set data.root to a directory of images (png, jpg, jpeg, gif, bmp, webp); sub-folders are the classes"


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith(".")


def tree_images(directory: Path) -> list[Path]:
    """Image files anywhere under `directory`, sorted, skipping hidden files and folders."""
    found = (
        p for p in directory.rglob("*") if not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )
    return sorted(p for p in found if is_image(p))


def list_images(root: Path) -> tuple[list[Path], list[int] | None, list[str]]:
    """(files, class id per file or None, class names): classes are the sorted sub-folders holding images.

    With sub-folders, images loose at the top level are ignored, as torchvision's ImageFolder does.
    """
    subdirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    per_class = [(d.name, tree_images(d)) for d in subdirs]
    per_class = [(name, files) for name, files in per_class if files]
    if not per_class:
        return sorted(p for p in root.iterdir() if is_image(p)), None, []
    files = [f for _, class_files in per_class for f in class_files]
    labels = [k for k, (_, class_files) in enumerate(per_class) for _ in class_files]
    return files, labels, [name for name, _ in per_class]


def fit_square(image: Image.Image, side: int) -> Image.Image:
    """Resize so the shorter side is `side`, then centre-crop to side x side (keeps the aspect ratio)."""
    w, h = image.size
    scale = side / min(w, h)
    new_w, new_h = max(side, round(w * scale)), max(side, round(h * scale))
    # BILINEAR in PIL widens its kernel when shrinking: the same antialiased filter as the tensor resize
    resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    left, top = (new_w - side) // 2, (new_h - side) // 2
    return resized.crop((left, top, left + side, top + side))


def is_gray(image: Image.Image) -> bool:
    """Whether an image has no colour: a gray mode, or a palette whose entries all have R = G = B (gray GIFs)."""
    if image.mode == "P":
        palette = image.getpalette() or []
        return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))
    return image.mode in GRAY_MODES


WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # 16-bit gray (PNG, TIFF) as PIL opens it


def to_8bit(image: Image.Image) -> Image.Image:
    """A 16-bit gray image scaled to 8 bits (65535 -> 255, v / 257 rounded); PIL's convert("L") would clip every
    value above 255 to white. Other modes are returned as they are."""
    if image.mode not in WIDE_MODES:
        return image
    wide = np.asarray(image, dtype=np.float64)
    return Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8), "L")


def decode(path: Path, resolution: int | None) -> tuple[np.ndarray, tuple[int, int]]:
    """One image as uint8 (H, W) when grayscale or (H, W, 3), resized to the square `resolution` if given, and
    its size (W, H) in the file."""
    with Image.open(path) as file:
        file.load()
        image = to_8bit(file)
        image = image.convert("L" if is_gray(image) else "RGB")
    size = image.size
    if resolution is not None and image.size != (resolution, resolution):
        image = fit_square(image, resolution)
    return np.asarray(image), size


def size_text(array: np.ndarray) -> str:
    """W x H of a decoded image, the way image tools print sizes."""
    return f"{array.shape[1]}x{array.shape[0]}"


@dataclass
class Decoded:
    """Images decoded so far, and the files skipped as unreadable."""

    arrays: list[np.ndarray] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # positions in the file list
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    small: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)  # upscaled more than SMALL_FACTOR


SMALL_FACTOR = 2  # an image whose shorter side is under resolution / SMALL_FACTOR is reported as upscaled


def decode_all(files: list[Path], resolution: int | None, limit: int | None) -> Decoded:
    """Decode up to `limit` readable files in order; differing sizes without `resolution` are a DataError."""
    out = Decoded()
    for position, path in enumerate(files):
        if limit is not None and len(out.arrays) >= limit:
            break
        try:
            array, size = decode(path, resolution)
        except UNREADABLE as err:
            out.skipped.append((path, f"{type(err).__name__}: {err}"))
            continue
        if resolution is not None and min(size) * SMALL_FACTOR < resolution:
            out.small.append((path, size))
        if out.arrays and array.shape[:2] != out.arrays[0].shape[:2]:
            first = files[out.kept[0]]
            raise DataError(
                f"{first} is {size_text(out.arrays[0])} but {path} is {size_text(array)}: images differ in size; "
                "set data.resolution to resize them all at load"
            )
        out.arrays.append(array)
        out.kept.append(position)
    return out


def stack(arrays: list[np.ndarray]) -> torch.Tensor:
    """uint8 (N, C, H, W): one channel if every image is grayscale, else three (gray ones repeated)."""
    import torch

    if all(a.ndim == 2 for a in arrays):
        return torch.from_numpy(np.stack(arrays)).unsqueeze(1)
    rgb = [np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a for a in arrays]
    return torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2).contiguous()


def load_images(root: Path, resolution: int | None, limit: int | None, name: str = NAME) -> Dataset:
    """Every readable image under `root` (the first `limit` when given) as one uint8 Dataset."""
    import torch

    if not root.is_dir():
        raise DataError(f"{name}: {root} is not a directory ({HOW})")
    files, labels, classes = list_images(root)
    decoded = decode_all(files, resolution, limit)
    if not decoded.arrays:
        what = f"all {len(files)} image files are unreadable" if files else "holds no image files"
        first = f" (first: {decoded.skipped[0][0]}: {decoded.skipped[0][1]})" if decoded.skipped else ""
        raise DataError(f"{name}: {root} {what}{first}; expected {', '.join(sorted(SUFFIXES))} files")
    if decoded.skipped:
        path, reason = decoded.skipped[0]
        tried = len(decoded.skipped) + len(decoded.arrays)
        if len(decoded.skipped) > len(decoded.arrays):  # mostly unusable: a wrong folder, not a few bad files
            raise DataError(
                f"{name}: {len(decoded.skipped)} of {tried} image files under {root} are unreadable (first: {path}: "
                f"{reason}); expected a folder of mostly readable {', '.join(sorted(SUFFIXES))} files"
            )
        message = (
            f"{name}: skipped {len(decoded.skipped)} unreadable image file(s) under {root}; first: {path} ({reason})"
        )
        warnings.warn(message, GanlabWarning, stacklevel=4)  # points at the caller of load_dataset
    if decoded.small:
        path, (w, h) = decoded.small[0]
        warnings.warn(
            f"{name}: {len(decoded.small)} of {len(decoded.arrays)} images under {root} are smaller than half of "
            f"data.resolution={resolution} and were upscaled (blurred); first: {path} ({w}x{h})",
            GanlabWarning,
            stacklevel=4,
        )
    y = None if labels is None else torch.tensor([labels[i] for i in decoded.kept], dtype=torch.int64)
    return Dataset(name, "image", stack(decoded.arrays), y, len(classes), str(root))


@DATASETS.register(NAME)
def load_folder(cfg: DataConfig, split: Split) -> Dataset:
    """All images under `data.root`; the test split is the same images as the train split (no held-out part)."""
    if cfg.root is None:
        raise ConfigError("data.root", "a directory of images", None)
    limit = cfg.subset if split == "train" else None  # decode no more than `subset` asks for
    return load_images(Path(cfg.root).expanduser(), cfg.resolution, limit)


def where(root: str | None) -> str | None:
    """The folder itself, when data.root names one."""
    return root if root is not None and Path(root).is_dir() else None


INFO.add(NAME, DatasetInfo("image", None, None, HOW, where, held_out=False))
