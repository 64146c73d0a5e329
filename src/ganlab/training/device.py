"""Device and precision choices, in one place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from ganlab.errors import ArgumentError

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str) -> torch.device:
    """auto -> cuda when available, else cpu; an explicit cuda without a GPU is refused."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise ArgumentError("--device", "auto, cpu or cuda", name)
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ArgumentError("--device", "auto or cpu: no CUDA device is available here", name)
    return torch.device(name)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager[None]:
    """Mixed precision for the model maths; a no-op in fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=DTYPES[precision])


def compile_models(G: torch.nn.Module, D: torch.nn.Module, compile_critic: bool = True) -> None:
    """torch.compile the forward of G (and D) in place (train.compile=true).

    `Module.compile` keeps the module object and its parameter names, so `state.G`/`state.D` stay the plain
    modules a checkpoint saves (no `_orig_mod.` prefix) while every call runs the compiled forward. A critic
    under the gradient penalty stays eager: AOTAutograd graphs cannot be differentiated twice.
    """
    G.compile()
    if compile_critic:
        D.compile()


@contextlib.contextmanager
def frozen(module: torch.nn.Module) -> Iterator[None]:
    """No parameter gradients for `module` inside the block (D during G's step saves its weight grads)."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
