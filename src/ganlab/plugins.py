"""Where the plug-ins meet the config: `load_config` reads a config (ganlab.config, which knows no plug-in)
and runs, right after, the checks each plug-in registered with its builder.

The plug-in kinds and the keys that choose them: data.name (DATASETS), model.generator and
model.discriminator (GENERATORS, DISCRIMINATORS), loss.name (LOSSES), lipschitz.name (LIPSCHITZ), the tricks
a config turns on (TRICKS) and eval.metrics (METRICS). For each kind: the chosen names must be registered,
then the kind-wide checks and the chosen entries' own checks run. A combination that cannot train, or a key
the chosen strategy would silently ignore, fails with one line naming the key, before any data is loaded.
docs/extending.md shows how a new plug-in registers its checks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ganlab.config.loading import explicit_keys, raw_config, typed_config
from ganlab.config.schema import Config
from ganlab.registry import Registry


def registries() -> dict[str, Registry[Any]]:
    """Every plug-in registry, by the name the schema's `registry=` metadata uses."""
    from ganlab.data import DATASETS
    from ganlab.lipschitz import LIPSCHITZ
    from ganlab.losses import LOSSES
    from ganlab.metrics import METRICS
    from ganlab.models import DISCRIMINATORS, GENERATORS
    from ganlab.tricks import TRICKS

    return {
        "datasets": DATASETS,
        "generators": GENERATORS,
        "discriminators": DISCRIMINATORS,
        "losses": LOSSES,
        "lipschitz": LIPSCHITZ,
        "tricks": TRICKS,
        "metrics": METRICS,
    }


def chosen(cfg: Any, kinds: dict[str, Registry[Any]], prefix: str = "") -> dict[str, list[str]]:
    """The registry names a config chooses, by kind, from the schema fields marked `registry=KIND`; a name
    that is not registered raises ConfigError naming its key."""
    found: dict[str, list[str]] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            for kind, names in chosen(value, kinds, f"{prefix}{f.name}.").items():
                found.setdefault(kind, []).extend(names)
        elif "registry" in f.metadata:
            kind = f.metadata["registry"]
            names = value if isinstance(value, list) else [value]
            for name in names:
                kinds[kind].get(name, f"{prefix}{f.name}")  # raises, naming the key
            found.setdefault(kind, []).extend(names)
    return found


def check_config(cfg: Config, explicit: set[str] | frozenset[str]) -> None:
    """Every chosen plug-in registered, then what each kind and each chosen plug-in requires of the config."""
    from ganlab.tricks import chosen_tricks

    kinds = registries()
    names = chosen(cfg, kinds)
    names["tricks"] = chosen_tricks(cfg.tricks)
    keys = frozenset(explicit)
    for kind, registry in kinds.items():
        registry.check(names.get(kind, []), cfg, keys)


def load_config(preset_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Config:
    """Config from a preset name or YAML file plus dotted overrides, fully checked (raises ConfigError)."""
    raw = raw_config(preset_or_path, overrides)
    cfg = typed_config(raw)
    check_config(cfg, explicit_keys(raw))
    return cfg


__all__ = ["load_config", "check_config", "registries"]
