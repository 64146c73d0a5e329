"""study.json names the code and the machine: the commit of the source tree, the CPU, cores, versions."""

from __future__ import annotations

import re
from pathlib import Path

from ganlab.studies.environment import environment, source_commit


def test_environment_names_the_commit_and_the_machine() -> None:
    found = environment()
    assert found["cores"] >= 1 and found["cpu"] and found["torch"] and found["python"]
    assert found["commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+changes)?", found["commit"])


def test_no_commit_outside_a_git_checkout(tmp_path: Path) -> None:
    assert source_commit(tmp_path) is None
