"""Evaluate a run: `evaluate(run)` after training (writes RUN/eval.json) and `PeriodicEvaluator` during it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor

from ganlab import atomic
from ganlab.config.schema import Config, DataConfig
from ganlab.data.base import Dataset, Split
from ganlab.errors import ConfigError, DataError, MetricError
from ganlab.memory import check_fits
from ganlab.metrics.groups import EvalContext
from ganlab.metrics.kernel import KID_SUBSET_SIZE
from ganlab.metrics.suite import MetricSuite, default_metrics
from ganlab.progress import Mode

SAMPLE_CHUNK = 500  # samples generated per forward pass during evaluation
SampleFn = Callable[[int, Tensor | None], Tensor]  # (n, labels (n,) or None) -> samples (n, ...) in [-1, 1]


class RunLike(Protocol):
    """What evaluate needs of a ganlab.rundir.run.Run."""

    config: Config
    path: Path
    checkpoint_step: int

    def sample_chunks(
        self, n: int, labels: Tensor | None = None, seed: int | None = None, *, progress: bool | Mode = False
    ) -> Iterator[tuple[Tensor, Tensor | None]]: ...


def matching_labels(real: Dataset, n: int, seed: int) -> Tensor:
    """n class labels (n,) drawn with the real set's class frequencies."""
    if real.labels is None or real.num_classes < 1:
        raise MetricError(f"a conditional model needs class labels, but dataset '{real.name}' has none")
    freq = torch.bincount(real.labels.cpu(), minlength=real.num_classes).double()
    return torch.multinomial(freq, n, replacement=True, generator=torch.Generator().manual_seed(seed))


def split_loader(data: DataConfig) -> Callable[[Split], Dataset]:
    """Splits of the run's dataset at native resolution (what its classifier is trained on)."""
    from ganlab.data import load_dataset

    native = replace(data, subset=None, resolution=None, channels=None)
    return lambda split: load_dataset(native, split)


def load_reference(data: DataConfig) -> tuple[Dataset, Split]:
    """The test split of the run's dataset (as trained on: resolution, channels), or train where none exists."""
    from ganlab.data import load_dataset

    try:
        return load_dataset(data, "test"), "test"
    except DataError:
        return load_dataset(data, "train"), "train"


def check_samples_arg(samples: int) -> None:
    if samples <= 1:
        raise MetricError(f"--samples must be at least 2 (got {samples})")


def generate(
    sample_fn: SampleFn, n: int, labels: Tensor | None, chunk: int = SAMPLE_CHUNK
) -> Iterator[tuple[Tensor, Tensor | None]]:
    """n samples from sample_fn, one chunk at a time (with its labels), without autograd, on the CPU."""
    for start in range(0, n, chunk):
        part = None if labels is None else labels[start : start + chunk]
        with torch.no_grad():
            fake = sample_fn(min(chunk, n - start), part).detach().cpu()
        yield fake, part


def run_evaluation(
    run: RunLike,
    metrics: Sequence[str] | None = None,
    samples: int = 10_000,
    inception_weights: str | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool | Mode = False,
) -> dict[str, Any]:
    """Evaluate the run's checkpoint, write RUN/eval.json, and return its content (step, metrics, provenance)."""
    check_samples_arg(samples)
    cfg = run.config
    real, split = load_reference(cfg.data)
    conditional = cfg.model.conditional
    names = list(metrics) if metrics else default_metrics(cfg.eval.metrics, real, conditional=conditional)
    ctx = EvalContext(
        seed,
        split,
        device,
        inception_weights,
        load_split=split_loader(cfg.data),
        mixture_std=cfg.data.noise,
        conditional=conditional,
    )
    suite = MetricSuite(names, real, ctx, key="--metrics")  # fails on bad names/weights before sampling
    shape = getattr(run, "sample_shape", real.shape)
    kept = suite.kept_bytes(samples, shape)  # the samples stream through; their features stay
    check_fits(kept, "--samples", f"features of {samples} samples of {tuple(shape)}", samples)
    labels = matching_labels(real, samples, seed) if conditional else None
    values, provenance = suite.measure(run.sample_chunks(samples, labels=labels, seed=seed, progress=progress))
    result = {"step": run.checkpoint_step, "metrics": values, "provenance": provenance}
    atomic.write_text(Path(run.path) / "eval.json", json.dumps(result, indent=2) + "\n")
    return result


def evaluate(
    run: RunLike,
    metrics: list[str] | None = None,
    samples: int = 10_000,
    inception_weights: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    progress: bool | Mode = True,
) -> dict[str, float]:
    """Metric values of the run's last checkpoint (also written to RUN/eval.json with their provenance).

    `device` ("cpu", "cuda", "auto") runs the generator and the feature extractors there; the latent noise is
    drawn on the CPU, so the samples are the same ones wherever they are computed."""
    from ganlab.training.device import resolve_device

    dev = resolve_device(device)
    generator = getattr(run, "generator", None)
    if isinstance(generator, torch.nn.Module):
        generator.to(dev)
    return run_evaluation(run, metrics, samples, inception_weights, seed, device=dev, progress=progress)["metrics"]


def provenance_lines(provenance: dict[str, Any]) -> list[str]:
    """Human-readable lines saying how the numbers were measured."""
    lines = [
        f"dataset {provenance['dataset']} ({provenance['reference_split']} split, {provenance['real_samples']} real); "
        f"{provenance['fake_samples']} generated samples; seed {provenance['seed']}; {provenance['library']}"
    ]
    for group, info in provenance.get("features", {}).items():
        sha = f"; sha256 {info['sha256'][:16]}" if info.get("sha256") else ""
        lines.append(f"{group} ({', '.join(info['metrics'])}): {info['extractor']}{sha}; {info['library']}")
        lines.append(f"  resize: {info['resize']}")
        kernel = [m for m in info["metrics"] if m in ("kid", "kd_domain")]
        size = info.get("kid_subset_size", info.get("kd_subset_size"))
        if kernel and isinstance(size, int) and size < KID_SUBSET_SIZE:
            # torch-fidelity refuses this case; ganlab measures it and says what it did
            lines.append(
                f"  {', '.join(kernel)}: subsets of {size} samples, fewer than the usual {KID_SUBSET_SIZE} (there are "
                f"only {size}); values on different subset sizes are not comparable"
            )
    return lines


def format_table(result: dict[str, Any]) -> str:
    """An aligned metric/value table and the provenance lines, for `ganlab evaluate`."""
    values = result.get("metrics", result)
    width = max([len("metric"), *(len(name) for name in values)])
    rows = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
    rows += [f"{name:<{width}}  {value:.6g}" for name, value in values.items()]
    if "step" in result:
        rows.insert(0, f"checkpoint step {result['step']}")
    if "provenance" in result:
        rows += ["", *provenance_lines(result["provenance"])]
    return "\n".join(rows)


class PeriodicEvaluator:
    """Evaluation during training: reference features computed once here, samples measured every call."""

    def __init__(self, config: Config, train: Dataset, test: Dataset, device: torch.device | str = "cpu") -> None:
        if config.eval.samples < 2:
            raise ConfigError("eval.samples", "at least 2 samples per evaluation", config.eval.samples)
        self.config, self.test = config, test
        self.names = default_metrics(config.eval.metrics, test, conditional=config.model.conditional)
        data = config.data
        native = data.subset is None and data.resolution is None and data.channels is None
        # A classifier trained on first use sees the full native splits, whatever this run resized or cut.
        loader: Callable[[Split], Dataset] = (
            {"train": train, "test": test}.__getitem__ if native else split_loader(data)
        )
        ctx = EvalContext(
            config.train.seed,
            "test",
            device,
            load_split=loader,
            mixture_std=data.noise,
            conditional=config.model.conditional,
        )
        self.suite = MetricSuite(self.names, test, ctx, key="eval.metrics")
        n = config.eval.samples
        # The same labels every time, so successive evaluations differ only by the generator.
        self.labels = matching_labels(test, n, config.train.seed) if config.model.conditional else None

    def __call__(self, sample_fn: SampleFn, step: int) -> tuple[dict[str, float], dict[str, Any]]:
        """Metric values of config.eval.samples samples from `sample_fn` at generator step `step`, and provenance."""
        values, provenance = self.suite.measure(generate(sample_fn, self.config.eval.samples, self.labels))
        return values, {"step": step, **provenance}
