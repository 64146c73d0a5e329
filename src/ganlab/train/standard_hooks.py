"""Which hooks a run gets from its config. Evaluation and diagnostics register here as they are built."""

from __future__ import annotations

from ganlab.config.schema import Config
from ganlab.train.hooks import Hook


def standard_hooks(config: Config, state, train_data, device) -> list[Hook]:  # noqa: ANN001
    return []
