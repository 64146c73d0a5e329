"""Checkpoints: weights and tensors as safetensors, the rest as JSON; never a pickle.

Layout: `checkpoints/step_0000500/` holding G, D (and the tricks' tensors such as the EMA generator),
optimizer tensors, RNG states, `state.json` and `manifest.json` (sha256 of every file). A checkpoint is
written into a temporary directory, each file fsynced, then renamed into place, so a crash leaves either
the old set or the new one. `latest` names the newest complete checkpoint; the last `keep` are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from ganlab.errors import CheckpointError

FORMAT = "ganlab-checkpoint-1"
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file, fsync, rename: readers see the old or the new file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _contiguous(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    # safetensors wants dense, contiguous, unshared CPU tensors.
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def write_checkpoint(
    root: Path, step: int, tensors: dict[str, dict[str, Tensor]], state: dict[str, Any], keep: int
) -> Path:
    """Write `checkpoints/step_XXXXXXX` atomically; `tensors` maps file stem -> tensors."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"step_{step:07d}"
    final, tmp = root / name, root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files: dict[str, str] = {}
    for stem, group in tensors.items():
        path = tmp / f"{stem}.safetensors"
        save_file(_contiguous(group), str(path))
        files[path.name] = ""
    (tmp / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    files["state.json"] = ""
    for fname in files:
        with open(tmp / fname, "rb") as f:
            os.fsync(f.fileno())
        files[fname] = sha256_file(tmp / fname)
    write_json_atomic(tmp / MANIFEST, {"format": FORMAT, "step": step, "files": files})
    _fsync_dir(tmp)
    if final.exists():  # a re-run of the same step after a rollback
        shutil.rmtree(final)
    os.replace(tmp, final)
    write_json_atomic(root / "latest.json", {"checkpoint": name, "step": step})
    _fsync_dir(root)
    _prune(root, keep)
    return final


def _prune(root: Path, keep: int) -> None:
    steps = sorted(p for p in root.glob("step_*") if p.is_dir())
    for old in steps[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def verify(path: Path) -> dict[str, Any]:
    """The manifest of checkpoint `path` after checking every file's sha256; CheckpointError otherwise."""
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path}: unreadable {MANIFEST} ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: not a ganlab checkpoint (expected format {FORMAT})")
    for fname, digest in manifest["files"].items():
        file = path / fname
        if not file.is_file() or sha256_file(file) != digest:
            raise CheckpointError(f"checkpoint {path}: {fname} is missing or does not match its sha256 in {MANIFEST}")
    return manifest


def read_checkpoint(path: Path) -> tuple[dict[str, dict[str, Tensor]], dict[str, Any]]:
    """(tensors by file stem, state) of a verified checkpoint."""
    manifest = verify(path)
    tensors: dict[str, dict[str, Tensor]] = {}
    for fname in manifest["files"]:
        if fname.endswith(".safetensors"):
            try:
                tensors[fname[: -len(".safetensors")]] = load_file(str(path / fname))
            except (SafetensorError, OSError) as exc:
                raise CheckpointError(f"checkpoint {path}: {fname} is not a valid safetensors file ({exc})") from None
    state = json.loads((path / "state.json").read_text(encoding="utf-8"))
    return tensors, state


def candidates(root: Path) -> list[Path]:
    """Checkpoint directories, newest first (the one `latest.json` names leads)."""
    found = sorted((p for p in root.glob("step_*") if p.is_dir()), reverse=True)
    latest = root / "latest.json"
    if latest.is_file():
        try:
            named = root / json.loads(latest.read_text(encoding="utf-8"))["checkpoint"]
            if named in found:
                found.remove(named)
                found.insert(0, named)
        except (json.JSONDecodeError, KeyError, TypeError):
            pass
    return found


def load_latest(root: Path, warn=None) -> tuple[Path, dict[str, dict[str, Tensor]], dict[str, Any]]:  # noqa: ANN001
    """The newest checkpoint that verifies; falls back to older ones, telling `warn` why."""
    found = candidates(root)
    if not found:
        raise CheckpointError(f"no checkpoint in {root}: nothing to resume or sample from")
    errors = []
    for path in found:
        try:
            tensors, state = read_checkpoint(path)
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
