"""Read a Config: preset or YAML file, then `--set key=value` overrides; every key and type checked.

Order of precedence: schema defaults < preset chain (`base:`) < the file < overrides. Unknown keys, wrong
types and out-of-range values fail here, with a ConfigError naming the key. This package knows no plug-in:
registry names and what each chosen plug-in requires are checked by `ganlab.plugins.load_config`, right
after `typed_config`.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from ganlab.config.schema import Config
from ganlab.errors import ArgumentError, ConfigError, quoted

PRESET_PACKAGE = "ganlab.config.presets"
META_KEYS = ("base",)  # keys a preset file may hold beyond the schema


def preset_names() -> list[str]:
    files = resources.files(PRESET_PACKAGE).iterdir()
    return sorted(f.name[: -len(".yaml")] for f in files if f.name.endswith(".yaml"))


MAX_YAML_VALUES = 100_000  # values a config may hold once its aliases are expanded (configs hold a few hundred)


class StrictLoader(yaml.SafeLoader):
    """The safe loader (no `!!python/object`), refusing a key given twice in one mapping: YAML's rule, which
    PyYAML does not enforce (the later value would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):  # anything else: the safe loader's own error
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` merges, and the keys written beside it override the merged ones
                key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
                if isinstance(key, (str, int, float, bool)):
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {quoted(key)}", key_node.start_mark
                        )
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)


def expanded_size(value: Any, limit: int) -> int:
    """How many values `value` holds with every alias expanded, counting up to just past `limit`. Aliases make
    shared objects, so a few lines can stand for billions of values (a "billion laughs" file): sizes are summed
    per shared object once, never by walking the expansion."""
    sizes: dict[int, int] = {}

    def size(item: Any) -> int:
        if id(item) in sizes:
            return sizes[id(item)]
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(item)] = total
        return total

    return size(value)


def read_yaml(path: Path | str, what: str = "config file") -> dict[str, Any]:
    """A YAML mapping from `path`, safe loader only (a `!!python/object` tag is refused)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ArgumentError(str(path), f"a readable {what}", exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), f"a UTF-8 text {what}", f"byte {exc.object[exc.start]:#04x} at offset {exc.start}"
        ) from None
    return parse_yaml(text, str(path), what)


def parse_yaml(text: str, origin: str, what: str = "config file") -> dict[str, Any]:
    try:
        loader = StrictLoader(text)  # a SafeLoader: no `!!python/...` tag constructs anything
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(origin, f"a valid YAML {what}{line}", problem) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(origin, f"a YAML mapping of config sections ({what})", type(data).__name__)
    if expanded_size(data, MAX_YAML_VALUES) > MAX_YAML_VALUES:
        raise ConfigError(origin, f"a YAML {what} of at most {MAX_YAML_VALUES:,} values with its aliases expanded")
    return data


def _preset_chain(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name not in preset_names():
        close = difflib.get_close_matches(name, preset_names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError("preset", f"one of {', '.join(preset_names())} or a YAML file path{hint}", name)
    if name in seen:
        raise ConfigError("base", "a preset chain without cycles", " -> ".join((*seen, name)))
    text = resources.files(PRESET_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text, f"preset {name}")
    return _with_base(data, (*seen, name))


def _with_base(data: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError("base", "the name of a preset", base)
    return deep_merge(_preset_chain(base, seen), data)


def deep_merge(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    out = dict(low)
    for key, value in high.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def nest(overrides: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}; an empty part of a dotted key is refused."""
    out: dict[str, Any] = {}
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        if not all(parts):
            raise ConfigError(str(dotted), "a dotted key such as train.steps")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(str(dotted), "a key inside a section, not below a value")
        node[parts[-1]] = value
    return out


def parse_set(items: list[str]) -> dict[str, Any]:
    """`--set key=value` strings -> {key: value}; values parsed as YAML scalars (1e-4, true, [1, 2], null)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(item, "--set KEY=VALUE with a dotted key, e.g. train.steps=100")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def raw_config(preset_or_path: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The merged mapping before typing: preset chain or file, then overrides."""
    source = str(preset_or_path)
    path = Path(source)
    if source.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise ConfigError(source, "an existing YAML file or a preset name (`ganlab presets`)", "no such file")
        data = _with_base(read_yaml(path))
    else:
        data = _preset_chain(source)
        data.setdefault("name", source)
    return deep_merge(data, nest(overrides or {}))


def typed_config(raw: dict[str, Any]) -> Config:
    """The typed config of a merged mapping: every key known, every value of its type and range, and the rules
    between keys of the config itself. What the chosen plug-ins (dataset, models, loss, Lipschitz control,
    tricks, metrics) require of it is theirs to check: `ganlab.plugins.load_config` runs both."""
    cfg = build(Config, raw, "")
    if cfg.eval.best_metric is not None and cfg.eval.best_metric not in cfg.eval.metrics:
        raise ConfigError(
            "eval.best_metric", f"one of eval.metrics ({', '.join(cfg.eval.metrics)})", cfg.eval.best_metric
        )
    return cfg


def preset_summaries() -> list[tuple[str, str, str]]:
    """(name, description, source) of every shipped preset, read without the plug-in registries (so without
    torch): `ganlab presets` lists them in a fraction of a second. Each preset is still type-checked by the
    schema here and fully checked by load_config in the tests."""
    rows = []
    for name in preset_names():
        cfg = typed_config(raw_config(name))
        rows.append((name, cfg.description, cfg.source))
    return rows


def differs_from_default(cfg: Any, dotted: str, explicit: frozenset[str]) -> bool:
    """True when the user set `section.key` to something other than its default: a plug-in's check refuses
    keys the chosen strategy would ignore only when they were set."""
    if dotted not in explicit:
        return False
    section, key = dotted.split(".")
    default = getattr(type(getattr(cfg, section))(), key)
    return bool(getattr(getattr(cfg, section), key) != default)


def explicit_keys(raw: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        keys.add(dotted)
        if isinstance(value, dict):
            keys |= explicit_keys(value, dotted + ".")
    return keys


def build(cls: type, data: Any, prefix: str) -> Any:
    """A frozen dataclass `cls` from a mapping, each value checked against the field's type and checks."""
    where = prefix.rstrip(".") or "config"
    if not isinstance(data, dict):
        raise ConfigError(where, "a mapping of keys", data)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            known = f"a known key of section '{where}'" if prefix else f"a known section or key ({', '.join(fields)})"
            raise ConfigError(f"{prefix}{_first_leaf(key, data[key])}", f"{known}{hint}")
    values = {}
    for name, value in data.items():
        key, hint = f"{prefix}{name}", hints[name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[name] = build(hint, value, key + ".")
            continue
        value = coerce(value, hint, key)
        meta = fields[name].metadata
        if value is not None and "choices" in meta and value not in meta["choices"]:
            raise ConfigError(key, f"one of {', '.join(map(str, meta['choices']))}", value)
        if value is not None and "check" in meta and not meta["check"](value):
            raise ConfigError(key, _describe_check(meta["check"].__name__), value)
        values[name] = value
    return cls(**values)


def _first_leaf(key: Any, value: Any) -> str:
    """`key` as the user wrote it down to its first value: an unknown section `nosuch: {steps: 3}` is shown as
    nosuch.steps, the key that was typed (--set nosuch.steps=3)."""
    while isinstance(value, dict) and value:
        inner = next(iter(value))
        key, value = f"{key}.{inner}", value[inner]
    return str(key)


def _describe_check(name: str) -> str:
    return {
        "positive": "a value > 0",
        "non_negative": "a value >= 0",
        "unit_interval": "a value in [0, 1]",
        "seed_range": "a whole number in [0, 2**63)",
    }[name]


def coerce(value: Any, hint: Any, key: str) -> Any:
    """`value` as type `hint` or ConfigError; ints are accepted as floats, nothing else is converted."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce(value, inner, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(key, f"one of {', '.join(map(str, args))}", value)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(key, f"a list of {args[0].__name__}", value)
        return [coerce(v, args[0], key) for v in value]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, "true or false", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, "an integer", value)
        return value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-4" as a string
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(key, "a number", value) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, "a number", value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(key, "a finite number", value)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, "a string", value)
        return value
    raise TypeError(f"unsupported config type {hint!r} for {key}")


def to_dict(cfg: Any) -> dict[str, Any]:
    """The whole config as plain data (what config.yaml holds)."""
    return dataclasses.asdict(cfg)


def dump_yaml(cfg: Config) -> str:
    return yaml.safe_dump(to_dict(cfg), sort_keys=False, default_flow_style=None)
