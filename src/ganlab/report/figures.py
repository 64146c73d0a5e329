"""The report's plots as PNG bytes (matplotlib's Agg canvas; no pyplot state, no window).

- losses per run and the critic's Wasserstein estimate without the penalty (seed 000 Fig. 6)
- a metric over training per model, repeats as mean ± one standard deviation (seed 004 Fig. 7)
- the final metric per model x dataset as bars with the standard deviation (seed 004 Fig. 6)
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ganlab.report.collect import RunRecord, number
from ganlab.report.groups import Group, ranking_hint

DPI = 90
LOSS_KEYS = (("loss_d", "D loss"), ("loss_g", "G loss"))


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def series(rows: Sequence[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    points = [(float(r.get("step", 0)), number(r.get(key))) for r in rows]
    kept = [(s, v) for s, v in points if v is not None]
    if not kept:
        return np.zeros(0), np.zeros(0)
    steps, values = zip(*kept, strict=True)
    return np.asarray(steps), np.asarray(values)


def mean_band(curves: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and std over repeats at the steps every repeat has (repeats log at the same steps)."""
    common = sorted(set.intersection(*(set(s.tolist()) for s, _ in curves))) if curves else []
    if not common:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    stacked = np.stack([np.interp(common, s, v) for s, v in curves])
    std = stacked.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(len(common))
    return np.asarray(common), stacked.mean(axis=0), std


def has_wasserstein(runs: Sequence[RunRecord]) -> bool:
    return any(number(row.get("wasserstein")) is not None for run in runs for row in run.metrics)


def loss_figure(group: Group) -> bytes | None:
    """D and G losses of every run of a group; beside them the Wasserstein estimate (penalty excluded)."""
    if not any(run.metrics for run in group.runs):
        return None
    critic = has_wasserstein(group.runs)
    fig = Figure(figsize=(9.0 if critic else 5.0, 3.0), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, 2 if critic else 1, squeeze=False)[0]
    for i, run in enumerate(group.runs):
        for (key, label), style in zip(LOSS_KEYS, ("-", "--"), strict=True):
            steps, values = series(run.metrics, key)
            axes[0].plot(steps, values, style, color=f"C{i % 10}", lw=1, label=f"{label} seed {run.seed}")
        if critic:
            steps, values = series(run.metrics, "wasserstein")
            axes[1].plot(steps, values, color=f"C{i % 10}", lw=1, label=f"W seed {run.seed}")
            steps, values = series(run.metrics, "wasserstein_heldout")  # on test images: critic over-fitting
            if len(values):
                axes[1].plot(steps, values, "--", color=f"C{i % 10}", lw=1, label=f"W held-out seed {run.seed}")
            steps, values = series(run.metrics, "gp")
            if len(values) and values.any():  # the penalty itself, kept out of the estimate (seed 000 §5.1)
                axes[1].plot(steps, values, ":", color=f"C{i % 10}", lw=1, label=f"gp seed {run.seed}")
    _decorate(axes[0], f"{group.label}: losses", "loss")
    if critic:
        _decorate(axes[1], "critic's Wasserstein estimate (no penalty; gp dotted)", "E[D(real)] - E[D(fake)]")
    return png(fig)


def wasserstein_overview(groups: Sequence[Group]) -> bytes | None:
    """The Wasserstein estimate of every model with a critic on one plot, mean ± std over repeats."""
    critics = [g for g in groups if has_wasserstein(g.runs)]
    if not critics:
        return None
    fig = Figure(figsize=(8.0, 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for i, group in enumerate(critics):
        _band(ax, [series(r.metrics, "wasserstein") for r in group.runs], group.label, f"C{i % 10}")
    _decorate(ax, "critic's Wasserstein estimate without the penalty (seed 000 Fig. 6)", "estimate")
    return png(fig)


def metric_curves(groups: Sequence[Group], metric: str) -> bytes | None:
    """`metric` over training per model, mean ± std band over repeats (seed 004 Fig. 7)."""
    with_curves = [g for g in groups if any(r.curve(metric) for r in g.runs)]
    if not with_curves:
        return None
    fig = Figure(figsize=(8.0, 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for i, group in enumerate(with_curves):
        curves = [_points(r.curve(metric)) for r in group.runs if r.curve(metric)]
        _band(ax, curves, f"{group.label} (n={len(curves)})", f"C{i % 10}")
    _decorate(ax, f"{metric} over training ({ranking_hint(metric)})", metric)
    return png(fig)


def final_bars(groups: Sequence[Group], metric: str) -> bytes | None:
    """Final `metric` per model (x) and dataset (bar colour), error bars one std (seed 004 Fig. 6)."""
    measured = [g for g in groups if g.final(metric).n]
    if not measured:
        return None
    models = list(dict.fromkeys(g.model_label for g in measured))
    datasets = list(dict.fromkeys(g.dataset for g in measured))
    width = 0.8 / len(datasets)
    fig = Figure(figsize=(max(5.0, 0.7 * len(models) * len(datasets) + 2), 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for j, dataset in enumerate(datasets):
        xs, means, stds = [], [], []
        for g in measured:
            if g.dataset == dataset:
                summary = g.final(metric)
                xs.append(models.index(g.model_label) + (j - (len(datasets) - 1) / 2) * width)
                means.append(summary.mean)
                stds.append(0.0 if np.isnan(summary.std) else summary.std)
        ax.bar(xs, means, width=width, yerr=stds, capsize=3, label=dataset, color=f"C{j % 10}")
    ax.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize=8)
    _decorate(ax, f"final {metric} ± std ({ranking_hint(metric)})", metric, xlabel="model")
    return png(fig)


def _points(points: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray([p[0] for p in points], dtype=float), np.asarray([p[1] for p in points], dtype=float)


def _band(ax: Axes, curves: list[tuple[np.ndarray, np.ndarray]], label: str, color: str) -> None:
    curves = [c for c in curves if len(c[0])]
    steps, mean, std = mean_band(curves)
    if not len(steps):
        return
    ax.plot(steps, mean, color=color, lw=1.5, label=label)
    if len(curves) > 1:
        ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2, lw=0)


def _decorate(ax: Axes, title: str, ylabel: str, xlabel: str = "generator step") -> None:
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, ncol=2)
