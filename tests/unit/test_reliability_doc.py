"""docs/reliability.md names the tests that hold each promise: every name must be a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_and_file_the_reliability_page_names_exists() -> None:
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    names = set(re.findall(r"`(test_\w+)`", page))
    files = set(re.findall(r"`(tests/[\w/.]+\.py)`", page))
    assert len(names) >= 35 and len(files) >= 5  # the page lists the families, not a few names
    missing = sorted(n for n in names if not re.search(rf"^def {n}\(", sources, re.MULTILINE))
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"
    assert not [f for f in files if not (ROOT / f).is_file()]
