"""Sizes checked against this machine's memory before anything is allocated: a typo in `--samples`, `-n`,
`data.resolution` or `--size` is refused in one line naming it, instead of an out-of-memory kill minutes later."""

from __future__ import annotations

import os
from pathlib import Path

from ganlab.errors import ConfigError

SHARE = 0.8  # of the memory available now that one allocation may take


def available_bytes() -> int:
    """Memory available to a new allocation: MemAvailable on Linux, else the physical memory."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def human(nbytes: float) -> str:
    """`512 MiB`, `3.2 GiB`, `1.1e+03 TiB`."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            value = nbytes / size
            return f"{value:.3g} {unit}"
    return f"{nbytes:.0f} B"


def check_fits(nbytes: int, key: str, what: str, got: object, available: int | None = None) -> None:
    """ConfigError naming `key` when `what` (`nbytes`) would take more than SHARE of the memory available."""
    free = available_bytes() if available is None else available
    if nbytes > SHARE * free:
        raise ConfigError(
            key, f"a size whose {what} fits in memory ({human(nbytes)} needed, {human(free)} available here)", got
        )
