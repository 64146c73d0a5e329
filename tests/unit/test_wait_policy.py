"""ganlab's OpenMP wait policy: set before torch loads, never over the user's own choice (benchmarks/contention.py
measures what it is for)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHOW = "import os, {first}; print(os.environ.get('OMP_WAIT_POLICY', 'unset'))"


@pytest.mark.parametrize(
    ("first", "env", "expected"),
    [
        ("ganlab, torch", {}, "PASSIVE"),  # ganlab first: the runtime torch loads sleeps instead of spinning
        ("ganlab", {"OMP_WAIT_POLICY": "ACTIVE"}, "ACTIVE"),  # the user's policy stays
        ("ganlab", {"GOMP_SPINCOUNT": "300000"}, "unset"),  # a spin count of their own, too
        ("torch, ganlab", {}, "unset"),  # torch first: too late to matter, so nothing is changed
    ],
)
def test_the_policy_is_set_only_before_torch_and_only_when_the_user_chose_none(
    first: str, env: dict[str, str], expected: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run(
        [sys.executable, "-c", SHOW.format(first=first)], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def test_study_workers_and_the_cli_inherit_it() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import ganlab, subprocess, sys; subprocess.run([sys.executable, '-c', \"import os; print(os.environ['OMP_WAIT_POLICY'])\"])"
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)
    assert out.stdout.strip() == "PASSIVE"
