"""Reliability and safety, done on purpose (issue 5): stop and resume, divergence, a full disk, foreign code.

Each test drives the real command line in-process (`ganlab.cli.main`) on the bundled digits set with tiny MLPs,
injects the failure (a signal, a NaN, an ENOSPC, a pickle that would run code) and checks what the user gets:
the exit code, exactly one `ganlab: error:` line and no traceback, and what is left on disk.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import ganlab.training.loop as loop_module
from ganlab.cli import main
from ganlab.compose import train
from ganlab.errors import Interrupted
from ganlab.plugins import load_config
from ganlab.rundir.checkpoint import load_latest, step_dirs
from ganlab.rundir.run import load_run

TINY = {
    "data.name": "digits",
    "data.subset": 128,
    "train.batch_size": 16,
    "train.steps": 8,
    "train.checkpoint_every": 2,
    "log.every": 3,
    "log.sample_every": 4,
    "log.grid_size": 4,
    "log.tensorboard": False,
    "model.g_hidden": [16],
    "model.d_hidden": [16],
    "model.z_dim": 8,
}


def sets(**extra: object) -> list[str]:
    args = []
    for key, value in {**TINY, **{k.replace("__", "."): v for k, v in extra.items()}}.items():
        args += ["--set", f"{key}={json.dumps(value) if not isinstance(value, str) else value}"]
    return args


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ganlab ARGV` run in this process."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    """The single `ganlab: error:` line of stderr (and no traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("ganlab: error:")]
    assert len(lines) == 1, err
    return lines[0]


def tree(path: Path) -> dict[str, str]:
    """Every file under `path` with its sha256: compared before and after to prove nothing was written."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def tensors_equal(a: Path, b: Path) -> None:
    for name in ("G", "D", "opt_g", "opt_d", "rng"):
        ours, theirs = load_file(a / f"{name}.safetensors"), load_file(b / f"{name}.safetensors")
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), f"{name}.{key}"


def rows(run: Path) -> list[dict]:
    return [
        {k: v for k, v in json.loads(line).items() if k != "time_s"}
        for line in (run / "metrics.jsonl").read_text().splitlines()
    ]


def poison_g_step(monkeypatch: pytest.MonkeyPatch, at_step: int, kind: str, times: int = 10**9) -> list[int]:
    """Make generator step `at_step` (1-based) produce a non-finite loss, gradient or weight, `times` times."""
    real, hits = loop_module.g_step, []

    def g_step(state, *args, **kwargs):
        out = real(state, *args, **kwargs)
        if state.step + 1 == at_step and len(hits) < times:
            hits.append(state.step + 1)
            param = next(state.G.parameters())
            if kind == "loss":
                out["loss_g"] = out["loss_g"] * float("nan")
            elif kind == "gradient":
                param.grad.fill_(float("inf"))
            else:
                with torch.no_grad():
                    param.view(-1)[0] = float("nan")
        return out

    monkeypatch.setattr(loop_module, "g_step", g_step)
    return hits


# --- stop and resume ---------------------------------------------------------------------------------
def test_sigterm_writes_a_checkpoint_and_resume_is_bit_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = dict(TINY, **{"model.generator": "dcgan", "model.discriminator": "dcgan", "model.g_channels": 8})
    overrides |= {"model.d_channels": 8, "model.g_max_channels": 16, "model.d_max_channels": 16, "tricks.ema": 0.9}
    cfg = load_config("dcgan", overrides)  # batch norm buffers, EMA weights and channels_last all cross the resume
    straight = train(cfg, out=tmp_path / "straight", device="cpu")
    real = loop_module.g_step

    def g_step(state, *args, **kwargs):
        if state.step == 4:
            os.kill(os.getpid(), signal.SIGTERM)  # the real handler: finish the step, checkpoint, stop
        return real(state, *args, **kwargs)

    monkeypatch.setattr(loop_module, "g_step", g_step)
    with pytest.raises(Interrupted):
        train(cfg, out=tmp_path / "stopped", device="cpu")
    stopped = tmp_path / "stopped"
    assert json.loads((stopped / "summary.json").read_text())["status"] == "interrupted"
    assert step_dirs(stopped / "checkpoints")[-1][0] == 5  # the step in flight was finished, then saved
    monkeypatch.setattr(loop_module, "g_step", real)
    resumed = train(cfg, out=stopped, resume=True, device="cpu")
    assert resumed.summary["status"] == "completed"
    tensors_equal(stopped / "checkpoints/step_0000008", straight.path / "checkpoints/step_0000008")
    for key in ("tricks", "accum"):
        a, b = (
            (stopped / f"checkpoints/step_0000008/{key}.safetensors"),
            (straight.path / f"checkpoints/step_0000008/{key}.safetensors"),
        )
        assert a.exists() == b.exists() and (
            not a.exists()
            or all(torch.equal(x, y) for x, y in zip(load_file(a).values(), load_file(b).values(), strict=True))
        )
    assert rows(stopped) == rows(straight.path)


def test_cli_interrupt_exits_130_and_resume_may_extend_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = loop_module.g_step

    def g_step(state, *args, **kwargs):
        if state.step == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real(state, *args, **kwargs)

    monkeypatch.setattr(loop_module, "g_step", g_step)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    assert code == 130 and "interrupted by SIGINT at generator step 3" in one_error(err)
    assert f"continue with: ganlab train --resume --out {run}" in err
    monkeypatch.setattr(loop_module, "g_step", real)
    code, out, err = cli(["train", "--resume", "--out", str(run), "--set", "train.steps=12"], capsys)
    assert code == 0, err
    assert load_config(run / "config.yaml").train.steps == 12  # config.yaml follows the resumable change
    code, _, err = cli(["train", "gan", *sets(**{"train.steps": 12}), "--out", str(tmp_path / "straight")], capsys)
    assert code == 0, err
    tensors_equal(run / "checkpoints/step_0000012", tmp_path / "straight/checkpoints/step_0000012")
    code, _, err = cli(["train", "--resume", "--out", str(run), "--set", "optim.g.lr=0.1"], capsys)
    assert code == 2 and "'optim.g.lr'" in one_error(err)


# --- divergence ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "at_step", "reported", "what"),
    [("loss", 5, 5, "loss_g"), ("gradient", 5, 5, "the gradient of G"), ("weight", 6, 6, "a weight of G")],
)
def test_non_finite_loss_gradient_or_weight_stops_with_exit_3_at_its_step(
    kind: str,
    at_step: int,
    reported: int,
    what: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    poison_g_step(monkeypatch, at_step, kind)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    line = one_error(err)
    assert code == 3 and f"diverged at generator step {reported}: {what} is not finite" in line, line
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["status"], summary["diverged_at"]) == ("diverged", reported)
    assert [s for s, _ in step_dirs(run / "checkpoints")] == [2, 4]  # nothing written after the bad step
    assert "last good checkpoint step_0000004 kept" in line
    assert load_run(run).checkpoint_step == 4
    assert all(r["step"] < reported for r in rows(run))
    monkeypatch.undo()
    code, _, err = cli(["train", "--resume", "--out", str(run)], capsys)  # a transient fault: resume completes
    assert code == 0, err
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"


def test_a_huge_learning_rate_diverges_and_rollback_gives_up_after_max_rollbacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    huge = sets(**{"loss.name": "wasserstein", "optim.g.lr": 1e10, "optim.d.lr": 1e10})
    code, _, err = cli(["train", "gan", *huge, "--out", str(run)], capsys)
    assert code == 3 and "is not finite" in one_error(err)
    code, _, err = cli(
        [
            "train",
            "--resume",
            "--out",
            str(run),
            "--set",
            "train.on_divergence=rollback",
            "--set",
            "train.max_rollbacks=2",
        ],
        capsys,
    )
    line = one_error(err)
    assert code == 3 and "gave up after 2 rollback(s) (train.max_rollbacks=2), learning rates x0.25" in line, line
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert sum("rolled back to step" in m for m in summary["messages"]) == 2


def test_rollback_halves_the_learning_rates_and_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = poison_g_step(monkeypatch, 5, "loss", times=1)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(**{"train.on_divergence": "rollback"}), "--out", str(run)], capsys)
    assert code == 0, err
    assert hits == [5]
    assert "rolled back to step 4 with learning rates x0.5 (rollback 1 of at most 3)" in err
    state = json.loads((run / "checkpoints/step_0000008/state.json").read_text())
    assert (state["lr_scale"], state["rollbacks"]) == (0.5, 1)
    assert [g["lr"] for g in state["opt_g"]["param_groups"]] == [load_config(run / "config.yaml").optim.g.lr * 0.5]
    assert [r["step"] for r in rows(run)] == [3, 6, 8]


def test_persistent_divergence_rolls_back_at_most_max_rollbacks_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = poison_g_step(monkeypatch, 5, "loss")
    run = tmp_path / "run"
    code, _, err = cli(
        ["train", "gan", *sets(**{"train.on_divergence": "rollback", "train.max_rollbacks": 2}), "--out", str(run)],
        capsys,
    )
    assert code == 3 and "gave up after 2 rollback(s)" in one_error(err)
    assert hits == [5, 5, 5]  # the first time and after each of the two rollbacks
    assert [s for s, _ in step_dirs(run / "checkpoints")] == [2, 4]


@pytest.mark.parametrize("preset", ["gan", "wgan-gp", "cdcgan-tricks"])
def test_steps_between_log_steps_read_nothing_back_from_the_device(
    preset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The divergence watch and the losses stay on the device: no step and no cadence check between two log
    steps calls any of the Python ways of reading a tensor to the host (each one a device sync on a GPU)."""
    reads: list[str] = []
    inside = {"now": False}
    for name in ("item", "cpu", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__"):
        real = getattr(torch.Tensor, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            if inside["now"]:
                reads.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, spy)
    one_step, cadences = loop_module.Loop._one_step, loop_module.Loop._cadences

    def watched_step(self, metrics):
        inside["now"] = True
        try:
            return one_step(self, metrics)
        finally:
            inside["now"] = False

    def watched_cadences(self, metrics, bar):
        inside["now"] = self.state.step % self.state.config.log.every != 0 and self.state.step != 6
        try:
            return cadences(self, metrics, bar)
        finally:
            inside["now"] = False

    monkeypatch.setattr(loop_module.Loop, "_one_step", watched_step)
    monkeypatch.setattr(loop_module.Loop, "_cadences", watched_cadences)
    small = {"model.g_channels": 8, "model.d_channels": 8, "model.g_max_channels": 16, "model.d_max_channels": 16}
    overrides = TINY | small | {"log.grid_size": 10}
    overrides |= {"train.steps": 6, "log.every": 6, "train.checkpoint_every": 6, "log.sample_every": 0}
    train(load_config(preset, overrides), out=tmp_path / "run", device="cpu")
    assert reads == []


# --- a full disk -----------------------------------------------------------------------------------
def test_full_disk_during_a_checkpoint_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ganlab.rundir.checkpoint as ck

    real = ck.write_bytes_durably

    def full(path: Path, data: bytes) -> None:
        if path.parent.name == ".step_0000006.tmp" and path.name.startswith("D."):
            path.write_bytes(data[: len(data) // 3])  # the disk filled up part-way through this file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(ck, "write_bytes_durably", full)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    line = one_error(err)
    assert code == 1, err
    assert "No space left on device while writing checkpoint step_0000006" in line
    assert "the previous checkpoint step_0000004 is intact" in line
    assert [p.name for p in (run / "checkpoints").iterdir() if p.name.startswith(".")] == []  # partial one removed
    path, _, state = load_latest(run / "checkpoints")
    assert (path.name, state["step"]) == ("step_0000004", 4)
    assert json.loads((run / "summary.json").read_text())["status"] == "failed"
    monkeypatch.setattr(ck, "write_bytes_durably", real)
    code, _, err = cli(["train", "--resume", "--out", str(run)], capsys)  # space freed: carry on
    assert code == 0, err


def test_full_disk_while_writing_a_sample_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import torchvision.utils

    def full(tensor, fp, **kwargs):
        Path(fp).write_bytes(b"\x89PNG")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torchvision.utils, "save_image", full)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    line = one_error(err)
    assert code == 1 and "step_0000004.png" in line and "No space left on device while writing a sample grid" in line
    assert "the previous checkpoint step_0000002 is intact" in line  # samples go before the step's checkpoint
    assert load_latest(run / "checkpoints")[0].name == "step_0000002"


# --- never run foreign code --------------------------------------------------------------------------
class _Payload:
    """Unpickling this calls Path.touch(marker): what a malicious checkpoint would do, harmlessly."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return (Path.touch, (self.marker,))


def _bomb(marker: Path) -> bytes:
    data = pickle.dumps({"G": _Payload(marker)})
    probe = marker.with_name(marker.name + ".probe")
    pickle.loads(pickle.dumps(_Payload(probe)))  # prove the payload is live: unpickling does run it
    assert probe.exists()
    probe.unlink()
    return data


@pytest.fixture
def finished_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    assert code == 0, err
    return run


def test_a_pickle_in_place_of_the_weights_is_refused_and_never_runs(
    finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    bomb = _bomb(marker)
    ckpts = finished_run / "checkpoints"
    (ckpts / "step_0000008/G.safetensors").write_bytes(bomb)  # only the newest: resume falls back, saying so
    code, _, err = cli(["sample", str(finished_run), "-n", "4", "-o", str(tmp_path / "s.png")], capsys)
    assert (
        code == 0
        and "G.safetensors does not match its sha256" in err
        and "using the previous good checkpoint step_0000006" in err
    )
    for step in (6, 8):  # now every checkpoint, the manifest updated to match: the parser itself must refuse
        (ckpts / f"step_{step:07d}/G.safetensors").write_bytes(bomb)
        manifest = json.loads((ckpts / f"step_{step:07d}/manifest.json").read_text())
        manifest["files"]["G.safetensors"] = hashlib.sha256(bomb).hexdigest()
        (ckpts / f"step_{step:07d}/manifest.json").write_text(json.dumps(manifest))
    before = tree(finished_run)
    for argv in (
        ["train", "--resume", "--out", str(finished_run)],
        ["sample", str(finished_run)],
        ["evaluate", str(finished_run)],
    ):
        code, _, err = cli(argv, capsys)
        assert code == 2 and "G.safetensors is not a valid file of its kind" in one_error(err), err
    assert not marker.exists()
    assert tree(finished_run) == before  # nothing overwritten


def test_a_pickle_checkpoint_file_is_refused_and_never_runs(
    finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    foreign = finished_run / "checkpoints/step_0000099"
    foreign.mkdir()
    (foreign / "model.pt").write_bytes(_bomb(marker))
    code, _, err = cli(["sample", str(finished_run), "-o", str(tmp_path / "s.png")], capsys)
    assert code == 0 and "found model.pt: ganlab loads only its own safetensors + JSON checkpoints" in err
    digest = hashlib.sha256((foreign / "model.pt").read_bytes()).hexdigest()
    (foreign / "manifest.json").write_text(
        json.dumps({"format": "ganlab-checkpoint-1", "files": {"model.pt": digest, "state.json": digest}})
    )
    for old in ("step_0000006", "step_0000008"):
        (finished_run / "checkpoints" / old / "manifest.json").unlink()
    before = tree(finished_run)
    code, _, err = cli(["train", "--resume", "--out", str(finished_run)], capsys)
    assert code == 2 and "lists 'model.pt'; only safetensors and JSON files are loaded" in one_error(err)
    assert not marker.exists()
    assert tree(finished_run) == before


def test_yaml_python_tags_are_refused_and_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"train: !!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n")
    code, _, err = cli(["train", str(evil), "--dry-run"], capsys)
    assert code == 2 and str(evil) in one_error(err) and "could not determine a constructor" in err
    code, _, err = cli(
        [
            "train",
            "gan",
            "--set",
            f"train.steps=!!python/object/apply:pathlib.Path.touch [{str(marker)!r}]",
            "--dry-run",
        ],
        capsys,
    )
    assert code == 2 and "'train.steps'" in one_error(err)
    evil.write_text("name: !!python/object/new:os.system [echo hi]\n")
    code, _, err = cli(["train", str(evil), "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and str(evil) in one_error(err)
    assert not marker.exists() and not (tmp_path / "run").exists()


def test_no_module_unpickles_or_evaluates_code() -> None:
    """Static guard: the only unpickler in ganlab is CIFAR's restricted one; weights come from safetensors."""
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "ganlab"
    banned = re.compile(
        r"torch\.load\((?![^)]*weights_only=True)|pickle\.loads?\(|yaml\.(unsafe_)?load\(|yaml\.(Unsafe|Full)?Loader|(?<![.\w])(eval|exec)\(|marshal\.loads|dill|joblib\.load"
    )
    found = [
        f"{p.relative_to(src)}:{i}"
        for p in src.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if banned.search(line)
    ]
    assert found == []


# --- bad input leaves nothing behind; paths are shown resolved -----------------------------------------
@pytest.mark.parametrize(
    ("extra", "key"),
    [({"data.subset": 8}, "train.batch_size"), ({"data.name": "folder", "data.root": "EMPTY"}, "EMPTY")],
)
def test_refused_runs_leave_no_run_directory(
    extra: dict, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "EMPTY").mkdir()
    extra = {k: (str(tmp_path / v) if v == "EMPTY" else v) for k, v in extra.items()}
    run = tmp_path / "runs" / "new"
    code, _, err = cli(["train", "gan", *sets(**extra), "--out", str(run)], capsys)
    assert code == 2 and key in one_error(err)
    assert not run.exists()


def test_train_shows_the_absolute_run_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(["train", "gan", *sets(**{"train.steps": 2}), "--out", "rel/run"], capsys)
    assert code == 0, err
    assert f"into {tmp_path / 'rel/run'}" in err and f"run:      {tmp_path / 'rel/run'}" in out


# --- damaged records (issue 17): every command goes on, saying what it skipped, or refuses in one line --------

DAMAGE: dict[str, tuple[str, bytes, bool]] = {  # damage -> (file, bytes, appended (else the file is replaced))
    "a torn last log line": ("metrics.jsonl", b'{"step": 99, "loss_d": 1.', True),
    "a log line that is not UTF-8": ("metrics.jsonl", b'\xff\xfe{"step": 5}\n', True),
    "a log row that is a list": ("eval.jsonl", b"[1, 2, 3]\n", True),
    "a log row whose step is text": ("metrics.jsonl", b'{"step": "abc", "loss_d": "x"}\n', True),
    "an eval row of the wrong shape": ("eval.jsonl", b'{"step": 2, "metrics": "x", "provenance": 3}\n', True),
    "a summary of the wrong types": ("summary.json", b'{"warnings": 5, "steps": "y", "best": 1}', False),
    "a summary that is not JSON": ("summary.json", b"{not json", False),
    "a config that is not UTF-8": ("config.yaml", b"\xff\xfe\n", True),
    "a config that does not parse": ("config.yaml", b"model: [unclosed\n", True),
}
SKIPPED = {
    "a torn last log line",
    "a log line that is not UTF-8",
    "a log row that is a list",
    "a log row whose step is text",
}


@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny run with periodic evaluations (eval.jsonl), made once; each test damages a copy."""
    run = tmp_path_factory.mktemp("damaged") / "run"
    extra = {"eval__every": 4, "eval__samples": 32, "eval__metrics": ["w1_exact"]}
    main(["train", "gan", *sets(**extra), "--out", str(run)])  # returns when it succeeds
    assert (run / "eval.jsonl").read_text().count("\n") == 2
    return run


COMMANDS = {
    "report": lambda run: ["report", str(run), "-o", str(run.parent / "report.html")],
    "train --resume": lambda run: ["train", "--resume", "--out", str(run), "--set", "train.steps=10"],
    "evaluate": lambda run: ["evaluate", str(run), "--metrics", "w1_exact", "--samples", "32"],
    "sample": lambda run: ["sample", str(run), "-n", "4", "-o", str(run.parent / "grid.png")],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_records_never_give_a_traceback(
    damage: str, command: str, evaluated_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(evaluated_run, run)
    name, data, append = DAMAGE[damage]
    with open(run / name, "ab" if append else "wb") as f:
        f.write(data)
    before = tree(run)
    code, _, err = cli(COMMANDS[command](run), capsys)
    assert "Traceback" not in err, err
    if name == "config.yaml" and command != "report":  # the model cannot be rebuilt without it: refused
        assert code == 2 and "config.yaml" in one_error(err)
        assert tree(run) == before  # nothing written, nothing lost
        return
    assert code == 0, err
    if command == "report" and (damage in SKIPPED or name == "config.yaml"):
        assert f"ganlab: warning: {run / name}: " in err, err  # names the file, and the line or what is wrong
        assert "line" in err or "unreadable" in err
    if command == "train --resume" and damage in SKIPPED:
        steps = [r["step"] for r in load_run(run).metrics()]
        assert steps == sorted(steps) and steps[-1] == 10
        if damage != "a torn last log line":  # half a row is dropped; a whole damaged line is set aside
            assert f"{run / name}: skipped 1 damaged line(s)" in err and f"kept in {run / name}.damaged" in err
            assert (run / f"{name}.damaged").read_bytes() == data
    if command != "train --resume":  # readers leave the run's records as they were
        assert {k: v for k, v in tree(run).items() if k in before and k != "eval.json"} == {
            k: v for k, v in before.items() if k != "eval.json"
        }


FORGED = {  # state.json field -> a value of the wrong kind, written with a matching sha256 in the manifest
    "step": "x",
    "sample_shape": [1, 2],
    "num_classes": -1,
    "data_kind": 7,
    "ema": "yes",
    "lr_scale": "q",
    "loop": [],
    "d_steps": None,
}


def forge_state(checkpoint: Path, key: str, value: object) -> None:
    state = json.loads((checkpoint / "state.json").read_text())
    data = json.dumps({**state, key: value} if value is not None else {k: v for k, v in state.items() if k != key})
    (checkpoint / "state.json").write_text(data)
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    manifest["files"]["state.json"] = hashlib.sha256(data.encode()).hexdigest()
    (checkpoint / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("command", ["train --resume", "evaluate", "sample"])
@pytest.mark.parametrize("key", list(FORGED))
def test_a_forged_state_whose_hash_matches_falls_back_or_is_refused(
    key: str, command: str, evaluated_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, spoilt = tmp_path / "run", tmp_path / "spoilt"
    for path in (run, spoilt):
        shutil.copytree(evaluated_run, path)
    older, newest = (path for _, path in step_dirs(run / "checkpoints"))
    forge_state(newest, key, FORGED[key])
    code, _, err = cli(COMMANDS[command](run), capsys)
    assert code == 0 and "Traceback" not in err, err
    what = f"'{key}'" if FORGED[key] is not None else f"no '{key}'"
    assert f"checkpoint {newest}: state.json has" in err and what in err, err
    assert f"using the previous good checkpoint {older.name}" in err
    for _, checkpoint in step_dirs(spoilt / "checkpoints"):  # no good checkpoint left: refused in one line
        forge_state(checkpoint, key, FORGED[key])
    before = tree(spoilt)
    code, _, err = cli(COMMANDS[command](spoilt), capsys)
    assert code != 0 and what in one_error(err)
    assert tree(spoilt) == before


BAD_INPUT = {  # argv -> what the one error line must name (exit 2, nothing written)
    "a seed past 64 bits (--set)": (["train", "gan", "--set", "train.seed=99999999999999999999999"], "train.seed"),
    "a seed past 64 bits (--seed)": (["sample", "RUN", "-n", "4", "--seed", str(2**64)], "--seed"),
    "a negative --seed": (["evaluate", "RUN", "--seed", "-1"], "--seed"),
    "--out that is not UTF-8": (["train", "gan", "--out", "OUT/\udcff\udcfe"], "--out"),
    "a report folder that is not UTF-8": (["report", "OUT/\udcff"], "DIR"),
    "a study --out that is not UTF-8": (["study", "kernel-size", "--quick", "--out", "OUT/\udcff"], "--out"),
    "a study name with a newline": (["study", "kernel-size\n", "--dry-run"], "kernel-size\\n"),
    "a preset name with a newline": (["train", "gan\n", "--dry-run"], "preset"),
    "a toy name with a newline": (["toy", "critic-1d\n", "--out", "OUT/toy"], "'critic-1d\\n' is not one of"),
    "an unknown --set key in a study": (["study", "kernel-size", "--set", "nosuch.key=1", "--dry-run"], "nosuch"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_anywhere_is_one_line_and_exit_2(
    case: str, finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, named = BAD_INPUT[case]
    argv = [a.replace("RUN", str(finished_run)).replace("OUT", str(tmp_path)) for a in argv]
    before = tree(tmp_path)
    code, _, err = cli(argv, capsys)
    assert code == 2 and named in one_error(err), err
    assert tree(tmp_path) == before


def test_a_path_the_machine_refuses_exits_1_and_a_wrong_path_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Permission denied (the machine's refusal) is exit 1 naming the path; a file where a folder should be (the
    path given is wrong) is bad input, exit 2. Root bypasses permissions, so mkdir is refused by hand."""
    (tmp_path / "file").write_text("not a folder")
    code, _, err = cli(["train", "gan", *sets(), "--out", str(tmp_path / "file" / "run")], capsys)
    assert code == 2 and str(tmp_path / "file" / "run") in one_error(err) and "Not a directory" in err
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, _, err = cli(["train", "gan", *sets(), "--out", str(tmp_path / "locked")], capsys)
    assert code == 1 and one_error(err).startswith(f"ganlab: error: {tmp_path / 'locked'}: ")
    assert "Permission denied" in err and not (tmp_path / "locked").exists()


def sigterm_while_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data set's loading receives SIGTERM (as from `kill`), before the training loop owns the signals."""
    import ganlab.data

    real = ganlab.data.load_dataset

    def load(*args: object, **kwargs: object) -> object:
        data = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return data

    monkeypatch.setattr(ganlab.data, "load_dataset", load)


def test_sigterm_while_the_data_loads_leaves_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sigterm_while_loading(monkeypatch)
    run = tmp_path / "run"
    code, _, err = cli(["train", "gan", *sets(), "--out", str(run)], capsys)
    assert code == 130 and one_error(err) == "ganlab: error: terminated (SIGTERM)"
    assert "stopped before the first checkpoint: nothing was written" in err
    assert not run.exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the CLI's handler is removed again


def test_sigterm_while_a_resume_loads_keeps_the_run_as_it_was(
    finished_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(finished_run)
    sigterm_while_loading(monkeypatch)
    code, _, err = cli(["train", "--resume", "--out", str(finished_run), "--set", "train.steps=12"], capsys)
    assert code == 130 and "terminated (SIGTERM)" in one_error(err)
    last = step_dirs(finished_run / "checkpoints")[-1][1].name
    assert f"the run keeps its checkpoint {last}; continue with: ganlab train --resume --out {finished_run}" in err
    assert tree(finished_run) == before
