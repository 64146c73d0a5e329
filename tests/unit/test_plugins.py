"""Plug-ins own their checks: the config reads and types a file without them, `ganlab.plugins.load_config`
runs what each chosen plug-in registered, and a registry runs an entry's check only when it is chosen."""

from __future__ import annotations

import dataclasses

import pytest

from ganlab.config import raw_config, typed_config
from ganlab.config.schema import Config
from ganlab.errors import ConfigError
from ganlab.plugins import load_config, registries
from ganlab.registry import Registry


def test_the_config_types_what_the_plugins_then_refuse() -> None:
    overrides = {"lipschitz.name": "gp", "model.d_norm": "batch"}  # the penalty with a batch-norm critic
    cfg = typed_config(raw_config("dcgan", overrides))  # the config alone has nothing against it
    assert cfg.lipschitz.name == "gp" and cfg.model.d_norm == "batch"
    with pytest.raises(ConfigError, match="model.d_norm"):
        load_config("dcgan", overrides)


def test_every_registry_key_of_the_schema_has_its_registry() -> None:
    sections = [f.default_factory() for f in dataclasses.fields(Config) if callable(f.default_factory)]
    marked = {f.metadata["registry"] for s in sections for f in dataclasses.fields(s) if "registry" in f.metadata}
    assert marked == {"datasets", "generators", "discriminators", "losses", "lipschitz", "metrics"}
    assert marked <= set(registries())


def test_an_entry_check_runs_only_when_chosen_and_kind_checks_always() -> None:
    ran: list[str] = []
    registry: Registry[int] = Registry("thing")
    registry.add("a", 1, check=lambda cfg, explicit: ran.append(f"a:{cfg}"))
    registry.add("b", 2)
    registry.add_check(lambda cfg, explicit: ran.append(f"kind:{sorted(explicit)}"))
    registry.check(["b"], "cfg", frozenset({"x.y"}))
    assert ran == ["kind:['x.y']"]
    registry.check(["a", "b"], "cfg", frozenset())
    assert ran[1:] == ["kind:[]", "a:cfg"]
    assert [name for name, _ in registry.entries()] == ["a", "b"]


def test_unknown_names_are_refused_by_their_key() -> None:
    with pytest.raises(ConfigError, match="eval.metrics.*fd_domain"):
        load_config("dcgan", {"eval.metrics": ["fd_domian"]})
    with pytest.raises(ConfigError, match="loss.name"):
        load_config("dcgan", {"loss.name": "wassertein"})
