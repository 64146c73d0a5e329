"""docs/config.md is generated from the schema and must not drift."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

from ganlab.config.schema import Config

ROOT = Path(__file__).resolve().parents[3]


def _render() -> str:
    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "scripts" / "gen_config_docs.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.render()


def test_config_docs_are_current() -> None:
    assert (ROOT / "docs" / "config.md").read_text() == _render(), (
        "docs/config.md is stale: run python scripts/gen_config_docs.py"
    )


def test_every_field_has_a_meaning() -> None:
    def walk(cls: type, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{prefix}{f.name} has no help text"
            if dataclasses.is_dataclass(f.type) or (isinstance(f.type, str) and f.type.endswith("Config")):
                walk(type(getattr(cls(), f.name)), f"{prefix}{f.name}.")

    walk(Config, "")
