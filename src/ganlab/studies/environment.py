"""Where a study ran: the ganlab commit, the machine and the library versions, kept in study.json per session.

The published results pages (`ganlab report --publish`) print them, so a verdict names the code and the
machine that produced it.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import ganlab


def source_commit(root: Path | None = None) -> str | None:
    """The git commit of the ganlab source tree, with `+changes` when tracked files under it differ from it;
    None outside a git checkout (an installed wheel)."""
    where = root or Path(ganlab.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+changes" if changed else commit


def environment() -> dict[str, Any]:
    """The commit, CPU, cores, memory and versions of this process's machine."""
    import torch

    from ganlab.bench.hardware import device_name

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    try:
        memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        memory_gib = None
    return {
        "ganlab": ganlab.__version__,
        "commit": source_commit(),
        "cpu": device_name(torch.device("cpu")),
        "cores": cores,
        "memory_gib": memory_gib,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
    }
