"""One run of a study as a job: what is already on disk (status), and `execute`, the unit a worker runs.

`execute` is a module-level function of a picklable `Job`, so the same code runs in this process, in a
subprocess of `--workers N`, or as a Ray task. It never raises a ganlab error: errors travel back as text,
because exceptions with custom constructors (ConfigError, Diverged) do not survive pickling.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ganlab.config.loading import to_dict
from ganlab.config.schema import Config
from ganlab.errors import ConfigError, Diverged, GanlabError, Interrupted
from ganlab.plugins import load_config
from ganlab.studies.grid import Cell, flatten

Status = Literal["new", "partial", "trained", "finished", "diverged", "mismatch"]
Action = Literal["train", "resume", "evaluate"]
# What a status needs done: nothing, a fresh training, a resumed one, or only the final evaluation.
ACTIONS: dict[str, Action | None] = {"new": "train", "partial": "resume", "trained": "evaluate"}


@dataclass(frozen=True)
class Job:
    run: str
    path: str
    config: Config
    action: Action
    metrics: tuple[str, ...]
    samples: int
    eval_seed: int
    device: str = "auto"
    progress: bool = False
    stop_file: str | None = None  # present: the study was interrupted, so a job that starts now does nothing


def read_summary(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def read_eval(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / "eval.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def changed_keys(stored: Config, planned: Config) -> list[str]:
    """Keys a resume may not change (the training's identity, as `ganlab.train` decides) that differ."""
    from ganlab.rundir.state import training_identity

    a, b = flatten(training_identity(stored)), flatten(training_identity(planned))
    return [k for k in a if a[k] != b.get(k)]


def evaluated(path: Path, metrics: tuple[str, ...], step: int) -> bool:
    """eval.json exists, measures the given checkpoint step and holds every requested metric."""
    result = read_eval(path)
    if not metrics:
        return True
    if result is None or result.get("step") != step:
        return False
    return set(metrics) <= set(result.get("metrics", {}))


def run_status(cell: Cell, metrics: tuple[str, ...]) -> tuple[Status, str]:
    """What is on disk for this cell, and a few words on why (the changed key of a mismatch)."""
    path = cell.path
    if not (path / "config.yaml").is_file():
        return ("partial", "checkpoints without config.yaml") if (path / "checkpoints").is_dir() else ("new", "")
    try:
        stored = load_config(path / "config.yaml")
    except ConfigError as exc:
        return "mismatch", f"unreadable config.yaml: {exc}"
    changed = changed_keys(stored, cell.config)
    if changed:
        return (
            "mismatch",
            f"{changed[0]} is {_get(stored, changed[0])!r}, the study plans {_get(cell.config, changed[0])!r}",
        )
    summary = read_summary(path)
    steps = summary.get("steps", 0)
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) else 0  # a damaged summary: not done
    if summary.get("status") == "diverged":
        done = _evaluated_latest(path, metrics)
        return ("diverged", str(summary.get("diverged_on", ""))) if done else ("trained", "diverged; evaluate")
    if summary.get("status") == "completed" and steps >= cell.config.train.steps:
        return ("finished", "") if _evaluated_latest(path, metrics) else ("trained", "")
    return "partial", f"{summary.get('status', 'no summary')} at step {steps}"


def _evaluated_latest(path: Path, metrics: tuple[str, ...]) -> bool:
    latest = _latest_step(path)
    return latest is not None and evaluated(path, metrics, latest)


def _latest_step(path: Path) -> int | None:
    try:
        return int(json.loads((path / "checkpoints" / "latest.json").read_text(encoding="utf-8"))["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _get(cfg: Config, dotted: str) -> Any:
    return flatten(to_dict(cfg)).get(dotted)


def execute(job: Job) -> dict[str, Any]:
    """Train (or resume) and evaluate one run; a dict of what happened, never a raised ganlab error."""
    from ganlab.compose import train
    from ganlab.evaluation import evaluate
    from ganlab.rundir.run import load_run

    started = time.perf_counter()
    result: dict[str, Any] = {"run": job.run, "action": job.action, "error": None, "interrupted": False}
    if job.stop_file is not None and Path(job.stop_file).exists():
        # A process pool hands queued jobs to fresh workers even while it is being shut down.
        return {**result, "error": "not started: the study was interrupted", "interrupted": True}
    try:
        if job.action in ("train", "resume"):
            train(job.config, out=job.path, resume=job.action == "resume", device=job.device, progress=job.progress)
    except Diverged as exc:
        result["error"] = str(exc)
    except Interrupted as exc:
        return {**result, "error": str(exc), "interrupted": True}
    except GanlabError as exc:
        return {**result, "error": str(exc), "seconds": round(time.perf_counter() - started, 3)}
    if job.metrics:
        try:
            run = load_run(job.path)
            values = evaluate(run, list(job.metrics), job.samples, seed=job.eval_seed, progress=job.progress)
            result["metrics"] = {k: float(v) for k, v in values.items()}
        except GanlabError as exc:
            result["error"] = f"{result['error']}; evaluation: {exc}" if result["error"] else f"evaluation: {exc}"
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def failure(job: Job, exc: BaseException) -> dict[str, Any]:
    """The result of a job whose worker raised (a bug, a killed process) instead of returning."""
    return {"run": job.run, "action": job.action, "error": f"{type(exc).__name__}: {exc}", "interrupted": False}
