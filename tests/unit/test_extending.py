"""docs/extending.md holds: each worked example, applied to a copy of src/ganlab, touches at most two files and
its "try it" block runs in a fresh process (a loss, a trick, a metric, a dataset)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "extending.md"
BLOCK = re.compile(r'^```python (try|file=(\S+)(?: after="([^"]+)")?)\n(.*?)^```$', re.M | re.S)


@dataclass
class Example:
    title: str
    edits: list[tuple[str, str | None, str]] = field(default_factory=list)  # (file, insert after, code)
    tries: list[str] = field(default_factory=list)


def examples() -> list[Example]:
    found = []
    for section in re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]:
        example = Example(section.splitlines()[0])
        for match in BLOCK.finditer(section):
            if match.group(1) == "try":
                example.tries.append(match.group(4))
            else:
                example.edits.append((match.group(2), match.group(3), match.group(4)))
        if example.edits:
            found.append(example)
    return found


def apply(edit: tuple[str, str | None, str], root: Path) -> None:
    name, after, code = edit
    path = root / name
    if after is None:  # a new file, or code appended to an existing one
        path.write_text((path.read_text(encoding="utf-8") + "\n\n" if path.exists() else "") + code)
        return
    text = path.read_text(encoding="utf-8")
    anchor = text.index(after + "\n") + len(after) + 1
    path.write_text(text[:anchor] + code + text[anchor:])


def test_the_doc_has_the_four_examples() -> None:
    titles = [e.title for e in examples()]
    assert [t.split(":")[0] for t in titles] == ["A loss", "A trick", "A metric", "A dataset"]
    assert all(e.tries for e in examples())


@pytest.mark.slow
@pytest.mark.parametrize("example", examples(), ids=lambda e: e.title.split(":")[0])
def test_each_example_touches_at_most_two_files_and_runs(example: Example, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "ganlab", tmp_path / "src" / "ganlab", ignore=shutil.ignore_patterns("__pycache__"))
    for edit in example.edits:
        apply(edit, tmp_path)
    assert len({name for name, _, _ in example.edits}) <= 2
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "OMP_NUM_THREADS": "1"}
    for code in example.tries:
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
