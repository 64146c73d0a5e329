"""`mixture`: GAN, WGAN and WGAN-GP trained on 8 and 25 Gaussians: snapshots and mode coverage.

Mode collapse (seed 000 §5.2, seed 001 §2.5): a GAN generator tends to cover a few modes of a multi-modal
distribution; the Wasserstein critics, especially with the gradient penalty, spread it over more of them.
Every model trains with the same seed, data, networks, batch and number of generator iterations; each keeps
its own recipe: GAN (non-saturating, Adam, one D step per G step), WGAN (clip c = 0.01, RMSProp 5e-5,
n_critic = 5; seed 003 Alg. 1) and WGAN-GP (lambda = 0.1 as the toys of seed 000 App. A, Adam(0.5, 0.9),
n_critic = 5). Coverage uses ganlab.metrics.modes: a sample is high quality within 3 std of its nearest
centre; a mode is covered when at least `min_count` high-quality samples are nearest to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from ganlab.metrics.modes import high_quality_share, mixture_modes_covered, nearest_mode
from ganlab.toys.base import Toy, ToyClaim, ToyOutput, iterations, register
from ganlab.toys.figures import DPI, save
from ganlab.toys.nets import MLP
from ganlab.toys.points import batch_of, centres_of, load_points
from ganlab.toys.steps import (
    GAN,
    WGAN_CLIP,
    WGAN_GP,
    CriticSpec,
    adversarial_loss,
    critic_step,
    generator_step,
    lipschitz,
    optimizer,
)
from ganlab.training.algorithm import iteration


@dataclass(frozen=True)
class MixtureSettings:
    datasets: tuple[str, ...] = ("8gaussians", "25gaussians")
    data_points: int = 100_000
    noise: float | None = None  # std of every mixture component (None: the data layer's, 0.02 and 0.05)
    z_dim: int = 2
    width: int = 128
    layers: int = 4
    batch: int = 256
    iterations: int = 10_000  # generator steps
    n_critic: int = 5  # critic steps per G step for WGAN and WGAN-GP (seed 003 Alg. 1); the GAN takes 1
    lr_scale: float = 1.0  # multiplies every model's learning rate
    snapshots: int = 4  # scatter plots over training (the last one at the end)
    eval_samples: int = 2_500  # samples scored by the mode metrics (Metz et al. 2017; VEEGAN)
    min_count: int = 10  # high-quality samples a mode needs to count as covered
    shown_samples: int = 384  # generated points drawn per panel (the metrics use eval_samples)


Snapshot = Callable[[int, MLP], None]  # on_snapshot(generator iteration, G)

FULL = MixtureSettings()
# Quick: 600 G steps at 5x the learning rates, a narrower net, and wider components (std 0.1 instead of
# 0.02 / 0.05) so that a few hundred steps can bring samples within 3 std of a centre.
QUICK = replace(FULL, iterations=600, lr_scale=5.0, width=64, noise=0.1)


def specs(settings: MixtureSettings) -> list[tuple[CriticSpec, int]]:
    """(recipe, critic steps per G step) for each model."""
    scaled = [replace(spec, lr=spec.lr * settings.lr_scale) for spec in (GAN, WGAN_CLIP, WGAN_GP)]
    return [(scaled[0], 1), (scaled[1], settings.n_critic), (scaled[2], settings.n_critic)]


def mode_scores(points: Tensor, centres: Tensor, std: float, min_count: int) -> dict[str, float]:
    """modes covered and the high-quality share of `points` (N, 2), by ganlab.metrics.modes."""
    index, distance = nearest_mode(points, centres)
    return {
        "modes": mixture_modes_covered(index, distance, len(centres), std, min_count),
        "high_quality": high_quality_share(distance, std),
    }


def train(
    spec: CriticSpec, n_critic: int, data: Tensor, settings: MixtureSettings, seed: int, on_snapshot: Snapshot
) -> None:
    """Train G and D with `spec` on `data` (N, 2), already standardised; on_snapshot(iteration, G) at each snapshot."""
    init, noise = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    G = MLP(settings.z_dim, 2, settings.width, settings.layers, init)
    D = MLP(2, 1, settings.width, settings.layers, init)
    opt_g, opt_d = optimizer(list(G.parameters()), spec), optimizer(list(D.parameters()), spec)
    loss, control = adversarial_loss(spec), lipschitz(spec)
    control.after_d_step(D)
    marks = set(np.linspace(0, settings.iterations, settings.snapshots + 1).round().astype(int)[1:].tolist())

    def d_update(_: int) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = G(torch.randn(settings.batch, settings.z_dim, generator=noise))
        return critic_step(D, opt_d, loss, control, batch_of(data, settings.batch, noise), fake, noise)

    def g_update() -> Tensor:
        return generator_step(G, D, opt_g, loss, torch.randn(settings.batch, settings.z_dim, generator=noise))

    for step in iterations(settings.iterations, f"mixture {spec.label}", start=1):
        iteration(n_critic, d_update, g_update)  # n_critic critic updates, then one of G (WGAN-GP Alg. 1)
        if step in marks:
            on_snapshot(step, G)


def run_model(spec: CriticSpec, n_critic: int, name: str, data: Tensor, settings: MixtureSettings, seed: int) -> dict:
    """Train one model on one set; its snapshots (samples to draw, mode scores) in training order."""
    centres, std = centres_of(name, settings.noise)
    # gan_toy.py (seed 000 App. A's template) divides each set by its standard deviation before training;
    # G learns the standardised set and its samples are scaled back before they are scored and drawn.
    scale = float(data.std())
    probe = torch.Generator().manual_seed(seed + 2)
    snapshots: list[dict] = []

    @torch.no_grad()
    def on_snapshot(iteration: int, G: MLP) -> None:
        points = scale * G(torch.randn(settings.eval_samples, settings.z_dim, generator=probe))
        snapshots.append(
            {
                "iteration": iteration,
                "points": points[: settings.shown_samples].tolist(),
                **mode_scores(points, centres, std, settings.min_count),
            }
        )

    train(spec, n_critic, data / scale, settings, seed, on_snapshot)
    return {"n_critic": n_critic, "snapshots": snapshots, **{k: snapshots[-1][k] for k in ("modes", "high_quality")}}


def draw(name: str, result: dict, data: Tensor, settings: MixtureSettings, path: Path) -> Path:
    """Rows: models; columns: snapshots over training; real data in grey, generated points in colour."""
    models = list(result["models"].items())
    fig = Figure(figsize=(2.1 * settings.snapshots + 0.5, 2.1 * len(models) + 0.6), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(models), settings.snapshots, sharex=True, sharey=True, squeeze=False)
    real = data[: 2 * settings.shown_samples]
    lim = float(data.abs().max()) * 1.3
    for row, (label, model) in enumerate(models):
        for col, snap in enumerate(model["snapshots"]):
            ax = axes[row][col]
            points = np.asarray(snap["points"])
            ax.scatter(real[:, 0], real[:, 1], s=2, c="lightgray", label="real")
            ax.scatter(points[:, 0], points[:, 1], s=2, c=f"C{row}", label=f"{label} samples")
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.set_title(f"it {snap['iteration']}: {snap['modes']} modes, HQ {snap['high_quality']:.0%}", fontsize=8)
            if col == 0:
                ax.set_ylabel(f"{label}\nx₂")
            if row == len(models) - 1:
                ax.set_xlabel("x₁")
        axes[row][0].legend(fontsize=6, loc="lower left", markerscale=3)
    fig.suptitle(f"{name}: generated samples over training (modes covered of {result['num_modes']}, HQ = within 3σ)")
    return save(fig, path)


def run(out: Path, settings: MixtureSettings, seed: int) -> ToyOutput:
    figures, numbers = [], {}
    for name in settings.datasets:
        data = load_points(name, settings.data_points, settings.noise)
        result: dict = {"num_modes": len(centres_of(name)[0]), "std": centres_of(name, settings.noise)[1], "models": {}}
        for spec, n_critic in specs(settings):
            result["models"][spec.label] = run_model(spec, n_critic, name, data, settings, seed)
        figures.append(draw(name, result, data, settings, out / f"mixture-{name}.png"))
        numbers[name] = result
    return ToyOutput(figures, numbers, asdict(settings))


def gp_covers_as_many_modes(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    holds = all(r["models"]["WGAN-GP"]["modes"] >= r["models"]["GAN"]["modes"] for r in numbers.values())
    shown = "; ".join(
        f"{name} ({r['num_modes']} modes): " + ", ".join(f"{label} {m['modes']}" for label, m in r["models"].items())
        for name, r in numbers.items()
    )
    return holds, f"modes covered: {shown}"


CLAIMS = (
    ToyClaim(
        "WGAN-GP covers at least as many modes of a Gaussian mixture as the GAN (the GAN's mode collapse), with "
        "the same seed and budget",
        "seed 000 §2, §5.2; seed 001 §2.5",
        gp_covers_as_many_modes,
    ),
)


register(
    Toy(
        name="mixture",
        summary="GAN, WGAN and WGAN-GP on 8 and 25 Gaussians: samples over training and modes covered",
        source="mode collapse: seed 000 §5.2, seed 001 §2.5; metrics after Metz et al. 2017 and VEEGAN",
        run=run,
        full=FULL,
        quick=QUICK,
        claims=CLAIMS,
    )
)
