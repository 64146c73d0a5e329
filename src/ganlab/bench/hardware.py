"""What this machine can do: its measured matmul and convolution peaks, and whether it has native bf16.

The peaks are timed on the spot with the thread count and precision of the run they are compared with
(issue 6): a square matmul, and the forward + backward of the convolutions of a 64x64 DCGAN critic
(batch 64, kernel 4, stride 2, channels_last), of which the fastest counts. FLOPs are counted with the
same FlopCounterMode as the training step, so the share of peak compares like with like.

Two estimates: `probe_peaks` takes the best of short blocks (a quick probe that picks the fastest convolution
shape), and `PeakMeter` the sustained rate of those kernels timed back to back in slices interleaved with the
bench's training window, total FLOPs over total time, as the training rate itself is measured. On a shared
virtual machine the best short block catches transients (one kernel's best blocks ranged 338-386 GFLOP/s within
a minute here, while its sustained rate was 349), so the share of peak uses the sustained, interleaved rate,
which sees the same clock speed and neighbours as the training it is compared with (benchmarks/README.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlab.training.device import autocast

MATMUL_SIDE = 2048
# (in_channels, out_channels, input side) of the strided convolutions of seed 000's 64x64 DCGAN critic.
CONV_SHAPES = ((64, 128, 32), (128, 256, 16), (256, 512, 8))
CONV_BATCH, CONV_KERNEL = 64, 4
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Peaks:
    matmul_gflops: float  # torch.mm, MATMUL_SIDE^3, forward
    conv_gflops: float  # the fastest CONV_SHAPES convolution, forward + backward (input and weight grads)
    conv_shape: str  # which one
    threads: int
    precision: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def synchronizer(device: torch.device) -> Callable[[], None]:
    """A function waiting for the device's queued work: a no-op on the CPU, cuda.synchronize on a GPU."""
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def best_time(fn: Callable[[], object], sync: Callable[[], None], budget_s: float, repeats: int = 3) -> float:
    """Seconds per call: the fastest of `repeats` timed blocks after two warm-up calls (other load on a
    shared machine only ever slows a block down, so the minimum is the best estimate of the machine)."""
    fn()
    fn()
    sync()
    start = time.perf_counter()
    fn()
    sync()
    once = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(budget_s / repeats / once))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def counted_flops(fn: Callable[[], object]) -> int:
    from ganlab.bench.flops import GlobalFlopCounter

    with GlobalFlopCounter() as counter:
        fn()
    return int(counter.get_total_flops())


def matmul_kernel(device: torch.device, precision: str) -> Callable[[], object]:
    """One MATMUL_SIDE^3 torch.mm under the run's autocast."""
    gen = torch.Generator(device).manual_seed(0)
    a = torch.randn(MATMUL_SIDE, MATMUL_SIDE, device=device, generator=gen)
    b = torch.randn(MATMUL_SIDE, MATMUL_SIDE, device=device, generator=gen)

    def run() -> object:
        with autocast(device, precision):
            return torch.mm(a, b)

    return run


def conv_kernel(device: torch.device, precision: str, shape: tuple[int, int, int]) -> Callable[[], object]:
    """Forward + backward (input and weight gradients) of one CONV_SHAPES convolution, channels_last."""
    c_in, c_out, side = shape
    gen = torch.Generator(device).manual_seed(0)
    layout = torch.channels_last
    x = torch.randn(CONV_BATCH, c_in, side, side, device=device, generator=gen).contiguous(memory_format=layout)
    w = torch.randn(c_out, c_in, CONV_KERNEL, CONV_KERNEL, device=device, generator=gen) * 0.02
    x.requires_grad_(True)
    w = w.contiguous(memory_format=layout).requires_grad_(True)

    def run() -> object:
        with autocast(device, precision):
            out = F.conv2d(x, w, stride=2, padding=1)
        return torch.autograd.grad(out, (x, w), torch.ones_like(out))

    return run


def describe_shape(shape: tuple[int, int, int]) -> str:
    c_in, c_out, side = shape
    return f"{c_in}->{c_out} ch, {side}x{side}, batch {CONV_BATCH}, k{CONV_KERNEL}s2"


def matmul_gflops(device: torch.device, precision: str, budget_s: float = 0.6) -> float:
    run = matmul_kernel(device, precision)
    return counted_flops(run) / best_time(run, synchronizer(device), budget_s) / 1e9


def conv_gflops(device: torch.device, precision: str, budget_s: float = 0.6) -> tuple[float, tuple[int, int, int]]:
    """The fastest forward + backward rate over CONV_SHAPES (best of short blocks), and that shape."""
    best, best_shape = 0.0, CONV_SHAPES[0]
    for shape in CONV_SHAPES:
        run = conv_kernel(device, precision, shape)
        rate = counted_flops(run) / best_time(run, synchronizer(device), budget_s / len(CONV_SHAPES)) / 1e9
        if rate > best:
            best, best_shape = rate, shape
    return best, best_shape


def probe_peaks(device: torch.device, precision: str, budget_s: float = 1.2) -> tuple[Peaks, PeakMeter]:
    """The best-of-short-blocks peaks, and a PeakMeter on the fastest convolution shape they found."""
    conv, shape = conv_gflops(device, precision, budget_s / 2)
    threads = torch.get_num_threads()
    best = Peaks(matmul_gflops(device, precision, budget_s / 2), conv, describe_shape(shape), threads, precision)
    return best, PeakMeter(device, precision, shape)


class PeakMeter:
    """The conv and matmul peak kernels run back to back in slices (between stretches of training), their
    sustained rates = FLOPs done / seconds spent over all slices (module doc)."""

    CONV_SHARE = 2 / 3  # of each slice; the rest times the matmul

    def __init__(self, device: torch.device, precision: str, shape: tuple[int, int, int]) -> None:
        self.precision, self.shape = precision, shape
        self.sync = synchronizer(device)
        self.kernels = {"conv": conv_kernel(device, precision, shape), "matmul": matmul_kernel(device, precision)}
        self.flops = {name: counted_flops(run) for name, run in self.kernels.items()}
        self.done = {name: 0 for name in self.kernels}
        self.seconds = {name: 0.0 for name in self.kernels}
        self.slice_rates: list[float] = []  # the conv rate of each slice

    def slice(self, seconds: float) -> float:
        """Time one slice of about `seconds`; returns the seconds it took."""
        begun = time.perf_counter()
        for name, budget in (("conv", seconds * self.CONV_SHARE), ("matmul", seconds * (1 - self.CONV_SHARE))):
            run = self.kernels[name]
            run()  # this kernel's caches and primitives, after the training's
            self.sync()
            start, calls = time.perf_counter(), 0
            while calls == 0 or time.perf_counter() - start < budget:
                run()
                calls += 1
                self.sync()
            elapsed = time.perf_counter() - start
            self.done[name] += calls
            self.seconds[name] += elapsed
            if name == "conv":
                self.slice_rates.append(self.flops[name] * calls / elapsed / 1e9)
        return time.perf_counter() - begun

    def rate(self, name: str) -> float:
        return self.flops[name] * self.done[name] / self.seconds[name] / 1e9 if self.seconds[name] else 0.0

    def peaks(self) -> Peaks:
        """The sustained rates of all slices so far."""
        return Peaks(
            self.rate("matmul"), self.rate("conv"), describe_shape(self.shape), torch.get_num_threads(), self.precision
        )


def cpuinfo_field(name: str, path: Path = Path("/proc/cpuinfo")) -> str | None:
    """The first `name : value` line of /proc/cpuinfo (Linux); None where it is missing or unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_flags() -> set[str]:
    """The CPU's feature flags; empty where unknown."""
    return set((cpuinfo_field("flags") or "").split())


def bf16_support(device: torch.device) -> dict[str, object]:
    """Whether bf16 maths is native here: AVX512-BF16 / AMX on a CPU (oneDNN), compute capability on a GPU."""
    if device.type == "cuda":
        return {"native": bool(torch.cuda.is_bf16_supported()), "gpu": torch.cuda.get_device_name(device)}
    found = [flag for flag in BF16_FLAGS if flag in cpu_flags()]
    onednn = bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return {
        "native": bool(found) and onednn,
        "cpu_flags": found,
        "onednn_bf16": onednn,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model name."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    return cpuinfo_field("model name") or platform.processor() or platform.machine()
