"""`critic-surface`: value surfaces and weight histograms of a weight-clipped and a gradient-penalty critic.

Seed 000 §3.3 Fig. 3 and App. A (after Gulrajani et al. 2017, Fig. 1a): the real data is an S-shaped curve
with Gaussian noise of std 0.01; the generator is fixed to "the real data with unit-variance Gaussian noise
added"; both critics are "4 layers of MLP with ReLU and 512 units, without batch normalization" (4 linear
layers, see ganlab.toys.nets), trained for 86,000 iterations; clipping to [-0.1, 0.1] (§3.3); gradient-penalty
coefficient 0.1 (App. A). Swiss roll and 8 Gaussians are drawn as well, as in Gulrajani's Fig. 1a.
The clipped critic learns a simple function and its weights pile at ±c; the GP critic follows the data and
its weights spread out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganlab.toys.base import Toy, ToyClaim, ToyOutput, iterations, register
from ganlab.toys.figures import TRIPLE, new_figure, save, value_map
from ganlab.toys.nets import MLP, flat_weights
from ganlab.toys.points import batch_of, extent, load_points
from ganlab.toys.steps import WGAN_CLIP, WGAN_GP, CriticSpec, adversarial_loss, critic_step, lipschitz, optimizer


@dataclass(frozen=True)
class SurfaceSettings:
    datasets: tuple[str, ...] = ("scurve", "swissroll", "8gaussians")
    scurve_noise: float = 0.01  # seed 000 App. A: S-curve with Gaussian noise of std 0.01
    data_points: int = 100_000
    generator_noise: float = 1.0  # fixed generator: real data + N(0, 1) noise (seed 000 App. A)
    batch: int = 256  # gan_toy.py, the template of seed 000 App. A
    width: int = 512
    layers: int = 4
    iterations: int = 86_000  # critic steps, seed 000 App. A
    clip: float = 0.1  # seed 000 §3.3: weights clipped to [-0.1, 0.1]
    gp_weight: float = 0.1  # seed 000 App. A: "the gradient penalty coefficient was selected to be 0.1"
    clip_lr: float = 5e-5  # RMSProp, seed 003 WGAN Alg. 1
    gp_lr: float = 1e-4  # Adam(beta = 0.5, 0.9), gan_toy.py
    hist_range: float = 2.0  # the weight histogram spans [-hist_range * c, hist_range * c]
    grid_points: int = 81  # per side of the value-surface grid
    bound_tolerance: float = 0.05  # a weight "sits at the bound" when ||w| - c| <= tolerance * c


FULL = SurfaceSettings()
# Quick: fewer, larger steps of a narrower critic, so the clipped weights reach ±c within seconds.
QUICK = replace(FULL, width=256, iterations=200, clip_lr=5e-4, gp_lr=1e-3, grid_points=61)


def specs(settings: SurfaceSettings) -> tuple[CriticSpec, CriticSpec]:
    clip = replace(WGAN_CLIP, label=f"WGAN, clip c={settings.clip:g}", clip=settings.clip, lr=settings.clip_lr)
    gp = replace(WGAN_GP, label=f"WGAN-GP, λ={settings.gp_weight:g}", gp_weight=settings.gp_weight, lr=settings.gp_lr)
    return clip, gp


def train_critic(spec: CriticSpec, data: Tensor, settings: SurfaceSettings, seed: int) -> MLP:
    """A critic trained against the fixed generator G(x) = x + N(0, noise^2 I), x a real point."""
    init, noise = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    D = MLP(2, 1, settings.width, settings.layers, init)
    opt, loss, control = optimizer(list(D.parameters()), spec), adversarial_loss(spec), lipschitz(spec)
    for _ in iterations(settings.iterations, f"critic-surface {spec.label}"):
        real = batch_of(data, settings.batch, noise)
        fake = batch_of(data, settings.batch, noise) + settings.generator_noise * torch.randn(
            real.shape, generator=noise
        )
        critic_step(D, opt, loss, control, real, fake, noise)
    return D


@torch.no_grad()
def surface(D: MLP, half_width: float, grid_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Critic values on a square grid: (axis values (G,), values (G, G) indexed [y, x])."""
    axis = torch.linspace(-half_width, half_width, grid_points)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    values = D(torch.stack([xs.flatten(), ys.flatten()], dim=1)).view(grid_points, grid_points)
    return axis.numpy(), values.numpy()


def weight_stats(weights: Tensor, bound: float, tolerance: float) -> dict[str, float]:
    """How the weights sit: share with |w| within `tolerance` * bound of the clipping bound, max |w|, std."""
    magnitude = weights.abs()
    return {
        "share_at_clip_bound": float(((magnitude - bound).abs() <= tolerance * bound).double().mean()),
        "max_abs": float(magnitude.max()),
        "std": float(weights.std()),
    }


def draw(name: str, result: dict, settings: SurfaceSettings, real: Tensor, path: Path) -> Path:
    """Three panels: the clipped critic's surface, the GP critic's surface, and both weight histograms."""
    fig = new_figure(TRIPLE)
    axes = fig.subplots(1, 3)
    axis = np.asarray(result["grid"])
    for ax, (label, row) in zip(axes[:2], result["critics"].items(), strict=True):
        value_map(ax, axis, axis, np.asarray(row["surface"]), "critic value f(x)")
        ax.scatter(real[:, 0], real[:, 1], s=2, c="white", label="real data")
        ax.set(title=label, xlabel="x₁", ylabel="x₂")
        ax.legend(fontsize=7, loc="upper right", facecolor="gray")
    hist = axes[2]
    for label, row in result["critics"].items():
        outside = 100 * row["share_outside_hist"]
        hist.stairs(row["hist_counts"], result["hist_edges"], lw=1.5, label=f"{label} ({outside:.0f}% off-axis)")
    for sign in (-1, 1):
        hist.axvline(sign * settings.clip, color="k", ls=":", lw=1, label="±c" if sign > 0 else None)
    hist.set(title="Critic weights", xlabel="weight value w", ylabel="number of weights")
    hist.legend(fontsize=7, loc="upper center")
    fig.suptitle(f"{name}: critics against G(x) = x + N(0, I) after {settings.iterations} steps (seed 000 Fig. 3)")
    return save(fig, path)


def critic_numbers(D: MLP, spec: CriticSpec, settings: SurfaceSettings, axis: np.ndarray, edges: np.ndarray) -> dict:
    """The surface of a trained critic on the grid `axis`, its weight histogram on `edges` and weight stats."""
    weights = flat_weights(D)
    _, values = surface(D, float(axis[-1]), len(axis))
    counts, _ = np.histogram(weights.numpy(), bins=edges)
    return {
        "lipschitz": spec.lipschitz,
        "surface": np.round(values, 5).tolist(),  # (G, G) indexed [y, x]
        "hist_counts": counts.tolist(),
        "share_outside_hist": float((weights.abs() > edges[-1]).double().mean()),
        **weight_stats(weights, settings.clip, settings.bound_tolerance),
    }


def run(out: Path, settings: SurfaceSettings, seed: int) -> ToyOutput:
    figures, numbers = [], {}
    # One histogram range for every critic: the clipping range and as much again on each side.
    edges = np.linspace(-settings.hist_range * settings.clip, settings.hist_range * settings.clip, 61)
    for name in settings.datasets:
        data = load_points(name, settings.data_points, settings.scurve_noise if name == "scurve" else None)
        half_width = extent(data, settings.generator_noise * 1.5)
        axis = np.linspace(-half_width, half_width, settings.grid_points)
        result: dict = {"grid": axis.tolist(), "hist_edges": edges.tolist(), "critics": {}}
        for spec in specs(settings):
            D = train_critic(spec, data, settings, seed)
            result["critics"][spec.label] = critic_numbers(D, spec, settings, axis, edges)
        shown = batch_of(data, 500, torch.Generator().manual_seed(seed))
        figures.append(draw(name, result, settings, shown, out / f"critic-surface-{name}.png"))
        numbers[name] = result
    return ToyOutput(figures, numbers, asdict(settings))


def clipped_weights_pile_at_the_bound(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    def shown(result: dict[str, Any]) -> tuple[bool, str]:
        rows = list(result["critics"].values())
        clip = [r for r in rows if r["lipschitz"] == "clip"]
        gp = [r for r in rows if r["lipschitz"] == "gp"]
        piled = all(r["share_at_clip_bound"] > 0.5 and r["max_abs"] <= settings["clip"] + 1e-7 for r in clip)
        holds = bool(clip and gp) and piled and all(r["share_at_clip_bound"] < 0.2 for r in gp)
        return holds, "/".join(f"{r['share_at_clip_bound']:.0%}" for r in clip + gp)

    results = {name: shown(result) for name, result in numbers.items()}
    within = f"{settings['bound_tolerance'] * 100:g} %"
    listed = ", ".join(f"{name} {text}" for name, (_, text) in results.items())
    return all(h for h, _ in results.values()), f"share of weights within {within} of ±c, clipped/GP: {listed}"


CLAIMS = (
    ToyClaim(
        "weight clipping piles the critic's weights at ±c (over half within 5 % of the bound on every data set); "
        "the gradient penalty does not (under a fifth)",
        "seed 000 §3.3 Fig. 3, App. A",
        clipped_weights_pile_at_the_bound,
    ),
)


register(
    Toy(
        name="critic-surface",
        summary="value surfaces and weight histograms of a clipped and a GP critic against a fixed noisy generator",
        source="seed 000 §3.3 Fig. 3, App. A; Gulrajani et al. 2017 Fig. 1a",
        run=run,
        full=FULL,
        quick=QUICK,
        claims=CLAIMS,
    )
)
