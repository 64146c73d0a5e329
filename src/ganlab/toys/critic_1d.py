"""`critic-1d`: a GAN discriminator and a WGAN critic trained on two 1-D Gaussians, and their responses.

Seed 000 §3.2 Fig. 2 and App. A (a reproduction of Arjovsky et al. 2017, Fig. 2): fake points ~ N(-1, 1),
real points ~ N(+1, 1), batch 1024, "3 layers of MLP with ReLU and 512 units, without batch normalization"
(read as 3 linear layers, see ganlab.toys.nets), 10,000 iterations. Far from the data the GAN discriminator's
response D(x) is flat (sigmoid saturated: no gradient for G), the critic's is not.

The WGAN critic is weight-clipped (c = 0.01, RMSProp 5e-5, seed 003 WGAN Alg. 1), as in Arjovsky's Fig. 2,
which was drawn with the original clipped WGAN; the gradient-penalty critic is shown in `critic-surface`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganlab.toys.base import Toy, ToyClaim, ToyOutput, iterations, register
from ganlab.toys.figures import new_figure, save
from ganlab.toys.nets import MLP
from ganlab.toys.steps import GAN, WGAN_CLIP, CriticSpec, adversarial_loss, critic_step, lipschitz, optimizer


@dataclass(frozen=True)
class Critic1dSettings:
    real_mean: float = 1.0  # seed 000 App. A: standard Gaussians centred at x = -1 and x = 1
    fake_mean: float = -1.0
    sd: float = 1.0
    batch: int = 1024
    width: int = 512
    layers: int = 3
    iterations: int = 10_000  # D steps, seed 000 App. A
    x_range: float = 5.0  # responses drawn over [-x_range, x_range]
    x_points: int = 501
    probe: float = 4.0  # the slope is compared at x = +probe and x = -probe (seed 000 §3.2 uses x = 4)


FULL = Critic1dSettings()
# Quick: 400 steps of 128-unit nets. A narrower clipped critic has a smaller output scale, so the slopes are
# compared relative to each response's mean slope over [-5, 5] (`relative_slope`), not in raw units.
QUICK = replace(FULL, iterations=400, width=128)
SPECS = (GAN, WGAN_CLIP)


def train(spec: CriticSpec, settings: Critic1dSettings, seed: int) -> MLP:
    """Train one D on the two fixed Gaussians; the GAN's D is a classifier, the WGAN's a clipped critic."""
    init, noise = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    D = MLP(1, 1, settings.width, settings.layers, init)
    opt, loss, control = optimizer(list(D.parameters()), spec), adversarial_loss(spec), lipschitz(spec)
    shape = (settings.batch, 1)
    for _ in iterations(settings.iterations, f"critic-1d {spec.label}"):
        real = settings.real_mean + settings.sd * torch.randn(shape, generator=noise)
        fake = settings.fake_mean + settings.sd * torch.randn(shape, generator=noise)
        critic_step(D, opt, loss, control, real, fake, noise)
    return D


def response(D: MLP, spec: CriticSpec, x: Tensor) -> tuple[Tensor, Tensor]:
    """(score, d score / dx) at x (N,): D's probability sigmoid(logit) for a GAN, the raw value for a critic."""
    x = x.detach().clone().requires_grad_(True)
    logits = D(x[:, None])  # (N,)
    score = adversarial_loss(spec).readout(logits)  # what users read as D(x)
    (slope,) = torch.autograd.grad(score.sum(), x)
    return score.detach(), slope


def relative_slope(xs: np.ndarray, score: np.ndarray, slope: np.ndarray, at: float) -> float:
    """|slope at x = at| over the mean slope |f(x_max) - f(x_min)| / (x_max - x_min): 1 for a straight line."""
    mean_slope = abs(score[-1] - score[0]) / (xs[-1] - xs[0])
    return float(abs(np.interp(at, xs, slope)) / max(mean_slope, np.finfo(float).tiny))


def compute(settings: Critic1dSettings, seed: int) -> dict[str, object]:
    xs = torch.linspace(-settings.x_range, settings.x_range, settings.x_points)
    numbers: dict[str, object] = {"x": xs.tolist(), "models": {}}
    for spec in SPECS:
        score, slope = response(train(spec, settings, seed), spec, xs)
        s, g, x = score.numpy(), slope.numpy(), xs.numpy()
        numbers["models"][spec.label] = {  # type: ignore[index]
            "score": s.tolist(),
            "slope": g.tolist(),
            "slope_at_probe": float(np.interp(settings.probe, x, g)),
            "slope_at_minus_probe": float(np.interp(-settings.probe, x, g)),
            "relative_slope_at_probe": relative_slope(x, s, g, settings.probe),
            "relative_slope_at_minus_probe": relative_slope(x, s, g, -settings.probe),
        }
    return numbers


def draw(numbers: dict, settings: Critic1dSettings, seed: int, path: Path) -> Path:
    """Two panels (GAN, WGAN): histograms of real and fake points, and D's response on a second y axis."""
    rng = np.random.default_rng(seed)
    real = rng.normal(settings.real_mean, settings.sd, settings.batch)
    fake = rng.normal(settings.fake_mean, settings.sd, settings.batch)
    fig = new_figure()
    titles = {GAN.label: "GAN discriminator: flat far from the data", WGAN_CLIP.label: "WGAN critic: useful slope"}
    ylabels = {GAN.label: "D(x) = sigmoid(logit)", WGAN_CLIP.label: "critic value f(x)"}
    for ax, (label, row) in zip(fig.subplots(1, 2), numbers["models"].items(), strict=True):
        bins = np.linspace(-settings.x_range, settings.x_range, 61)
        ax.hist(real, bins=bins, density=True, alpha=0.5, color="tab:blue", label=f"real N({settings.real_mean:g}, 1)")
        ax.hist(
            fake, bins=bins, density=True, alpha=0.5, color="tab:orange", label=f"fake N({settings.fake_mean:g}, 1)"
        )
        ax.set(title=titles[label], xlabel="x", ylabel="density of samples")
        twin = ax.twinx()
        twin.plot(numbers["x"], row["score"], color="tab:green", lw=2, label=ylabels[label])
        twin.axvline(settings.probe, color="gray", ls=":", lw=1)
        twin.set_ylabel(ylabels[label], color="tab:green")
        lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(lines, [h.get_label() for h in lines], fontsize=8, loc="upper left")
    fig.suptitle(f"Responses after {settings.iterations} D steps (seed 000 Fig. 2; dotted: x = {settings.probe:g})")
    return save(fig, path)


def run(out: Path, settings: Critic1dSettings, seed: int) -> ToyOutput:
    numbers = compute(settings, seed)
    return ToyOutput([draw(numbers, settings, seed, out / "critic-1d.png")], numbers, asdict(settings))


def gan_flat_critic_not(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    """Slopes relative to each response's mean slope over the range (a probability and a score differ in units)."""
    gan, critic = numbers["models"]["GAN"], numbers["models"]["WGAN (clip)"]
    sides = ("relative_slope_at_minus_probe", "relative_slope_at_probe")
    holds = all(gan[s] < 0.05 * critic[s] for s in sides) and min(critic[s] for s in sides) > 0.2
    probe = settings["probe"]
    shown = "; ".join(
        f"x = {x:g}: GAN {gan[s]:.3g}, WGAN {critic[s]:.3g}" for x, s in zip((-probe, probe), sides, strict=True)
    )
    return holds, f"slope relative to the mean slope, {shown}"


CLAIMS = (
    ToyClaim(
        "far from the data the GAN discriminator is flat (no gradient for G) where the clipped WGAN critic still "
        "slopes: relative slope under 5 % of the critic's at x = ±4, the critic's above 0.2",
        "seed 000 §3.2 Fig. 2",
        gan_flat_critic_not,
    ),
)


register(
    Toy(
        name="critic-1d",
        summary="GAN discriminator vs clipped WGAN critic on two 1-D Gaussians: the GAN's is flat far from the data",
        source="seed 000 §3.2 Fig. 2, App. A (Arjovsky et al. 2017 Fig. 2)",
        run=run,
        full=FULL,
        quick=QUICK,
        claims=CLAIMS,
    )
)
