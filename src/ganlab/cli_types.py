"""Option types shared by every command (imports click only, so `ganlab --help` stays fast)."""

from __future__ import annotations

from typing import Any

import click

from ganlab.config.schema import SEED_LIMIT

SEED = click.IntRange(0, SEED_LIMIT - 1)  # --seed: as train.seed, what torch.manual_seed accepts


class UserPath(click.Path):
    """click.Path that refuses a name that is not valid UTF-8 (Python holds its bytes as lone surrogates):
    ganlab writes the paths it is given into JSON and YAML records, which must be UTF-8."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                self.fail(f"expected a path that is valid UTF-8, got {shown!r}", param, ctx)
        return super().convert(value, param, ctx)
