"""`clipping-depth`: gradient norms through a deep critic under weight clipping and under the gradient penalty.

Seed 002 §III.C Fig. 5 (after Gulrajani et al. 2017, Fig. 1b): without batch normalisation a deep clipped
critic's gradients vanish or explode depending on c, while the gradient penalty keeps them steady. As in
Gulrajani's Fig. 1b we plot, for each layer l, the norm of the gradient of the critic's loss with respect to
that layer's activations, ||dL/dh_l|| (the output of the l-th linear layer, over the whole batch), on a
12-layer ReLU critic without batch norm trained on Swiss roll. The generator is fixed to "real data plus unit
Gaussian noise" as in `critic-surface`: the effect belongs to the critic alone.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.toys.base import Toy, ToyClaim, ToyOutput, iterations, register
from ganlab.toys.figures import new_figure, save
from ganlab.toys.nets import MLP
from ganlab.toys.points import batch_of, load_points
from ganlab.toys.steps import WGAN_CLIP, WGAN_GP, CriticSpec, adversarial_loss, critic_step, lipschitz, optimizer


@dataclass(frozen=True)
class DepthSettings:
    dataset: str = "swissroll"  # Gulrajani et al. Fig. 1b
    data_points: int = 100_000
    generator_noise: float = 1.0
    batch: int = 256
    width: int = 512
    layers: int = 12  # linear layers: 11 hidden ReLU layers and the output
    iterations: int = 1_000  # critic steps before the gradients are measured
    clips: tuple[float, ...] = (0.1, 0.01, 0.001)  # Gulrajani Fig. 1b, seed 002 Fig. 5
    gp_weight: float = 0.1  # as the other toys (seed 000 App. A)
    clip_lr: float = 5e-5  # RMSProp, seed 003 WGAN Alg. 1
    gp_lr: float = 1e-4  # Adam(0.5, 0.9)
    measure_batches: int = 4  # the norms are averaged over this many fresh batches after training


FULL = DepthSettings()
# Quick: a narrower critic and 10x larger steps, so c = 0.1's weights reach the bound within 40 steps.
QUICK = replace(FULL, width=256, iterations=40, clip_lr=5e-4, gp_lr=1e-3, measure_batches=2)


def specs(settings: DepthSettings) -> list[CriticSpec]:
    clipped = [replace(WGAN_CLIP, label=f"clip c={c:g}", clip=c, lr=settings.clip_lr) for c in settings.clips]
    gp = replace(
        WGAN_GP, label=f"gradient penalty λ={settings.gp_weight:g}", gp_weight=settings.gp_weight, lr=settings.gp_lr
    )
    return [*clipped, gp]


def layer_gradient_norms(D: MLP, real: Tensor, fake: Tensor, spec: CriticSpec) -> list[float]:
    """||dL/dh_l|| for every linear layer l (input side first) of the critic loss L on real and fake (B, 2)."""
    # float64 on a copy: with c = 0.001 the first layers' gradients (~1e-23) underflow float32 to exactly zero.
    D64, real, fake = copy.deepcopy(D).double(), real.double(), fake.double()
    acts_real, acts_fake = D64.activations(real), D64.activations(fake)
    for h in acts_real + acts_fake:
        h.retain_grad()
    loss = adversarial_loss(spec).discriminator(
        acts_real[-1].squeeze(-1), acts_fake[-1].squeeze(-1), real.new_ones(()), real.new_zeros(())
    )
    loss.backward()
    grads = [(hr.grad, hf.grad) for hr, hf in zip(acts_real, acts_fake, strict=True)]
    return [float(torch.cat([gr, gf]).norm()) for gr, gf in grads if gr is not None and gf is not None]


def fixed_fake(data: Tensor, settings: DepthSettings, generator: torch.Generator) -> Tensor:
    """A batch of the fixed generator: real points plus N(0, noise^2 I)."""
    return batch_of(data, settings.batch, generator) + settings.generator_noise * torch.randn(
        settings.batch, 2, generator=generator
    )


def measure(spec: CriticSpec, data: Tensor, settings: DepthSettings, seed: int) -> list[float]:
    """Train one critic for `iterations` steps, then average its layer gradient norms over fresh batches."""
    init, noise = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    D = MLP(2, 1, settings.width, settings.layers, init)
    opt, loss, control = optimizer(list(D.parameters()), spec), adversarial_loss(spec), lipschitz(spec)
    control.after_d_step(D)  # the clipped critic starts inside its box
    for _ in iterations(settings.iterations, f"clipping-depth {spec.label}"):
        critic_step(
            D, opt, loss, control, batch_of(data, settings.batch, noise), fixed_fake(data, settings, noise), noise
        )
    runs = [
        layer_gradient_norms(D, batch_of(data, settings.batch, noise), fixed_fake(data, settings, noise), spec)
        for _ in range(settings.measure_batches)
    ]
    return [sum(column) / len(column) for column in zip(*runs, strict=True)]


def orders_of_magnitude(norms: list[float]) -> float:
    """log10(max / min) of the layer norms: how far the gradient's scale travels through the critic."""
    return math.log10(max(norms) / min(norms))


def draw(numbers: dict, settings: DepthSettings, path: Path) -> Path:
    fig = new_figure()
    ax = fig.subplots()
    layers = list(range(1, settings.layers + 1))
    for label, row in numbers["critics"].items():
        style = "-o" if row["lipschitz"] == "clip" else "-s"
        ax.plot(layers, row["norms"], style, ms=4, label=f"{label} ({row['orders_of_magnitude']:.1f} decades)")
    ax.set(yscale="log", xlabel="critic layer l (1 = next to the input)", ylabel="‖∂L/∂h_l‖ (log scale)")
    ax.set_xticks(layers)
    ax.set_title(
        f"{settings.layers}-layer ReLU critic, no batch norm, {settings.dataset}, after {settings.iterations} steps"
        "\n(Gulrajani et al. Fig. 1b; seed 002 Fig. 5)",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    return save(fig, path)


def run(out: Path, settings: DepthSettings, seed: int) -> ToyOutput:
    data = load_points(settings.dataset, settings.data_points)
    critics = {}
    for spec in specs(settings):
        norms = measure(spec, data, settings, seed)
        critics[spec.label] = {
            "lipschitz": spec.lipschitz,
            "norms": norms,
            "orders_of_magnitude": orders_of_magnitude(norms),
        }
    numbers = {"quantity": "||dL/dh_l||, the critic loss's gradient w.r.t. layer l's outputs", "critics": critics}
    return ToyOutput([draw(numbers, settings, out / "clipping-depth.png")], numbers, asdict(settings))


def _clip_rows(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    critics = numbers["critics"]
    return critics[f"clip c={max(settings['clips']):g}"], critics[f"clip c={min(settings['clips']):g}"]


def clipping_explodes_or_vanishes(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    big, small = _clip_rows(numbers, settings)
    holds = big["norms"][0] > 100 * big["norms"][-1] and small["norms"][0] < 1e-2 * small["norms"][-1]
    return holds, (
        f"first layer / last layer: c = {max(settings['clips']):g} {big['norms'][0] / big['norms'][-1]:.3g}, "
        f"c = {min(settings['clips']):g} {small['norms'][0] / small['norms'][-1]:.3g}"
    )


def gp_stays_within_a_decade(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    gp = [r for r in numbers["critics"].values() if r["lipschitz"] == "gp"]
    spans = {label: r["orders_of_magnitude"] for label, r in numbers["critics"].items()}
    holds = bool(gp) and all(r["orders_of_magnitude"] < 1.0 for r in gp)
    return holds, "decades spanned across layers: " + ", ".join(f"{k} {v:.2g}" for k, v in spans.items())


CLAIMS = (
    ToyClaim(
        "under weight clipping the critic's gradients explode (the largest c) or vanish (the smallest c) through "
        "its layers: over 2 decades between the first layer and the last",
        "seed 002 Fig. 5; Gulrajani et al. 2017 Fig. 1b",
        clipping_explodes_or_vanishes,
    ),
    ToyClaim(
        "with the gradient penalty they stay within one decade through all the layers",
        "seed 002 Fig. 5; Gulrajani et al. 2017 Fig. 1b",
        gp_stays_within_a_decade,
    ),
)


register(
    Toy(
        name="clipping-depth",
        summary="gradient norm per layer of a deep critic: vanishing/exploding under clipping, steady under GP",
        source="seed 002 §III.C Fig. 5; Gulrajani et al. 2017 Fig. 1b",
        run=run,
        full=FULL,
        quick=QUICK,
        claims=CLAIMS,
    )
)
