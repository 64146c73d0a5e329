"""The illustrative experiments ("toys") of issue 8: why WGAN, why the gradient penalty.

`run_toy(name, out)` runs one experiment, writes its PNG figure(s) and `<name>.json` (the numbers behind
them, the settings, the seed and the wall time) into `out`, and returns where. `quick=True` shrinks each to
seconds on a CPU; the default runs at the scale of its source. `TOYS.names()` lists them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from ganlab import atomic
from ganlab.progress import Mode
from ganlab.toys import (  # noqa: F401  (importing a module registers its toy)
    clipping_depth,
    critic_1d,
    critic_surface,
    generator_gradient,
    js_vs_emd,
    mixture,
)
from ganlab.toys.base import PROGRESS, TOYS, Toy, ToyOutput

__all__ = ["TOYS", "Toy", "ToyOutput", "run_toy", "write_docs_figures", "DOCS_FIGURES"]

DOCS_FIGURES = Path("docs/figures/toys")  # where the quick figures shown in the docs live, from the repo root


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    # torch's intra-op thread count is process-global: set it for the run only, then restore it.
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_toy(
    name: str,
    out: Path,
    quick: bool = False,
    seed: int = 0,
    threads: int | None = None,
    progress: bool | Mode = True,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run toy `name`, write its figures and `<name>.json` into `out`; ConfigError for an unknown name.
    `progress` as for `ganlab.train`: where each training loop is, on stderr; False is silent. `overrides`
    change the toy's settings ({"iterations": 20000}: a scale between quick and full, recorded in the JSON)."""
    toy = TOYS.get(name, "toy")
    settings = toy.settings(quick, overrides)  # refused before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    token = PROGRESS.set(progress)
    try:
        with _torch_threads(threads):
            result = toy.run(out, settings, seed)
    finally:
        PROGRESS.reset(token)
    seconds = time.perf_counter() - start
    record = {
        "toy": name,
        "summary": toy.summary,
        "source": toy.source,
        "quick": quick,
        "overrides": dict(overrides or {}),
        "seed": seed,
        "seconds": seconds,
        "torch_threads": threads if threads is not None else torch.get_num_threads(),
        "settings": result.settings,
        "figures": [p.name for p in result.figures],
        "numbers": result.numbers,
    }
    json_path = out / f"{name}.json"
    atomic.write_text(json_path, json.dumps(record, indent=1) + "\n")
    return {"figures": result.figures, "json": json_path, "numbers": result.numbers, "seconds": seconds}


def write_docs_figures(
    out: Path = DOCS_FIGURES, seed: int = 0, threads: int | None = 1, quick: bool = True, names: list[str] | None = None
) -> list[Path]:
    """Run the toys (all, or `names`) and copy their PNGs into `out` (default docs/figures/toys); JSONs stay out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in names or TOYS.names():
            for figure in run_toy(name, Path(scratch) / name, quick=quick, seed=seed, threads=threads, progress=False)[
                "figures"
            ]:
                written.append(Path(shutil.copy2(figure, out / figure.name)))
    return written
