"""Carvana preprocessing (seed 000 §4.1) and the `carvana` dataset that loads its output.

Seed 000 §4.1: apply each photo's mask (background -> white), crop one fixed square that holds every car
(640 x 640 on the 1918 x 1280 photos), resize to 64 x 64. The output folder is a plain folder of PNGs, usable as
data.name=folder too; a marker file records that ganlab wrote it, so re-running may replace its own files only.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image

from ganlab import atomic
from ganlab.config.schema import DataConfig
from ganlab.data import folder, locate
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo
from ganlab.errors import ConfigError, DataError
from ganlab.memory import check_fits

NAME = "carvana"
MARKER = ".ganlab-carvana.json"
MASK_SUFFIX = "_mask.gif"  # Carvana's train_masks/<id>_mask.gif for train/<id>.jpg
PHOTO_SUFFIXES = (".jpg", ".jpeg")
FOREGROUND_THRESHOLD = 128  # masks are 0 (background) / 255 (car) once converted to L
WHITE = (255, 255, 255)
DEFAULT_SIZE = 64  # seed 000 §4.1: 64 x 64 training images
HOW = (
    "run `ganlab data prepare carvana --images DIR --masks DIR --out DIR` on Kaggle's Carvana Image Masking "
    "Challenge train/ and train_masks/, then set data.root to the output directory"
)
Box = tuple[int, int, int, int]  # (left, top, right, bottom), right/bottom exclusive, as PIL uses


def pair_files(images_dir: Path, masks_dir: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """(photo, mask) pairs by Carvana's names, sorted, and the photos that have no mask."""
    photos = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    pairs, unmasked = [], []
    for photo in photos:
        mask = masks_dir / f"{photo.stem}{MASK_SUFFIX}"
        if mask.is_file():
            pairs.append((photo, mask))
        else:
            unmasked.append(photo)
    return pairs, unmasked


def read_mask(path: Path) -> Image.Image:
    """The mask as an L image, 255 on the car and 0 elsewhere (palette GIFs map through their palette)."""
    with Image.open(path) as mask:
        gray = mask.convert("L")
    return gray.point(lambda v: 255 if v >= FOREGROUND_THRESHOLD else 0)


def union_box(
    pairs: list[tuple[Path, Path]],
) -> tuple[Box | None, tuple[int, int] | None, list[Path], list[tuple[Path, str]]]:
    """The union bounding box of every mask's car, the common photo size, masks with no car, unreadable masks."""
    union: Box | None = None
    size: tuple[int, int] | None = None
    empty: list[Path] = []
    unreadable: list[tuple[Path, str]] = []
    for _, mask_path in pairs:
        try:
            mask = read_mask(mask_path)
        except folder.UNREADABLE as err:
            unreadable.append((mask_path, str(err)))
            continue
        if size is None:
            size = mask.size
        elif mask.size != size:
            raise DataError(
                f"{mask_path} is {mask.size[0]}x{mask.size[1]} but earlier masks are {size[0]}x{size[1]}: "
                "one fixed crop needs photos of one size"
            )
        box = mask.getbbox()
        if box is None:
            empty.append(mask_path)
            continue
        union = (
            box
            if union is None
            else (min(union[0], box[0]), min(union[1], box[1]), max(union[2], box[2]), max(union[3], box[3]))
        )
    return union, size, empty, unreadable


def square_box(union: Box, image_size: tuple[int, int], side: int | None) -> Box:
    """A square of `side` (default: the union's longer side) centred on the union, shifted to lie inside the photo.

    A square larger than the photo stays centred and the part outside is filled with white.
    """
    side = side or max(union[2] - union[0], union[3] - union[1])
    origin = []
    for low, high, extent in ((union[0], union[2], image_size[0]), (union[1], union[3], image_size[1])):
        start = round((low + high - side) / 2)
        origin.append(min(max(start, 0), extent - side) if side <= extent else (extent - side) // 2)
    return origin[0], origin[1], origin[0] + side, origin[1] + side


def cut_car(photo_path: Path, mask_path: Path, box: Box, size: int) -> Image.Image:
    """The photo with its background white, cropped to `box` and resized to size x size (LANCZOS)."""
    with Image.open(photo_path) as photo:
        rgb = photo.convert("RGB")
    mask = read_mask(mask_path)
    if mask.size != rgb.size:
        raise DataError(f"{mask_path} is {mask.size[0]}x{mask.size[1]} but {photo_path} is {rgb.size[0]}x{rgb.size[1]}")
    car = Image.composite(rgb, Image.new("RGB", rgb.size, WHITE), mask)
    square = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), WHITE)
    square.paste(car, (-box[0], -box[1]))  # parts of the box outside the photo stay white
    return square.resize((size, size), Image.Resampling.LANCZOS)


def claim_out_dir(out_dir: Path, planned: list[str], settings: dict[str, Any]) -> None:
    """Make `out_dir` ours: refuse a non-empty folder without our marker; else remove what we wrote there before."""
    marker = out_dir / MARKER
    if out_dir.exists() and any(out_dir.iterdir()) and not marker.is_file():
        raise DataError(
            f"{out_dir} is not empty and was not written by `ganlab data prepare carvana`; "
            "choose an empty or new output directory"
        )
    if marker.is_file():
        for name in json.loads(marker.read_text()).get("files", []):
            if os.sep not in name and (out_dir / name).is_file():  # only plain names we wrote ourselves
                (out_dir / name).unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_text(marker, json.dumps({**settings, "files": planned}, indent=1))


def prepare_carvana(
    images_dir: str | Path,
    masks_dir: str | Path,
    out_dir: str | Path,
    size: int = DEFAULT_SIZE,
    crop: int | None = None,
) -> dict[str, Any]:
    """Masked, square-cropped, resized Carvana PNGs in `out_dir` (seed 000 §4.1); returns what was done."""
    images_dir, masks_dir, out_dir = Path(images_dir), Path(masks_dir), Path(out_dir)
    for key, value in (("size", size), ("crop", crop)):
        if value is not None and value <= 0:
            raise ConfigError(key, "a positive number of pixels", value)
    check_fits(size * size * 3 * 4, "--size", f"one {size}x{size} RGB image being resized", size)
    for what, directory in (("images", images_dir), ("masks", masks_dir)):
        if not directory.is_dir():
            raise DataError(f"carvana {what} directory {directory} does not exist")
    pairs, unmasked = pair_files(images_dir, masks_dir)
    if not pairs:
        raise DataError(f"no photo in {images_dir} has a mask <id>{MASK_SUFFIX} in {masks_dir}")
    union, image_size, empty, unreadable = union_box(pairs)
    if union is None or image_size is None:
        raise DataError(f"no mask in {masks_dir} shows a car (all {len(pairs)} are empty or unreadable)")
    box = square_box(union, image_size, crop)
    skip = set(empty) | {path for path, _ in unreadable}
    kept = [(photo, mask) for photo, mask in pairs if mask not in skip]
    settings = {"size": size, "crop_box": list(box), "images": str(images_dir), "masks": str(masks_dir)}
    claim_out_dir(out_dir, [f"{photo.stem}.png" for photo, _ in kept], settings)
    written = 0
    for photo, mask in kept:
        try:
            image = cut_car(photo, mask, box, size)
            atomic.write_with(out_dir / f"{photo.stem}.png", partial(image.save, format="PNG"))
            written += 1
        except folder.UNREADABLE as err:  # one corrupt photo should not stop 5000: counted and reported
            unreadable.append((photo, str(err)))
    if written == 0:
        raise DataError(
            f"none of the {len(kept)} masked photos in {images_dir} could be read; first: {first(unreadable)}"
        )
    return {
        "out": str(out_dir),
        "written": written,
        "size": size,
        "crop_box": list(box),
        "photo_size": list(image_size),
        "unmasked": len(unmasked),
        "unmasked_first": str(unmasked[0]) if unmasked else None,
        "empty_masks": len(empty),
        "unreadable": len(unreadable),
        "unreadable_first": first(unreadable),
    }


def first(problems: list[tuple[Path, str]]) -> str | None:
    """The first problem as "path (reason)", for the report."""
    return f"{problems[0][0]} ({problems[0][1]})" if problems else None


def serves(directory: Path) -> bool:
    return (directory / MARKER).is_file()


@DATASETS.register(NAME)
def load_carvana(cfg: DataConfig, split: Split) -> Dataset:
    """The prepared Carvana PNGs, unlabelled; the test split is the same images (Carvana has no held-out part here)."""
    result = locate.search(NAME, cfg.root, serves)
    if result.found is None:
        raise locate.missing(NAME, f"prepared images ({MARKER} marker)", result, None, HOW)
    limit = cfg.subset if split == "train" else None
    return folder.load_images(result.found, cfg.resolution, limit, name=NAME)


def where(root: str | None) -> str | None:
    found = locate.search(NAME, root, serves).found
    return None if found is None else str(found)


INFO.add(NAME, DatasetInfo("image", (3, DEFAULT_SIZE, DEFAULT_SIZE), 0, HOW, where, held_out=False))
