"""One quick run of each toy per test session, shared by the tests that assert on its numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ganlab.toys import run_toy

QuickRun = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    """quick_run(name, seed=0): run_toy(name, quick=True, seed=seed) once per session, in a temporary folder."""
    cache: dict[tuple[str, int], dict[str, Any]] = {}

    def get(name: str, seed: int = 0) -> dict[str, Any]:
        if (name, seed) not in cache:
            cache[name, seed] = run_toy(name, tmp_path_factory.mktemp(name), quick=True, seed=seed, threads=1)
        return cache[name, seed]

    return get
