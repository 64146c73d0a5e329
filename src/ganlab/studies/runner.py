"""Run a planned study: skip finished runs, resume interrupted ones, and hand the rest to a backend.

Backends: in this process (`--workers 1`), N subprocesses (`--workers N`, each training with
train.threads = cores // N so workers x threads <= cores), or Ray tasks (`--backend ray`). All write the same
layout: one run directory per cell under --out and the study.json index, rewritten after every run.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.errors import ArgumentError, ConfigError, GanlabError
from ganlab.interrupts import sigterm_as_interrupt
from ganlab.studies.grid import Cell, Plan
from ganlab.studies.index import cell_record, check_out, read_index, write_index
from ganlab.studies.jobs import ACTIONS, Job, execute, failure, run_status

EventFn = Callable[[Cell, dict[str, Any]], None]  # called after each run with its result


class StudyError(GanlabError):
    """Some runs of a study failed (the others finished; re-running retries the failed ones)."""

    exit_code = 1


class StudyInterrupted(GanlabError):
    """The study was stopped by Ctrl-C / SIGTERM; runs in flight wrote a checkpoint."""

    exit_code = 130


@dataclass
class Outcome:
    index: Path
    records: list[dict[str, Any]]
    ran: list[str] = field(default_factory=list)  # runs executed by this call

    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["error"] and r["run"] in self.ran and r["status"] != "diverged"]


def survey(plan: Plan) -> list[tuple[str, str]]:
    """(status, note) of every cell, from what is on disk."""
    return [run_status(cell, cell.metrics) for cell in plan.cells]


def check_mismatch(plan: Plan, statuses: list[tuple[str, str]]) -> None:
    for cell, (status, note) in zip(plan.cells, statuses, strict=True):
        if status == "mismatch":
            raise ConfigError(
                f"run {cell.path}", "the config this study plans for it (choose another --out, or delete the run)", note
            )


STOP_FILE = ".interrupted"  # written into --out when the study is stopped; removed when it starts again


def make_jobs(plan: Plan, statuses: list[tuple[str, str]], device: str, progress: bool) -> list[tuple[int, Job]]:
    jobs = []
    stop = str(plan.out / STOP_FILE)
    for i, (cell, (status, _)) in enumerate(zip(plan.cells, statuses, strict=True)):
        action = ACTIONS.get(status)
        if action is not None:
            job = Job(
                cell.run,
                str(cell.path),
                cell.config,
                action,
                cell.metrics,
                plan.samples,
                cell.seed,
                device,
                progress,
                stop,
            )
            jobs.append((i, job))
    return jobs


def run_study(
    plan: Plan,
    backend: str = "local",
    workers: int = 1,
    device: str = "auto",
    ray_address: str | None = None,
    sets: dict[str, Any] | None = None,
    on_result: EventFn | None = None,
    progress: bool = False,
    estimate: dict[str, Any] | None = None,
) -> Outcome:
    """Run every unfinished cell of `plan` and return the study's index records (raises on Ctrl-C).

    study.json keeps, across re-runs, each session's start and wall time (`sessions`) and the estimate made
    before the first session that trained (`estimate`), so the measured time can be set beside it."""
    check_out(plan)
    statuses = survey(plan)
    check_mismatch(plan, statuses)
    sets = dict(sets or {})
    records = [cell_record(plan, i, s, note, None) for i, (s, note) in enumerate(statuses)]
    timing = Timing.resume(read_index(plan.out), estimate, workers)
    index = write_index(plan, records, sets, timing.record())
    (plan.out / STOP_FILE).unlink(missing_ok=True)
    jobs = make_jobs(plan, statuses, device, progress and backend == "local" and workers == 1)
    outcome = Outcome(index, records)
    interrupted: list[str] = []
    writing = threading.Lock()

    def save() -> None:
        with writing:
            write_index(plan, records, sets, timing.record())

    def finish(i: int, result: dict[str, Any]) -> None:
        status, note = run_status(plan.cells[i], plan.cells[i].metrics)
        with writing:
            records[i] = cell_record(plan, i, status, note, result.get("error"))
        outcome.ran.append(plan.cells[i].run)
        if result.get("interrupted"):
            interrupted.append(plan.cells[i].run)
        save()
        if on_result is not None:
            on_result(plan.cells[i], result)

    with heartbeat(save, HEARTBEAT_S):  # a session killed outright (SIGKILL) loses at most this of its wall time
        _run_jobs(jobs, backend, workers, plan.threads, ray_address, finish, interrupted)
    if interrupted:
        (plan.out / STOP_FILE).touch()
        for i, (status, note) in enumerate(survey(plan)):
            records[i] = {**cell_record(plan, i, status, note, records[i]["error"])}
        save()
        raise StudyInterrupted(f"study {plan.study.name} interrupted; re-run the same command to resume ({index})")
    return outcome


HEARTBEAT_S = 60.0  # seconds between rewrites of study.json's timing while runs are in flight


def _run_jobs(
    jobs: list[tuple[int, Job]],
    backend: str,
    workers: int,
    threads: int,
    ray_address: str | None,
    finish: Callable[[int, dict[str, Any]], None],
    interrupted: list[str],
) -> None:
    try:
        if backend == "ray":
            from ganlab.studies.ray_backend import run_on_ray

            run_on_ray(jobs, threads, ray_address, finish)
        elif backend == "local" and workers > 1 and len(jobs) > 1:
            run_in_subprocesses(jobs, workers, finish)
        elif backend == "local":
            run_inline(jobs, finish)
        else:
            raise ArgumentError("--backend", "local or ray", backend)
    except KeyboardInterrupt:
        interrupted.append("Ctrl-C")


@contextmanager
def heartbeat(beat: Callable[[], None], every_s: float) -> Iterator[None]:
    """Call `beat` every `every_s` seconds from a daemon thread while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            beat()

    thread = threading.Thread(target=loop, name="ganlab-study-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass
class Timing:
    """The study's wall time over its sessions (re-runs that resume it) and the estimate made before."""

    sessions: list[dict[str, Any]]
    estimate: dict[str, Any] | None
    started: float = field(default_factory=time.time)
    clock: float = field(default_factory=time.perf_counter)
    workers: int = 1
    machine: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def resume(cls, index: dict[str, Any] | None, estimate: dict[str, Any] | None, workers: int) -> Timing:
        old = (index or {}).get("timing") or {}
        sessions = [s for s in old.get("sessions", []) if isinstance(s, dict)]
        kept = old.get("estimate") if isinstance(old.get("estimate"), dict) else None
        from ganlab.studies.environment import environment

        return cls(sessions, kept or estimate, workers=workers, machine=environment())

    def record(self) -> dict[str, Any]:
        now = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "wall_s": round(time.perf_counter() - self.clock, 1),
            "workers": self.workers,
            "environment": self.machine,
        }
        sessions = [*self.sessions, now]
        return {"sessions": sessions, "wall_s": round(sum(s["wall_s"] for s in sessions), 1), "estimate": self.estimate}


def run_inline(jobs: list[tuple[int, Job]], finish: Callable[[int, dict[str, Any]], None]) -> None:
    """One run after the other in this process (Ctrl-C reaches the training loop, which checkpoints)."""
    for i, job in jobs:
        result = execute(job)
        finish(i, result)
        if result.get("interrupted"):
            return


def run_in_subprocesses(
    jobs: list[tuple[int, Job]], workers: int, finish: Callable[[int, dict[str, Any]], None]
) -> None:
    """N fresh processes at a time ("spawn": no forked torch thread pools), one run per process."""
    stop = Path(jobs[0][1].stop_file) if jobs and jobs[0][1].stop_file else None
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=1)
    with pool, sigterm_as_interrupt():  # SIGTERM to the study stops it like Ctrl-C
        futures = {pool.submit(execute, job): (i, job) for i, job in jobs}
        try:
            for future in as_completed(futures):
                i, job = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # a worker that died or raised outside execute's own handling
                    result = failure(job, exc)
                finish(i, result)
        except KeyboardInterrupt:
            if stop is not None:
                stop.touch()  # a job already queued to the pool, which a fresh worker picks up, returns at once
            for future in futures:
                future.cancel()  # the others never start
            processes = getattr(pool, "_processes", None) or {}  # pid -> Process (CPython's executor)
            for process in list(processes.values()):
                if process.is_alive():
                    process.terminate()  # SIGTERM: a training writes a checkpoint, then stops
            raise
