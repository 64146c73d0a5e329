"""A finished (or interrupted) run on disk, as researchers use it in notebooks: `load_run(path)`."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganlab.config.schema import Config
from ganlab.errors import ArgumentError, CheckpointError, ConfigError, RunDirError
from ganlab.memory import check_fits
from ganlab.models import build_models
from ganlab.plugins import load_config
from ganlab.progress import Mode, Progress
from ganlab.rundir.checkpoint import load_latest
from ganlab.rundir.layout import RunDir, read_jsonl
from ganlab.rundir.state import state_problem
from ganlab.viz.grids import render_samples


class Run:
    """Config, weights of the latest good checkpoint, logs and summary of one run directory."""

    def __init__(self, path: Path, messages: list[str] | None = None) -> None:
        self.path = Path(path)
        self.dir = RunDir(self.path)
        if not self.dir.config.is_file():
            raise RunDirError(f"{self.path} is not a ganlab run directory (no config.yaml)")
        self.config: Config = load_config(self.dir.config)
        self.messages = list(messages or [])
        checkpoint, tensors, info = load_latest(self.dir.checkpoints, warn=self.messages.append, check=state_problem)
        self.checkpoint_path, self.checkpoint_step = checkpoint, int(info["step"])
        self.sample_shape = tuple(int(s) for s in info["sample_shape"])
        self.num_classes = int(info["num_classes"])
        self.data_kind = str(info["data_kind"])
        self.generator, self.discriminator = self._models(tensors, bool(info.get("ema")))

    def _models(self, tensors: dict[str, dict[str, Tensor]], ema: bool) -> tuple[nn.Module, nn.Module]:
        from ganlab.accel import accelerate
        from ganlab.lipschitz import build_lipschitz

        G, D = build_models(self.config.model, self.sample_shape, self.num_classes, self.config.tricks)
        G, D = accelerate(G, self.config.train), accelerate(D, self.config.train)  # as the run trained them
        D = build_lipschitz(self.config.lipschitz).prepare(D)
        weights = tensors["tricks"] if ema else tensors["G"]
        if ema:
            weights = {k[len("ema.G.") :]: v for k, v in weights.items() if k.startswith("ema.G.")}
        try:
            G.load_state_dict(weights)
            D.load_state_dict(tensors["D"])
        except (RuntimeError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint {self.checkpoint_path} does not fit its config: {str(exc).splitlines()[0]}"
            ) from None
        return G.eval().requires_grad_(False), D.eval().requires_grad_(False)

    def sample(
        self,
        n: int,
        labels: Tensor | list[int] | int | None = None,
        seed: int | None = None,
        batch_size: int = 500,
        *,
        progress: bool | Mode = False,
    ) -> Tensor:
        """n samples in [-1, 1] on the CPU: (n, C, H, W) images or (n, D) points (EMA weights if kept);
        `progress` says where the drawing is (as for `ganlab.train`), for the long draws of an evaluation."""
        check_fits(n * math.prod(self.sample_shape) * 4, "n", f"{n} samples of {self.sample_shape} as float32", n)
        return torch.cat([chunk for chunk, _ in self.sample_chunks(n, labels, seed, batch_size, progress=progress)])

    def sample_chunks(
        self,
        n: int,
        labels: Tensor | list[int] | int | None = None,
        seed: int | None = None,
        batch_size: int = 500,
        *,
        progress: bool | Mode = False,
    ) -> Iterator[tuple[Tensor, Tensor | None]]:
        """The samples of `sample(n, labels, seed)` one chunk of `batch_size` at a time, each with the labels it
        was drawn for (None for an unconditional model): an evaluation of 50,000 samples never holds them all."""
        if n < 1:
            raise ConfigError("n", "at least 1 sample", n)
        gen = torch.Generator().manual_seed(seed if seed is not None else torch.seed() % (2**63))
        label_tensor = self._labels(n, labels, gen)
        device = next(self.generator.parameters()).device
        with Progress(n, f"{self.config.name}: drawing samples", "sample", progress) as bar:
            for start in range(0, n, batch_size):
                m = min(batch_size, n - start)
                z = torch.randn(m, self.config.model.z_dim, generator=gen).to(device)
                y = None if label_tensor is None else label_tensor[start : start + m]
                with torch.no_grad():
                    chunk = render_samples(self.generator, z, None if y is None else y.to(device)).cpu()
                yield chunk, y
                bar.update(m)

    def _labels(self, n: int, labels: Tensor | list[int] | int | None, gen: torch.Generator) -> Tensor | None:
        if not self.num_classes:
            if labels is not None:
                raise ArgumentError("--class", "no class: this model is not conditional", labels)
            return None
        if labels is None:  # uniform over classes
            return torch.randint(self.num_classes, (n,), generator=gen)
        if isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long)
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.num_classes:
            raise ArgumentError(
                "--class", f"class ids in 0..{self.num_classes - 1}, one per sample", labels.tolist()[:5]
            )
        return labels

    def metrics(self) -> list[dict[str, Any]]:
        """Rows of metrics.jsonl (damaged lines skipped and noted in `messages`)."""
        return read_jsonl(self.dir.metrics, warn=self.messages.append)

    def evals(self) -> list[dict[str, Any]]:
        """Rows of eval.jsonl (periodic evaluations; damaged lines skipped and noted in `messages`)."""
        return read_jsonl(self.dir.evals, warn=self.messages.append)

    @cached_property
    def summary(self) -> dict[str, Any]:
        path = self.dir.summary
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, step={self.checkpoint_step}, status={self.summary.get('status', 'unknown')!r})"


def load_run(path: str | Path, messages: list[str] | None = None) -> Run:
    """The run in directory `path` (its latest good checkpoint)."""
    return Run(Path(path), messages)
