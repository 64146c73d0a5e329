"""`generator-gradient`: G's gradient under the minimax cost and under -log D as D is trained towards optimality.

Seed 003 ("Two cost functions for the generator", after Arjovsky & Bottou 2017, Fig. 2 and 3): train a GAN a
little, fix G, train a fresh D from scratch and measure ||grad_theta_G cost|| as D improves. The minimax cost
E[log(1 - D(G(z)))] has gradient sigma(l) * dl/dtheta, which vanishes once D(G(z)) -> 0; the -log D cost
E[-log D(G(z))] has gradient sigma(-l) * dl/dtheta, which does not vanish and grows (noisily) as D sharpens.

The vanishing needs a D that can become perfect, i.e. real and generated supports that do not overlap: Arjovsky
& Bottou's theorems assume low-dimensional manifolds in general position. We get that cheaply by embedding a
2-D toy set in R^8 (six zero coordinates) while G maps 2-D noise into R^8: two 2-D manifolds in R^8 meet with
probability zero. (In plain 2-D, G's samples overlap the data and D cannot become perfect.)
As in Arjovsky & Bottou, the better the fixed G (more pretraining), the longer D needs before the minimax
gradient collapses.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.losses import LOSSES
from ganlab.toys.base import Toy, ToyClaim, ToyOutput, iterations, register
from ganlab.toys.figures import new_figure, save
from ganlab.toys.nets import MLP
from ganlab.toys.points import batch_of, load_points
from ganlab.toys.steps import GAN, adversarial_loss, critic_step, generator_step, lipschitz, optimizer

COSTS = ("minimax", "non-saturating")  # LOSSES keys: E[log(1 - D(G(z)))] and E[-log D(G(z))]
COST_LABELS = {"minimax": "minimax cost E[log(1 − D(G(z)))]", "non-saturating": "−log D cost E[−log D(G(z))]"}


@dataclass(frozen=True)
class GradientSettings:
    dataset: str = "8gaussians"
    data_points: int = 100_000
    ambient_dim: int = 8  # the 2-D set is embedded in R^ambient_dim; G's 2-D image lives there too
    z_dim: int = 2
    width: int = 128
    layers: int = 4
    batch: int = 256
    pretrain_steps: tuple[int, ...] = (25, 100, 200)  # GAN steps before G is fixed (Arjovsky: 1, 10, 25 epochs)
    d_iterations: int = 4_000  # Arjovsky & Bottou Fig. 2: 4000 discriminator iterations
    measure_every: int = 40
    tail: float = 0.1  # the "final" norm is the median over the last `tail` share of the measurements


FULL = GradientSettings()
QUICK = replace(FULL, pretrain_steps=(100,), d_iterations=800, measure_every=20)


def embed(points: Tensor, dim: int) -> Tensor:
    """(N, 2) -> (N, dim): the points in the first two coordinates, zeros elsewhere."""
    return torch.cat([points, points.new_zeros(len(points), dim - points.shape[1])], dim=1)


def pretrain(data: Tensor, settings: GradientSettings, steps: int, seed: int) -> MLP:
    """A generator after `steps` non-saturating GAN steps (one D step per G step, Adam 1e-4, (0.5, 0.9))."""
    init, noise = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    G = MLP(settings.z_dim, settings.ambient_dim, settings.width, settings.layers, init)
    D = MLP(settings.ambient_dim, 1, settings.width, settings.layers, init)
    opt_g, opt_d = optimizer(list(G.parameters()), GAN), optimizer(list(D.parameters()), GAN)
    loss, control = adversarial_loss(GAN), lipschitz(GAN)
    for _ in iterations(steps, "generator-gradient: pretraining G"):
        with torch.no_grad():
            fake = G(torch.randn(settings.batch, settings.z_dim, generator=noise))
        critic_step(D, opt_d, loss, control, batch_of(data, settings.batch, noise), fake, noise)
        generator_step(G, D, opt_g, loss, torch.randn(settings.batch, settings.z_dim, generator=noise))
    return G


def generator_gradient_norm(G: MLP, D: MLP, cost: str, z: Tensor) -> float:
    """||d cost / d theta_G|| over all of G's parameters, for noise z (B, z_dim)."""
    G.zero_grad(set_to_none=True)
    LOSSES.get(cost).generator(D(G(z))).backward()
    return float(torch.cat([p.grad.flatten() for p in G.parameters() if p.grad is not None]).norm())


def train_fresh_d(G: MLP, data: Tensor, settings: GradientSettings, seed: int) -> dict[str, list[float]]:
    """Train a new D against the fixed G; every `measure_every` steps record G's gradient norm per cost."""
    init, noise = torch.Generator().manual_seed(seed + 2), torch.Generator().manual_seed(seed + 3)
    D = MLP(settings.ambient_dim, 1, settings.width, settings.layers, init)
    opt, loss, control = optimizer(list(D.parameters()), GAN), adversarial_loss(GAN), lipschitz(GAN)
    record: dict[str, list[float]] = {"d_iteration": [], **{cost: [] for cost in COSTS}}
    for step in iterations(settings.d_iterations + 1, "generator-gradient: training D against G"):
        if step % settings.measure_every == 0:
            z = torch.randn(settings.batch, settings.z_dim, generator=noise)
            record["d_iteration"].append(step)
            for cost in COSTS:
                record[cost].append(generator_gradient_norm(G, D, cost, z))
        if step < settings.d_iterations:
            with torch.no_grad():
                fake = G(torch.randn(settings.batch, settings.z_dim, generator=noise))
            critic_step(D, opt, loss, control, batch_of(data, settings.batch, noise), fake, noise)
    return record


def final_over_initial(norms: list[float], tail: float) -> float:
    """Median of the last `tail` share of the norms over the first norm (D untrained)."""
    last = norms[-max(1, round(tail * len(norms))) :]
    return statistics.median(last) / norms[0]


def draw(numbers: dict, settings: GradientSettings, path: Path) -> Path:
    fig = new_figure()
    for ax, cost in zip(fig.subplots(1, 2, sharey=True), COSTS, strict=True):
        for steps, row in numbers["runs"].items():
            ax.plot(row["d_iteration"], row[cost], lw=1, label=f"G after {steps} GAN steps")
        ax.set(title=COST_LABELS[cost], xlabel="iterations of the fresh discriminator", yscale="log")
        ax.legend(fontsize=8)
    fig.axes[0].set_ylabel(r"$\|\nabla_{\theta_G}\,\mathrm{cost}\|$ (log scale)")
    fig.suptitle(
        f"G fixed, D trained from scratch ({settings.dataset} in $\\mathbb{{R}}^{{{settings.ambient_dim}}}$; "
        "Arjovsky & Bottou Fig. 2–3)"
    )
    return save(fig, path)


def run(out: Path, settings: GradientSettings, seed: int) -> ToyOutput:
    data = embed(load_points(settings.dataset, settings.data_points), settings.ambient_dim)
    runs = {}
    for steps in settings.pretrain_steps:
        row = train_fresh_d(pretrain(data, settings, steps, seed), data, settings, seed)
        runs[str(steps)] = {
            **row,
            **{f"{cost}_final_over_initial": final_over_initial(row[cost], settings.tail) for cost in COSTS},
        }
    numbers = {"runs": runs}
    return ToyOutput([draw(numbers, settings, out / "generator-gradient.png")], numbers, asdict(settings))


def _end_over_start(numbers: dict[str, Any], loss: str, label: str) -> tuple[list[float], str]:
    """The generator gradient norm's end over its start for `loss`, per pretraining length, and a line of them."""
    runs = numbers["runs"]
    ratios = [r[f"{loss}_final_over_initial"] for r in runs.values()]
    shown = ", ".join(f"{k} steps of G pretraining {v:.3g}" for k, v in zip(runs, ratios, strict=True))
    return ratios, f"{label} gradient norm, end over start: {shown}"


def minimax_vanishes(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    ratios, shown = _end_over_start(numbers, "minimax", "minimax")
    return all(v < 1e-2 for v in ratios), shown


def minus_log_d_does_not(numbers: dict[str, Any], settings: dict[str, Any]) -> tuple[bool, str]:
    ratios, shown = _end_over_start(numbers, "non-saturating", "−log D")
    return all(v > 1.0 for v in ratios), shown


CLAIMS = (
    ToyClaim(
        "as D is trained towards optimality with G fixed, the minimax generator's gradient vanishes (below 1 % of "
        "its start)",
        "seed 003; Arjovsky & Bottou 2017 Fig. 2",
        minimax_vanishes,
    ),
    ToyClaim(
        "the −log D generator cost's gradient does not vanish (it grows)",
        "seed 003; Arjovsky & Bottou 2017 Fig. 3",
        minus_log_d_does_not,
    ),
)


register(
    Toy(
        name="generator-gradient",
        summary="G's gradient as D trains to optimality: the minimax cost's vanishes, -log D's grows and is noisy",
        source="seed 003 (two cost functions for the generator; Arjovsky & Bottou 2017 Fig. 2, 3)",
        run=run,
        full=FULL,
        quick=QUICK,
        claims=CLAIMS,
    )
)
