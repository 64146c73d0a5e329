"""Name -> object registries: the value a user types in YAML is the registry key.

A plug-in registers its builder together with its checks: functions of the loaded config and the keys the
user set explicitly, raising ConfigError with one line naming the key. `ganlab.plugins` runs, right after a
config is loaded, the kind-wide checks of every registry and the checks of each chosen entry.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ganlab.errors import ConfigError

T = TypeVar("T")
# (config, the dotted keys the user set) -> None, or ConfigError naming the key
Check = Callable[[Any, frozenset[str]], None]


class Registry(Generic[T]):
    """A named table of implementations; unknown names fail with the choices and a suggestion."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._checks: dict[str, Check] = {}  # an entry's own checks, run when the config chooses it
        self.kind_checks: list[Check] = []  # run for every config, whichever entry it chooses

    def register(self, name: str, check: Check | None = None) -> Callable[[T], T]:
        """Decorator adding `obj` under `name` (with its check); a name can be registered once."""

        def add(obj: T) -> T:
            self.add(name, obj, check)
            return obj

        return add

    def add(self, name: str, obj: T, check: Check | None = None) -> None:
        """Register `obj` as `name`, with the check the config must pass when it chooses `name`."""
        if not name or name != name.strip() or name.lower() != name:
            raise ValueError(f"{self.kind} name {name!r} must be lower-case without surrounding spaces")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = obj
        if check is not None:
            self._checks[name] = check

    def add_check(self, check: Check) -> Check:
        """Register (also as a decorator) a check run for every config, whichever entry it chooses: a key of
        one entry set while another is chosen, say."""
        self.kind_checks.append(check)
        return check

    def check(self, chosen: list[str], cfg: Any, explicit: frozenset[str]) -> None:
        """The kind-wide checks, then the checks of the chosen entries (already known to be registered)."""
        for check in self.kind_checks:
            check(cfg, explicit)
        for name in chosen:
            if name in self._checks:
                self._checks[name](cfg, explicit)

    def get(self, name: str, key: str | None = None) -> T:
        """The object registered as `name`; ConfigError naming `key` (or the kind) otherwise."""
        if name in self._items:
            return self._items[name]
        raise ConfigError(key or self.kind, self.describe_choices(name), name)

    def describe_choices(self, name: str | None = None) -> str:
        close = difflib.get_close_matches(str(name), self._items, n=1) if name is not None else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"one of {', '.join(sorted(self._items))}{hint}"

    def names(self) -> list[str]:
        return sorted(self._items)

    def entries(self) -> list[tuple[str, T]]:
        """(name, object) in the order they were registered."""
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
