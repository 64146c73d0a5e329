"""Checkpoints on disk: atomic writes, sha256 manifests, fallback, pruning, and refusal of anything foreign."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import load, save

import ganlab.rundir.checkpoint as ck
from ganlab.errors import CheckpointError


def _write(root: Path, step: int, keep: int = 2) -> Path:
    tensors = {"G": {"w": torch.full((2, 3), float(step))}, "D": {"w": torch.arange(4.0) * step}}
    return ck.write_checkpoint(root, step, tensors, {"step": step, "note": "é"}, keep=keep)


def test_round_trip_with_manifest(tmp_path: Path) -> None:
    path = _write(tmp_path, 3)
    tensors, state = ck.read_checkpoint(path)
    torch.testing.assert_close(tensors["G"]["w"], torch.full((2, 3), 3.0))
    assert state == {"step": 3, "note": "é"}
    manifest = json.loads((path / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((path / name).read_bytes()).hexdigest() == digest
    assert json.loads((tmp_path / "latest.json").read_text()) == {"checkpoint": "step_0000003", "step": 3}


def test_keeps_the_last_n_and_drops_an_abandoned_future(tmp_path: Path) -> None:
    for step in (2, 4, 6, 8):
        _write(tmp_path, step)
    assert [s for s, _ in ck.step_dirs(tmp_path)] == [6, 8]
    _write(tmp_path, 7)  # after a fallback to 6: step 8 belongs to an abandoned past
    assert [s for s, _ in ck.step_dirs(tmp_path)] == [6, 7]


def test_leftovers_of_a_killed_writer_are_removed_and_never_loaded(tmp_path: Path) -> None:
    _write(tmp_path, 2)
    (tmp_path / ".step_0000004.tmp").mkdir()
    (tmp_path / ".step_0000004.tmp" / "G.safetensors").write_bytes(b"torn")
    (tmp_path / ".latest.4242.tmp.json").write_bytes(b'{"checkp')  # latest.json's writer killed mid-write
    assert ck.load_latest(tmp_path)[0].name == "step_0000002"
    _write(tmp_path, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "step_0000002", "step_0000004"]


def test_a_tampered_file_is_refused_and_resume_falls_back_saying_so(tmp_path: Path) -> None:
    _write(tmp_path, 2)
    newest = _write(tmp_path, 4)
    blob = bytearray((newest / "D.safetensors").read_bytes())
    blob[-1] ^= 1
    (newest / "D.safetensors").write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="D.safetensors does not match its sha256"):
        ck.read_checkpoint(newest)
    said: list[str] = []
    path, _, state = ck.load_latest(tmp_path, warn=said.append)
    assert (path.name, state["step"]) == ("step_0000002", 2)
    assert len(said) == 1 and "using the previous good checkpoint step_0000002" in said[0]


def test_when_no_checkpoint_verifies_the_error_is_one_line(tmp_path: Path) -> None:
    for step in (2, 4):
        (_write(tmp_path, step) / "G.safetensors").unlink()
    with pytest.raises(CheckpointError) as err:
        ck.load_latest(tmp_path)
    assert "\n" not in str(err.value) and "(and 1 older checkpoints also fail)" in str(err.value)
    with pytest.raises(CheckpointError, match="no checkpoint in"):
        ck.load_latest(tmp_path / "none")


class _Touch:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"../../outside.safetensors": "0" * 64, "state.json": "0"}, "only safetensors and JSON files are loaded"),
        ({"model.pt": "x", "state.json": "0"}, "lists 'model.pt'"),
        ({"/etc/passwd.json": "x", "state.json": "0"}, "only safetensors and JSON files are loaded"),
        ({"G.safetensors": "x"}, "lists no files or no state.json"),
        ([], "lists no files"),
    ],
)
def test_manifests_naming_anything_but_own_files_are_refused(tmp_path: Path, files: object, message: str) -> None:
    path = tmp_path / "step_0000001"
    path.mkdir()
    (path / "manifest.json").write_text(json.dumps({"format": ck.FORMAT, "files": files}))
    with pytest.raises(CheckpointError, match=message):
        ck.read_checkpoint(path)


def test_pickles_are_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    bomb = pickle.dumps(_Touch(marker))
    no_manifest = tmp_path / "step_0000001"
    no_manifest.mkdir()
    (no_manifest / "model.pt").write_bytes(bomb)
    with pytest.raises(CheckpointError, match="found model.pt: ganlab loads only its own safetensors"):
        ck.read_checkpoint(no_manifest)
    disguised = _write(tmp_path, 2)  # a pickle named G.safetensors with a manifest that matches it
    (disguised / "G.safetensors").write_bytes(bomb)
    manifest = json.loads((disguised / "manifest.json").read_text())
    manifest["files"]["G.safetensors"] = hashlib.sha256(bomb).hexdigest()
    (disguised / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="G.safetensors is not a valid file of its kind"):
        ck.read_checkpoint(disguised)
    state = _write(tmp_path, 3)  # state.json that is not JSON, hash matching
    (state / "state.json").write_bytes(bomb)
    manifest = json.loads((state / "manifest.json").read_text())
    manifest["files"]["state.json"] = hashlib.sha256(bomb).hexdigest()
    (state / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="state.json is not a valid file of its kind"):
        ck.read_checkpoint(state)
    assert not marker.exists()


def test_a_full_disk_mid_write_leaves_the_previous_checkpoint_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, 2)
    real = ck.write_bytes_durably

    def full(path: Path, data: bytes) -> None:
        if path.name.startswith("D."):
            path.write_bytes(data[:5])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(ck, "write_bytes_durably", full)
    with pytest.raises(OSError) as err:
        _write(tmp_path, 4)
    assert err.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "step_0000002"]
    assert ck.load_latest(tmp_path)[2]["step"] == 2


def test_optimizer_moments_get_their_parameters_layout_back() -> None:
    """safetensors stores row-major tensors; a channels_last weight's Adam moments must be channels_last again,
    as a fresh optimizer makes them: with mixed layouts CPU Adam rounded differently and a resumed DCGAN left
    the uninterrupted run (tests/integration/test_reliability.py found it; it checks the consequence)."""
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.randn(4, 3, 5, 5).contiguous(memory_format=torch.channels_last))
    copy = torch.nn.Parameter(weight.detach().clone().contiguous(memory_format=torch.channels_last))
    opt, opt_copy = torch.optim.Adam([weight], lr=0.1), torch.optim.Adam([copy], lr=0.1)
    grads = [torch.randn(4, 3, 5, 5).contiguous(memory_format=torch.channels_last) for _ in range(3)]
    weight.grad = grads[0].clone()
    opt.step()
    copy.grad = grads[0].clone()
    opt_copy.step()
    tensors, info = ck.optimizer_tensors(opt_copy)
    restored = torch.optim.Adam([copy], lr=0.1)
    ck.load_optimizer(restored, load(save(ck._cpu_tensors(tensors))), json.loads(json.dumps(info)))
    for key in ("exp_avg", "exp_avg_sq"):
        assert restored.state[copy][key].stride() == copy.stride() == opt.state[weight][key].stride()
    for grad in grads[1:]:
        weight.grad, copy.grad = grad.clone(), grad.clone()
        opt.step()
        restored.step()
    assert torch.equal(weight, copy)


def test_keys_added_to_the_schema_leave_older_checkpoints_resumable() -> None:
    """A key added after runs existed (`opt(..., added=True)`) is left out of the config digest at its default:
    the digest equals the one computed before the key existed; any other value changes it."""
    import hashlib
    import json
    from dataclasses import replace

    from ganlab.config.loading import to_dict
    from ganlab.plugins import load_config
    from ganlab.rundir.state import RESUMABLE_KEYS, RESUMABLE_SECTIONS, added_at_default, config_digest

    cfg = load_config("dcgan")
    assert "model.d_activation" in added_at_default(cfg)
    before = to_dict(cfg)  # the identity as the code before the added keys (d_activation among them) computed it
    for dotted in added_at_default(cfg):
        section, key = dotted.split(".")
        del before[section][key]
    for section in RESUMABLE_SECTIONS:
        before.pop(section, None)
    for dotted in RESUMABLE_KEYS:
        section, key = dotted.split(".")
        before[section].pop(key, None)
    for key in ("name", "description", "source"):
        before.pop(key, None)
    old = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()
    assert config_digest(cfg) == old
    relu = replace(cfg, model=replace(cfg.model, d_activation="relu"))
    assert config_digest(relu) != old
