"""`--backend ray`: each run of a study is one Ray task, on a cluster (`--ray-address`) or a local instance.

Ray is an optional extra (`pip install 'ganlab[ray]'`). Tasks run the same `execute` as the local backend
and write to the same absolute paths, so on a cluster --out must be a filesystem every node sees.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ganlab.errors import GanlabError
from ganlab.studies.grid import usable_cores
from ganlab.studies.jobs import Job, execute, failure

LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2  # runs exchange only small dicts; keep a local instance light


class MissingExtra(GanlabError):
    """An optional dependency is not installed."""


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise MissingExtra("--backend ray needs Ray, an optional extra: pip install 'ganlab[ray]'") from None
    return ray


def start_ray(ray: ModuleType, address: str | None) -> bool:
    """Connect to `address`, or start a local instance sized to this machine; True when we started it."""
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports from an offline machine
    common: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(num_cpus=usable_cores(), object_store_memory=LOCAL_OBJECT_STORE_BYTES, **common)
    return True


def run_on_ray(
    jobs: list[tuple[int, Job]], threads: int, address: str | None, finish: Callable[[int, dict[str, Any]], None]
) -> None:
    """Submit every job as a task needing `threads` CPUs; report each result as it completes."""
    ray = import_ray()
    started = start_ray(ray, address)
    try:
        task = ray.remote(num_cpus=threads, max_retries=0)(execute)
        pending = {task.remote(job): (i, job) for i, job in jobs}
        try:
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                i, job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # a task that crashed or whose worker died
                    result = failure(job, exc)
                finish(i, result)
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref)
            raise
    finally:
        if started:
            ray.shutdown()
