"""Checkpoints: weights and tensors as safetensors, the rest as JSON; never a pickle.

Layout: `checkpoints/step_0000500/` holding G, D (and the tricks' tensors such as the EMA generator),
optimizer tensors, RNG states, `state.json` and `manifest.json` (sha256 of every file). A checkpoint is
written into a hidden temporary directory, each file fsynced, then renamed into place, so a crash leaves
either the old set or the new one. The newest directory that verifies is the one a resume uses
(`latest.json` names it for people and other tools); the last `keep` are kept.

Reading is as strict as writing: a manifest may list only plain file names ending in `.safetensors` or
`.json`, each file is read once, hashed, and parsed from those same bytes, so nothing outside the
checkpoint directory is read and nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as dump_safetensors
from torch import Tensor

from ganlab.atomic import fsync_file as _fsync_dir  # module names: the kill tests pause the writers here
from ganlab.atomic import write_bytes_durably, write_json
from ganlab.errors import CheckpointError

FORMAT = "ganlab-checkpoint-1"
MANIFEST = "manifest.json"
STATE = "state.json"
STEP_DIR = re.compile(r"step_(\d+)")
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.(safetensors|json)")
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cpu_tensors(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    # safetensors wants dense, contiguous, unshared CPU tensors.
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def step_dirs(root: Path) -> list[tuple[int, Path]]:
    """(step, directory) of the complete checkpoints named step_N, oldest first."""
    found = []
    for p in root.glob("step_*") if root.is_dir() else []:
        match = STEP_DIR.fullmatch(p.name)
        if match and p.is_dir():
            found.append((int(match.group(1)), p))
    return sorted(found)


def write_checkpoint(
    root: Path, step: int, tensors: dict[str, dict[str, Tensor]], state: dict[str, Any], keep: int
) -> Path:
    """Write `checkpoints/step_XXXXXXX` atomically; `tensors` maps file stem -> tensors.

    On any failure (a full disk, say) the temporary directory is removed and the error propagates: the
    checkpoints already on disk are untouched.
    """
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root)  # temporary directories of a process killed mid-write (we hold the run's lock)
    name = f"step_{step:07d}"
    final, tmp = root / name, root / f".{name}.tmp"
    try:
        tmp.mkdir()
        files: dict[str, str] = {}
        for stem, group in tensors.items():
            blob = dump_safetensors(_cpu_tensors(group))
            write_bytes_durably(tmp / f"{stem}.safetensors", blob)
            files[f"{stem}.safetensors"] = sha256_bytes(blob)
        blob = json.dumps(state, indent=1, sort_keys=True).encode("utf-8")
        write_bytes_durably(tmp / STATE, blob)
        files[STATE] = sha256_bytes(blob)
        write_json(tmp / MANIFEST, {"format": FORMAT, "step": step, "files": files})
        _fsync_dir(tmp)
        if final.exists():  # the same step again (after a rollback): move the old one aside first
            os.replace(final, root / f".{name}.old")
        os.replace(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(root / f".{name}.old", ignore_errors=True)
    write_json(root / "latest.json", {"checkpoint": name, "step": step})
    _prune(root, step, keep)
    return final


def _remove_leftovers(root: Path) -> None:
    """What a writer killed here left: a half-written `.step_*` directory, a temporary `latest.json`."""
    for p in {*root.glob(".step_*"), *root.glob(".*.tmp*")}:  # a set: `.step_N.tmp` matches both
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _prune(root: Path, step: int, keep: int) -> None:
    """Keep the last `keep` up to `step`; later ones belong to an abandoned past (a resume that fell back
    over a corrupt checkpoint) and go too."""
    dirs = step_dirs(root)
    for _, old in [d for d in dirs if d[0] <= step][:-keep] + [d for d in dirs if d[0] > step]:
        shutil.rmtree(old, ignore_errors=True)


def _read(path: Path, fname: str) -> bytes:
    try:
        return (path / fname).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"checkpoint {path}: {fname} is missing or unreadable ({exc.strerror})") from None


def _describe_foreign(path: Path) -> str:
    pickles = sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES) if path.is_dir() else []
    if pickles:
        return f" (found {pickles[0]}: ganlab loads only its own safetensors + JSON checkpoints, never a pickle)"
    return ""


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's {file name: sha256}, checked for shape; CheckpointError otherwise."""
    if not (path / MANIFEST).is_file():
        raise CheckpointError(f"checkpoint {path}: no {MANIFEST}, not a ganlab checkpoint{_describe_foreign(path)}")
    try:
        manifest = json.loads(_read(path, MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path}: unreadable {MANIFEST} ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: not a ganlab checkpoint (expected format {FORMAT})")
    files = manifest.get("files")
    if not isinstance(files, dict) or STATE not in files:
        raise CheckpointError(f"checkpoint {path}: {MANIFEST} lists no files or no {STATE}")
    for fname, digest in files.items():
        if not isinstance(fname, str) or not SAFE_NAME.fullmatch(fname) or not isinstance(digest, str):
            shown = str(fname)[:80]
            raise CheckpointError(
                f"checkpoint {path}: {MANIFEST} lists {shown!r}; only safetensors and JSON files are loaded"
            )
    return files


def verify(path: Path) -> dict[str, bytes]:
    """The bytes of every file of checkpoint `path`, each checked against its sha256 in the manifest."""
    contents = {}
    for fname, digest in read_manifest(path).items():
        data = _read(path, fname)
        if sha256_bytes(data) != digest:
            raise CheckpointError(f"checkpoint {path}: {fname} does not match its sha256 in {MANIFEST}")
        contents[fname] = data
    return contents


StateCheck = Callable[[dict[str, Any]], "str | None"]  # what is wrong with a checkpoint's state, or None


def read_checkpoint(path: Path, check: StateCheck | None = None) -> tuple[dict[str, dict[str, Tensor]], dict[str, Any]]:
    """(tensors by file stem, state) of a verified checkpoint; `check` refuses a state of the wrong shape."""
    tensors: dict[str, dict[str, Tensor]] = {}
    state: Any = None
    for fname, data in verify(path).items():
        try:
            if fname.endswith(".safetensors"):
                tensors[fname[: -len(".safetensors")]] = load_safetensors(data)
            elif fname == STATE:
                state = json.loads(data.decode("utf-8"))
        except (SafetensorError, UnicodeDecodeError, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise CheckpointError(f"checkpoint {path}: {fname} is not a valid file of its kind ({reason})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path}: {STATE} is not a JSON object")
    problem = check(state) if check is not None else None
    if problem:  # the hash matched, so the file was written this way: forged, or by a foreign tool
        raise CheckpointError(f"checkpoint {path}: {STATE} {problem}")
    return tensors, state


def candidates(root: Path) -> list[Path]:
    """Checkpoint directories, newest first; a `step_*` directory with a foreign name comes first, to be
    refused rather than silently skipped."""
    numbered = [p for _, p in reversed(step_dirs(root))]
    foreign = [p for p in root.glob("step_*") if p.is_dir() and p not in numbered] if root.is_dir() else []
    return sorted(foreign) + numbered


def has_checkpoints(root: Path) -> bool:
    """Whether `root` holds any checkpoint directory (good or bad); temporary ones do not count."""
    return bool(candidates(root))


def load_latest(
    root: Path, warn: Callable[[str], None] | None = None, check: StateCheck | None = None
) -> tuple[Path, dict[str, dict[str, Tensor]], dict[str, Any]]:
    """The newest checkpoint that verifies (and whose state passes `check`); falls back to older ones, telling
    `warn` why."""
    found = candidates(root)
    if not found:
        raise CheckpointError(f"no checkpoint in {root}: nothing to resume or sample from")
    errors: list[str] = []
    for path in found:
        try:
            tensors, state = read_checkpoint(path, check)
            if errors and warn is not None:
                warn(f"{errors[-1]}; using the previous good checkpoint {path.name}")
            return path, tensors, state
        except CheckpointError as exc:
            errors.append(str(exc))
    raise CheckpointError(
        errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} older checkpoints also fail)"
    )


def optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """An optimizer's state_dict split into tensors (safetensors) and plain data (JSON)."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, slots in sd["state"].items():
        for key, value in slots.items():
            if isinstance(value, Tensor):
                tensors[f"{idx}.{key}"] = value
            else:
                scalars[f"{idx}.{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def load_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, Tensor], info: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for flat, value in [*tensors.items(), *info["scalars"].items()]:
        idx, key = flat.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    opt.load_state_dict({"state": state, "param_groups": info["param_groups"]})
    # safetensors stores dense row-major tensors: give each moment its parameter's layout again
    # (channels_last), as a fresh optimizer would; otherwise the resumed updates are not bit-identical.
    for group in opt.param_groups:
        for param in group["params"]:
            for key, value in opt.state.get(param, {}).items():
                if isinstance(value, Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    opt.state[param][key] = torch.empty_like(param, dtype=value.dtype).copy_(value)
