"""What a training checkpoint's `state.json` holds (`ganlab.training.snapshot.save_snapshot` writes it): the
digest of the config that identifies the training (`config_sha256`, compared on resume and by studies), and the
shape of the fields, checked by everything that reads a run's checkpoint: a resume and `load_run`."""

from __future__ import annotations

import hashlib
import json
import math
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from ganlab.config.loading import to_dict
from ganlab.config.schema import Config

# Keys a resume may change: how long to train, what to log and how to react to a divergence, never what
# is trained. The checkpoint's config digest covers everything else.
RESUMABLE_SECTIONS = ("eval", "log")
RESUMABLE_KEYS = (
    "train.steps",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "train.threads",
    "train.adaptive_threads",
    "train.on_divergence",
    "train.max_rollbacks",
)


def added_at_default(config: Config) -> list[str]:
    """Dotted keys marked `added` in the schema whose value is their default (see `ganlab.config.schema.opt`)."""
    found = []
    for section in fields(config):
        value = getattr(config, section.name)
        if not is_dataclass(value):
            continue
        for key in fields(value):
            if key.metadata.get("added") and getattr(value, key.name) == _default(key):
                found.append(f"{section.name}.{key.name}")
    return found


def _default(key: Any) -> Any:
    return key.default if key.default is not MISSING else key.default_factory()


def training_identity(config: Config) -> dict[str, Any]:
    """The config as plain data without the resumable keys: what must not change across a resume. Keys the
    schema added later are left out at their default, so runs written before they existed still match."""
    data = to_dict(config)
    for dotted in added_at_default(config):
        section, key = dotted.split(".")
        data[section].pop(key, None)
    for section in RESUMABLE_SECTIONS:
        data.pop(section, None)
    for dotted in RESUMABLE_KEYS:
        section, key = dotted.split(".")
        data[section].pop(key, None)
    for key in ("name", "description", "source"):  # labels, not training
        data.pop(key, None)
    return data


def config_digest(config: Config) -> str:
    return hashlib.sha256(json.dumps(training_identity(config), sort_keys=True).encode()).hexdigest()


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape(value: Any) -> bool:
    return isinstance(value, list) and len(value) in (1, 3) and all(_whole(v) and v > 0 for v in value)


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


# The fields of the state save_snapshot writes: key -> (check, what it must be, required)
STATE_FIELDS: dict[str, tuple[Callable[[Any], bool], str, bool]] = {
    "step": (_whole, "a whole number >= 0", True),
    "d_steps": (_whole, "a whole number >= 0", True),
    "rollbacks": (_whole, "a whole number >= 0", True),
    "num_classes": (_whole, "a whole number >= 0", True),
    "sample_shape": (_shape, "a list of 1 or 3 positive whole numbers", True),
    "data_kind": (lambda v: v in ("image", "points"), "'image' or 'points'", True),
    "lr_scale": (_positive, "a positive finite number", True),
    "config_sha256": (lambda v: isinstance(v, str), "a string", True),
    **{key: (lambda v: isinstance(v, dict), "an object", True) for key in ("opt_g", "opt_d", "sampler")},
    **{key: (lambda v: isinstance(v, dict), "an object", True) for key in ("scaler_g", "scaler_d")},
    "ema": (lambda v: isinstance(v, bool), "true or false", False),
    **{key: (lambda v: isinstance(v, dict), "an object", False) for key in ("loop", "extra")},
}


def state_problem(state: dict[str, Any]) -> str | None:
    """What is wrong with a training checkpoint's state (a field missing or of the wrong kind), or None: given to
    `load_latest`, a state that matches its hash but not this shape (forged, or from a foreign tool) makes its
    checkpoint bad like a corrupted one, and the previous good one is used."""
    for key, (check, what, required) in STATE_FIELDS.items():
        if key not in state:
            if required:
                return f"has no '{key}'"
        elif not check(state[key]):
            return f"has '{key}' = {reprlib.repr(state[key])}, expected {what}"
    return None
