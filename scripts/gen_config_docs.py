"""Write docs/config.md from the config schema (src/ganlab/config/schema.py).

Run: python scripts/gen_config_docs.py  (tests/unit/config/test_docs.py fails when the file is stale)
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ganlab.config.schema import Config  # noqa: E402

HEADER = """# Config reference

Generated from `src/ganlab/config/schema.py` by `scripts/gen_config_docs.py`; do not edit by hand.

Every key can be set in a YAML file (`ganlab train my.yaml`) or on the command line
(`ganlab train dcgan --set train.steps=500`). Unknown keys, wrong types and out-of-range values are refused
when the config loads, with one line naming the key. Presets (`ganlab presets`) are short YAML diffs over
these defaults, in `src/ganlab/config/presets/`; a file may start from one with `base: <preset>`.
"""


def type_name(hint: object) -> str:
    text = str(hint).replace("typing.", "").replace("NoneType", "null").replace(" | ", " or ")
    for name in ("int", "float", "str", "bool"):
        text = text.replace(f"<class '{name}'>", name)
    return text


def section(cls: type, prefix: str, lines: list[str]) -> None:
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        choices = f.metadata.get("choices")
        extra = f" (one of {', '.join(map(str, choices))})" if choices else ""
        rows.append(f"| `{prefix}{f.name}` | `{type_name(hint)}` | `{default!r}` | {f.metadata.get('help', '')}{extra} |")
    if rows:
        lines += [f"\n## `{prefix.rstrip('.') or 'top level'}`\n", "| key | type | default | meaning |", "| --- | --- | --- | --- |", *rows]
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            section(hint, f"{prefix}{f.name}.", lines)


def render() -> str:
    lines = [HEADER]
    section(Config, "", lines)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = ROOT / "docs" / "config.md"
    out.write_text(render(), encoding="utf-8")
    print(out)
