"""Sizes are checked against the machine's memory before allocation (issue 17: bounded memory)."""

from __future__ import annotations

import pytest

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset
from ganlab.errors import ConfigError
from ganlab.memory import available_bytes, check_fits, human


def test_a_size_fits_when_under_the_share_of_what_is_available() -> None:
    check_fits(799, "k", "a thing", 1, available=1000)
    with pytest.raises(ConfigError, match=r"config key 'k': expected a size whose a thing fits in memory \(801 B"):
        check_fits(801, "k", "a thing", 1, available=1000)
    assert available_bytes() > 2**20
    assert [human(n) for n in (512, 3 * 2**20, 1.5 * 2**40)] == ["512 B", "3 MiB", "1.5 TiB"]


def test_an_impossible_resolution_is_refused_before_resizing() -> None:
    cfg = DataConfig(name="digits", resolution=200_000)
    with pytest.raises(ConfigError, match="data.resolution.*fits in memory"):
        load_dataset(cfg, "train")
    assert load_dataset(DataConfig(name="digits", resolution=16), "train").x.shape[-1] == 16
