"""`load_dataset`: the registered loader, then subset, channels and resolution applied once at load."""

from __future__ import annotations

from dataclasses import replace

from ganlab.config.schema import DataConfig
from ganlab.data import transform
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.errors import ConfigError
from ganlab.memory import check_fits


def check_points_config(cfg: DataConfig) -> None:
    """Image-only keys make no sense on 2-D point sets: refuse them rather than ignore them."""
    for key, value in (("resolution", cfg.resolution), ("channels", cfg.channels)):
        if value is not None:
            raise ConfigError(f"data.{key}", f"null for the 2-D point set {cfg.name}", value)


def set_channels(data: Dataset, channels: int, when: str) -> Dataset:
    """Convert to `channels` if this is the right moment: `when` is "before" (3->1) or "after" (1->3) resizing."""
    if data.index is not None:
        if channels != data.shape[0]:
            raise ConfigError(
                "data.channels", f"null or {data.shape[0]} for {data.name} (one image per channel)", channels
            )
        return data
    have = data.x.shape[1]
    if have == channels or (when == "before") != (channels < have):
        return data
    converted = transform.to_gray(data.x) if channels == 1 else transform.to_rgb(data.x)
    return replace(data, x=converted)


def load_dataset(cfg: DataConfig, split: Split = "train") -> Dataset:
    """The whole `split` of `cfg.name` on the CPU, with `subset` (train only), `channels` and `resolution` applied."""
    loader = DATASETS.get(cfg.name, key="data.name")
    data = loader(cfg, split)
    if data.kind == "points":
        check_points_config(cfg)
    if cfg.subset is not None and split == "train":
        if cfg.subset > len(data):
            raise ConfigError("data.subset", f"at most {len(data)}, the size of {cfg.name}'s train split", cfg.subset)
        data = transform.first_n(data, cfg.subset)
    if data.kind == "points":
        return data
    if cfg.channels is not None:
        data = set_channels(data, cfg.channels, "before")  # 3 -> 1 first: resize one channel, not three
    if cfg.resolution is not None and data.x.shape[-2:] != (cfg.resolution, cfg.resolution):
        side, n, c = cfg.resolution, len(data.x), data.x.shape[1]
        need = n * c * side * side + transform.RESIZE_CHUNK * c * side * side * 4  # uint8 result + a float chunk
        check_fits(need, "data.resolution", f"{split} split resized ({n} images of {c}x{side}x{side})", side)
        data = replace(data, x=transform.resize(data.x, cfg.resolution))
    if cfg.channels is not None:
        data = set_channels(data, cfg.channels, "after")  # 1 -> 3 last: resize one channel, not three
    return data
