"""Sample pictures: image grids (torchvision's make_grid) and 2-D point clouds (matplotlib)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import Tensor

from ganlab import atomic


def save_image_grid(images: Tensor, path: Path, nrow: int | None = None) -> None:
    """(N, C, H, W) in [-1, 1] -> a PNG grid, written atomically. Stacked sets (C=3K) show their first 3 channels."""
    from torchvision.utils import save_image

    images = images.detach().float().cpu()
    if images.shape[1] not in (1, 3):
        images = images[:, :3]
    nrow = nrow or max(1, int(math.ceil(math.sqrt(len(images)))))
    atomic.write_with(
        path,
        lambda tmp: save_image(
            images, str(tmp), nrow=nrow, normalize=True, value_range=(-1, 1), padding=2, pad_value=1.0, format="png"
        ),
    )


def save_point_cloud(fake: Tensor, path: Path, real: Tensor | None = None, title: str = "") -> None:
    """Generated 2-D points over a sample of the data, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    if real is not None:
        r = real.detach().float().cpu()
        ax.scatter(r[:, 0], r[:, 1], s=3, alpha=0.3, c="tab:blue", label="data")
    f = fake.detach().float().cpu()
    ax.scatter(f[:, 0], f[:, 1], s=3, alpha=0.6, c="tab:orange", label="generated")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "generated points")
    ax.legend(loc="upper right", markerscale=3)
    ax.set_aspect("equal", adjustable="datalim")
    fig.tight_layout()
    try:
        atomic.write_with(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


@torch.no_grad()
def render_samples(G: torch.nn.Module, z: Tensor, labels: Tensor | None) -> Tensor:
    """G(z) in eval mode (batch norm uses its running statistics), restoring G's mode after."""
    was_training = G.training
    G.eval()
    try:
        return G(z, labels).float()
    finally:
        G.train(was_training)
