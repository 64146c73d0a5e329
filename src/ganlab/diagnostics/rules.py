"""Warning rules: small pure functions over the recent metrics rows, each returning its evidence or None.

Seed 001 §2.6.1 reads a GAN's health from its loss curves: a discriminator that wins drives loss_d to 0 while
loss_g grows (Fig. 6); a generator that wins fools D (D(G(z)) >= D(x)) or leaves both losses flat, without
oscillation (Fig. 5). Beside
those: G's gradient vanishing, a clipped critic whose gradient exceeds the Lipschitz bound the Wasserstein
estimate assumes (seed 002 Fig. 5), and, from periodic evaluations, modes being dropped (seed 001 §2.5).

A rule sees `rows[-window:]` (the last `log.warn_window` logged rows): a trend must hold that long.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

WIN_SHARE = 0.1  # "loss_d -> 0": below this share of its value at chance (both logits 0)
FLAT_TOLERANCE = 0.01  # "flat": max - min within 1% of the mean over the whole window
FLAT_FLOOR = 1e-3  # ... or within this absolute band, for losses near zero
VANISH_RATIO = 0.1  # G's gradient norm an order of magnitude below its peak so far
LIPSCHITZ_BOUND = 1.0  # the critic's gradient norm the Wasserstein estimate assumes (1-Lipschitz)
LIPSCHITZ_TOLERANCE = 0.1  # ... exceeded by more than 10%
MODE_DROP = 0.2  # coverage or modes falling 20% below their best earlier value


@dataclass(frozen=True)
class Finding:
    """One warning: the rule, the generator step it fired at, a one-line message and the numbers behind it."""

    rule: str
    step: int
    message: str
    evidence: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "step": self.step, "message": self.message, "evidence": self.evidence}


@dataclass(frozen=True)
class RuleContext:
    """What the rules need to know of the run."""

    window: int  # rows a trend must hold
    chance_loss_d: float  # D's loss when it cannot tell real from fake (logits 0); 0 for a Wasserstein critic
    critic: bool = False  # D's output is an unbounded critic value (wasserstein, hinge), not a real/fake score
    clip: float | None = None  # the weight-clipping bound c, when lipschitz.name=clip


MetricsRule = Callable[[Sequence[Row], RuleContext], Finding | None]


def _series(rows: Sequence[Row], key: str) -> list[float] | None:
    """The values of `key` in every row, or None when a row lacks it."""
    values = [row.get(key) for row in rows]
    return None if any(not isinstance(v, (int, float)) for v in values) else [float(v) for v in values]  # type: ignore[arg-type]


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against their index."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    cov = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return cov / max(sum((i - mean_x) ** 2 for i in range(n)), 1e-12)


def is_flat(values: Sequence[float]) -> bool:
    """No oscillation: max - min within FLAT_TOLERANCE of the mean magnitude (or FLAT_FLOOR near zero)."""
    mean = sum(values) / len(values)
    return max(values) - min(values) <= max(FLAT_TOLERANCE * abs(mean), FLAT_FLOOR)


def discriminator_winning(rows: Sequence[Row], ctx: RuleContext) -> Finding | None:
    """loss_d near zero at the end of the window while loss_g rose across it (seed 001 §2.6.1, Fig. 6)."""
    recent = rows[-ctx.window :]
    loss_d, loss_g = _series(recent, "loss_d"), _series(recent, "loss_g")
    if ctx.chance_loss_d <= 0 or len(recent) < ctx.window or loss_d is None or loss_g is None:
        return None
    tail = loss_d[len(loss_d) // 2 :]  # the second half of the window, all near zero
    if max(tail) >= WIN_SHARE * ctx.chance_loss_d or not (slope(loss_g) > 0 and loss_g[-1] > loss_g[0]):
        return None
    first, last = recent[0]["step"], recent[-1]["step"]
    return Finding(
        "discriminator_winning",
        last,
        f"step {last}: discriminator winning: loss_d fell to {loss_d[-1]:.3g} (chance level {ctx.chance_loss_d:.3g})"
        f" while loss_g rose from {loss_g[0]:.3g} to {loss_g[-1]:.3g} over steps {first}-{last}"
        " (seed 001 §2.6.1 Fig. 6); try a lower D learning rate, label smoothing or instance noise",
        {"loss_d": loss_d[-1], "loss_g_start": loss_g[0], "loss_g_end": loss_g[-1], "from_step": first},
    )


def generator_winning(rows: Sequence[Row], ctx: RuleContext) -> Finding | None:
    """D rates the fakes at least as real as the data over the whole window, or both losses stay flat without
    oscillation (seed 001 §2.6.1, Fig. 5: "the generator is too strong ... both losses will stay constant")."""
    recent = rows[-ctx.window :]
    loss_d, loss_g = _series(recent, "loss_d"), _series(recent, "loss_g")
    d_real, d_fake = _series(recent, "d_real"), _series(recent, "d_fake")
    if ctx.critic or len(recent) < ctx.window or None in (loss_d, loss_g, d_real, d_fake):
        return None
    assert loss_d is not None and loss_g is not None and d_real is not None and d_fake is not None
    fooled = all(f >= r for f, r in zip(d_fake, d_real, strict=True))
    flat = is_flat(loss_d) and is_flat(loss_g)
    if not (fooled or flat):
        return None
    first, last = recent[0]["step"], recent[-1]["step"]
    evidence = f"D(G(z)) = {d_fake[-1]:.3g} >= D(x) = {d_real[-1]:.3g} at every logged step" if fooled else ""
    if flat:
        evidence = f"loss_d stayed in [{min(loss_d):.4g}, {max(loss_d):.4g}] and loss_g in [{min(loss_g):.4g},"
        evidence += f" {max(loss_g):.4g}] without oscillation"
    return Finding(
        "generator_winning",
        last,
        f"step {last}: generator winning: {evidence} over steps {first}-{last} (seed 001 §2.6.1 Fig. 5);"
        " D is not learning: check its learning rate and capacity",
        {"d_real": d_real[-1], "d_fake": d_fake[-1], "loss_d": loss_d[-1], "loss_g": loss_g[-1], "from_step": first},
    )


def vanishing_generator_gradient(rows: Sequence[Row], ctx: RuleContext) -> Finding | None:
    """G's gradient norm below VANISH_RATIO of its earlier peak for the last quarter of the window.

    Only for losses whose D outputs a real/fake score: the pathology is the saturating cost's (seed 003).
    Through a critic, G's gradient follows the critic's scale, which falls on its own in healthy WGAN-GP
    runs after the first large steps (a false alarm seen on the wgan-vs-wgan-gp study)."""
    if ctx.critic:
        return None
    norms = _series([r for r in rows if "grad_norm_g" in r], "grad_norm_g")
    hold = max(2, ctx.window // 4)
    if norms is None or len(norms) < ctx.window:
        return None
    peak = max(norms[:-hold])
    if peak <= 0 or max(norms[-hold:]) >= VANISH_RATIO * peak:
        return None
    last = rows[-1]["step"]
    return Finding(
        "vanishing_generator_gradient",
        last,
        f"step {last}: vanishing generator gradient: grad_norm_g is {norms[-1]:.3g}, below {VANISH_RATIO:g} of its"
        f" peak {peak:.3g} (seed 003: the saturating cost's gradient vanishes as D wins); try the non-saturating"
        " loss or a weaker D",
        {"grad_norm_g": norms[-1], "peak": peak},
    )


def lipschitz_violation(rows: Sequence[Row], ctx: RuleContext) -> Finding | None:
    """Under weight clipping, the critic's gradient norm on interpolates above 1 for the last quarter window."""
    hold = max(2, ctx.window // 4)
    recent = [r for r in rows if "grad_norm_interp" in r][-hold:]
    norms = _series(recent, "grad_norm_interp")
    bound = LIPSCHITZ_BOUND * (1 + LIPSCHITZ_TOLERANCE)
    if ctx.clip is None or norms is None or len(norms) < hold or min(norms) <= bound:
        return None
    last, share = recent[-1]["step"], recent[-1].get("clipped_share")
    at_bound = f" with {100 * share:.0f}% of its weights at +-{ctx.clip:g}" if isinstance(share, float) else ""
    return Finding(
        "lipschitz_violation",
        last,
        f"step {last}: Lipschitz violation under weight clipping: the critic's gradient norm on interpolates is"
        f" {norms[-1]:.3g} > {LIPSCHITZ_BOUND:g}{at_bound} (seed 002 Fig. 5); `wasserstein` then estimates"
        " K*W1 with K above 1: lower lipschitz.clip or use lipschitz.name=gp or sn",
        {"grad_norm_interp": norms[-1], **({"clipped_share": share} if isinstance(share, float) else {})},
    )


def mode_collapse(evals: Sequence[Row], ctx: RuleContext) -> Finding | None:
    """Class coverage or covered modes falling MODE_DROP below their best earlier value (seed 001 §2.5)."""
    for key in ("class_coverage", "modes"):
        rows = [r for r in evals if isinstance(r.get(key), (int, float))]
        if len(rows) < 2:
            continue
        best = max(rows[:-1], key=lambda r: r[key])
        now = rows[-1]
        if now[key] < (1 - MODE_DROP) * best[key]:
            return Finding(
                "mode_collapse",
                now["step"],
                f"step {now['step']}: mode collapse: {key} fell from {best[key]:.3g} (step {best['step']}) to"
                f" {now[key]:.3g} (seed 001 §2.5); try minibatch discrimination, experience replay or an unrolled D",
                {key: float(now[key]), f"best_{key}": float(best[key]), "best_step": best["step"]},
            )
    return None


METRICS_RULES: tuple[MetricsRule, ...] = (
    discriminator_winning,
    generator_winning,
    vanishing_generator_gradient,
    lipschitz_violation,
)
EVAL_RULES: tuple[MetricsRule, ...] = (mode_collapse,)
