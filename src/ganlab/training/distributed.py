"""One training across processes (torchrun): each rank draws its shard of the global batch, gradients are
averaged, rank 0 writes the run directory.

`train.batch_size` is the GLOBAL batch. Every rank holds the same RNG streams and draws the random numbers of
the whole global batch (data indices, latent noise, penalty interpolation weights), then keeps its own slice;
so the union of the ranks' shards is exactly the batch a single process would draw, and with gradients
averaged the weights follow the single-process run (tests/integration/test_ddp.py checks it with gloo).
Gradients are all-reduced explicitly after backward rather than through DistributedDataParallel, whose
reducer does not support the double backward of the gradient penalty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ganlab.errors import ConfigError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def local_batch(self, global_batch: int) -> int:
        if global_batch % self.size:
            raise ConfigError("train.batch_size", f"a multiple of the number of processes ({self.size})", global_batch)
        return global_batch // self.size

    def shard(self, t: Tensor) -> Tensor:
        """This rank's contiguous slice of a global-batch tensor along dim 0."""
        if not self.distributed:
            return t
        n = len(t) // self.size
        return t[self.rank * n : (self.rank + 1) * n]


SINGLE = World()


def world_from_env() -> World:
    """The process group torchrun describes in the environment (initialised here), or a single process."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return SINGLE
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
    return World(rank=rank, size=size, local_rank=local_rank)


def device_for(world: World, requested: torch.device) -> torch.device:
    """One GPU per rank (cuda:LOCAL_RANK); CPU ranks share the CPU."""
    if requested.type == "cuda" and world.distributed:
        torch.cuda.set_device(world.local_rank)
        return torch.device("cuda", world.local_rank)
    return requested


def average_gradients(module: nn.Module, world: World) -> None:
    """grad <- mean over ranks, in one flat all-reduce (each rank's loss is a mean over its shard)."""
    if not world.distributed:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world.size
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def mean_over_ranks(values: Tensor, world: World) -> Tensor:
    """The mean of a tensor across ranks (logged scalars), a no-op in a single process."""
    if not world.distributed:
        return values
    values = values.clone()
    dist.all_reduce(values)
    return values / world.size


def finish(world: World) -> None:
    """Wait until every rank is done (rank 0 has written the run), then leave the process group."""
    if world.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
