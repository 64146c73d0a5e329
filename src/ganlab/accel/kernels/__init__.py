"""Small C kernels for the CPU, built on first use with the system's C compiler and loaded with ctypes.

Where torch's CPU kernels take several passes over memory for what is one pass of arithmetic (batch norm
followed by its activation: `norm_act.c`), ganlab ships the C source and builds it for this machine
(`-O3 -march=native -fopenmp`) the first time it is needed, into $GANLAB_CACHE/kernels (default
~/.cache/ganlab/kernels), named by a hash of the source, the flags, the compiler and the CPU, so an edited
source, another compiler or another CPU builds anew. A build takes well under a second and is written to a
temporary name then renamed, so processes building at once (the ranks of a torchrun) never load half a file.

No compiler, a failed build or a failed load gives None, with one warning per kernel and process: the callers
then use torch's own kernels, which compute the same thing (no C toolchain is required to use ganlab).
The kernels' OpenMP runtime is the one torch already loaded (same soname, libgomp.so.1 on Linux), and each
call is given torch's intra-op thread count.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from ganlab.cache import cache_root
from ganlab.errors import GanlabWarning

SOURCES = Path(__file__).parent
FLAG_SETS = (
    ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-std=c11"),
    ("-O3", "-fopenmp", "-shared", "-fPIC", "-std=c11"),  # compilers without -march=native
)
BUILD_TIMEOUT_S = 120


def compiler() -> str | None:
    """$CC, else the first of cc, gcc, clang found on PATH."""
    wanted = os.environ.get("CC")
    if wanted:
        return shutil.which(wanted)
    return next((found for name in ("cc", "gcc", "clang") if (found := shutil.which(name))), None)


def machine_tag() -> str:
    """What a -march=native build depends on: the architecture and the CPU's feature flags."""
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.split(":")[0].strip() in ("flags", "Features"):
                flags = line
                break
    except OSError:
        pass
    return f"{platform.system()}-{platform.machine()}-{flags}"


def library_path(name: str, cc: str, flags: tuple[str, ...]) -> Path:
    """The cache path of kernel `name` built by `cc` with `flags` for this machine."""
    source = (SOURCES / f"{name}.c").read_bytes()
    key = hashlib.sha256(b"\0".join([source, cc.encode(), " ".join(flags).encode(), machine_tag().encode()]))
    return cache_root() / "kernels" / f"{name}-{key.hexdigest()[:16]}.so"


def build(name: str, cc: str, flags: tuple[str, ...], target: Path) -> None:
    """Compile kernels/`name`.c into `target` (atomically); CalledProcessError / OSError / TimeoutExpired on
    failure."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        subprocess.run(
            [cc, *flags, str(SOURCES / f"{name}.c"), "-o", tmp, "-lm"],
            check=True,
            capture_output=True,
            timeout=BUILD_TIMEOUT_S,
        )
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


@functools.cache
def load(name: str) -> ctypes.CDLL | None:
    """Kernel `name` (kernels/`name`.c) for this machine, built and cached on first use; None (with one warning)
    where it cannot be built or loaded."""
    cc = compiler()
    if cc is None:
        _unavailable(name, "no C compiler found ($CC, cc, gcc or clang)")
        return None
    errors = []
    for flags in FLAG_SETS:
        target = library_path(name, cc, flags)
        try:
            if not target.is_file():
                build(name, cc, flags, target)
            return ctypes.CDLL(str(target))
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
            errors.append(last[-1] if last else f"{cc} exited with {exc.returncode}")
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(str(exc))
    _unavailable(name, f"{cc} could not build it: {errors[-1]}")
    return None


def _unavailable(name: str, why: str) -> None:
    warnings.warn(
        f"the C kernel '{name}' is not available ({why}); torch's kernels are used instead, a little "
        "slower (train.fused_norm=false turns this path off)",
        GanlabWarning,
        stacklevel=3,
    )
