"""Figure plumbing shared by the toys: one size and resolution, no pyplot global state.

Figures are `matplotlib.figure.Figure` objects drawn on the Agg canvas, so a run never opens a window and
never touches pyplot's current figure (safe inside tests and the CLI alike).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ganlab import atomic

DPI = 110  # 8 x 4 in at 110 dpi = 880 x 440 px: readable in a README, well under 200 KB as PNG
WIDE = (8.0, 4.0)  # one or two panels
TRIPLE = (11.0, 3.8)  # three panels side by side


def new_figure(size: tuple[float, float] = WIDE) -> Figure:
    """An empty figure of `size` inches at the toys' resolution, with constrained layout."""
    return Figure(figsize=size, dpi=DPI, layout="constrained")


def save(fig: Figure, path: Path) -> Path:
    """Write `fig` as PNG to `path` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # optimize: smaller files for the docs
    return atomic.write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI, pil_kwargs={"optimize": True}))


def value_map(ax: Axes, xs: np.ndarray, ys: np.ndarray, values: np.ndarray, label: str) -> None:
    """A filled contour of `values` (len(ys), len(xs)) over the grid, with a colour bar named `label`."""
    filled = ax.contourf(xs, ys, values, levels=20, cmap="viridis")
    ax.contour(xs, ys, values, levels=10, colors="k", linewidths=0.4, alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label=label, shrink=0.9)
    ax.set_aspect("equal")
