"""TrainState: everything a step reads and everything a resume needs, in one object."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ganlab.accel import accelerate
from ganlab.config.schema import Config, OptimizerConfig
from ganlab.data.base import Dataset
from ganlab.errors import ConfigError
from ganlab.lipschitz import Lipschitz, build_lipschitz
from ganlab.losses import LOSSES, AdversarialLoss
from ganlab.models import build_models, mixes_samples
from ganlab.training.algorithm import Update
from ganlab.training.device import autocast, compile_models
from ganlab.training.distributed import SINGLE, World
from ganlab.training.objective import GeneratorObjective
from ganlab.training.sampler import BatchSampler
from ganlab.tricks import TrickSet, build_tricks

# One torch.Generator per purpose, each seeded from train.seed, so that a change in one stream (a trick that
# draws noise, say) leaves the data order and the latent noise untouched, and resume restores each exactly.
RNG_STREAMS = ("data", "noise", "penalty", "tricks")


@dataclass
class TrainState:
    config: Config
    device: torch.device
    data: Dataset
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    scaler_g: torch.amp.GradScaler
    scaler_d: torch.amp.GradScaler
    loss: AdversarialLoss
    lipschitz: Lipschitz
    tricks: TrickSet
    g_objective: GeneratorObjective  # what G minimises: the adversarial loss or feature matching, D or D unrolled
    rng: dict[str, torch.Generator]
    sampler: BatchSampler
    fixed_z: Tensor  # (grid, z_dim): the noise of the sample grids, fixed for the whole run
    fixed_labels: Tensor | None
    step: int = 0  # generator updates done
    d_steps: int = 0  # discriminator updates done
    lr_scale: float = 1.0  # halved by each divergence rollback
    rollbacks: int = 0
    extra: dict[str, float] = field(default_factory=dict)  # small scalars hooks keep across resume
    world: World = SINGLE  # the processes of a torchrun training (training/distributed.py)
    joint_critic: bool = False  # D sees real and fake in one forward pass (it treats samples independently)

    @property
    def num_classes(self) -> int:
        return self.data.num_classes if self.config.model.conditional else 0

    @property
    def sampling_G(self) -> nn.Module:
        """The generator used for samples and evaluation: the weight average when kept."""
        ema = self.tricks.get("ema")
        return ema.average if ema is not None else self.G  # type: ignore[attr-defined]

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        return autocast(self.device, self.config.train.precision)

    @property
    def update_d(self) -> Update:
        """D's optimiser step, with its loss scale and this training's processes."""
        return Update(self.D, self.opt_d, self.scaler_d, self.world)

    @property
    def update_g(self) -> Update:
        return Update(self.G, self.opt_g, self.scaler_g, self.world)

    @property
    def batch_size(self) -> int:
        """This process's share of train.batch_size (all of it in a single process)."""
        return self.world.local_batch(self.config.train.batch_size)

    def noise(self, n: int) -> Tensor:
        """z ~ N(0, I), (n, z_dim), from the run's noise stream (this rank's slice of the global draw)."""
        z = torch.randn(n * self.world.size, self.config.model.z_dim, generator=self.rng["noise"], device=self.device)
        return self.world.shard(z)

    def real_batch(self) -> tuple[Tensor, Tensor | None]:
        """The next real batch, drawn by index on the device: (B, C, H, W) in [-1, 1] (channels_last when
        set) or (B, D) points, and its labels (B,) or None."""
        idx = self.world.shard(self.sampler.next())  # the global batch's indices, this rank's slice
        real = self.data.batch(idx)
        if real.dim() == 4 and self.config.train.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)  # a no-op for one channel
        return real, self.data.batch_labels(idx)


def make_optimizer(params: Iterable[nn.Parameter], cfg: OptimizerConfig, fused: bool = True) -> torch.optim.Optimizer:
    """The optimizer of `cfg`. Training's Adam is fused: one kernel over all parameters, faster than the
    per-tensor loop on a CPU and the fastest path on CUDA, GradScaler-aware (benchmarks/README.md); its updates
    differ from the per-tensor Adam's in the last bit. The toys keep torch's default Adam (fused=False): their
    networks are too small for the kernel to matter, and their published records were made with it."""
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, fused=fused or None)
    return torch.optim.RMSprop(params, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps)


def make_generators(seed: int, device: torch.device) -> dict[str, torch.Generator]:
    return {name: torch.Generator(device).manual_seed(seed * 1_000 + i + 1) for i, name in enumerate(RNG_STREAMS)}


def build_state(cfg: Config, data: Dataset, device: torch.device, world: World = SINGLE) -> TrainState:
    """A fresh state: models initialised from train.seed, optimizers, RNG streams, fixed grid noise."""
    world.local_batch(cfg.train.batch_size)  # refuses a global batch the processes cannot share evenly
    if cfg.model.conditional and data.labels is None:
        raise ConfigError("model.conditional", f"a labelled dataset ({data.name} has no classes)", True)
    if cfg.train.batch_size > len(data):
        raise ConfigError("train.batch_size", f"at most the dataset size ({len(data)} samples)", cfg.train.batch_size)
    torch.manual_seed(cfg.train.seed)  # initial weights
    num_classes = data.num_classes if cfg.model.conditional else 0
    G, D = build_models(cfg.model, data.shape, num_classes, cfg.tricks)
    G, D = accelerate(G, cfg.train), accelerate(D, cfg.train)  # the CPU speed paths (ganlab.accel)
    lipschitz = build_lipschitz(cfg.lipschitz)
    D = lipschitz.prepare(D)
    G, D = G.to(device), D.to(device)
    if cfg.train.channels_last and data.kind == "image":
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    rng = make_generators(cfg.train.seed, device)
    grid = torch.Generator(device).manual_seed(cfg.train.seed)
    fixed_z = torch.randn(cfg.log.grid_size, cfg.model.z_dim, generator=grid, device=device)
    fixed_labels = None
    if num_classes:  # each row of the grid one class (seed 001 Fig. 9)
        fixed_labels = torch.arange(cfg.log.grid_size, device=device) % num_classes
    scaling = cfg.train.precision == "fp16"
    state = TrainState(
        config=cfg,
        device=device,
        data=data,
        G=G,
        D=D,
        opt_g=make_optimizer(G.parameters(), cfg.optim.g),
        opt_d=make_optimizer(D.parameters(), cfg.optim.d),
        scaler_g=torch.amp.GradScaler(device.type, enabled=scaling),
        scaler_d=torch.amp.GradScaler(device.type, enabled=scaling),
        loss=LOSSES.get(cfg.loss.name, "loss.name"),
        lipschitz=lipschitz,
        tricks=build_tricks(cfg.tricks, G, cfg.train.steps, rng["tricks"]),
        g_objective=GeneratorObjective.from_config(cfg.tricks),
        rng=rng,
        sampler=BatchSampler(len(data), cfg.train.batch_size, rng["data"]),
        fixed_z=fixed_z,
        fixed_labels=fixed_labels,
        world=world,
        joint_critic=not mixes_samples(D),
    )
    if cfg.train.compile:  # after the tricks copied G (the EMA average stays a plain module)
        compile_models(state.G, state.D, compile_critic=state.lipschitz.name != "gp")
    return state
