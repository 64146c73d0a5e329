"""Name -> object registries: the value a user types in YAML is the registry key."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from ganlab.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named table of implementations; unknown names fail with the choices and a suggestion."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator adding `obj` under `name`; a name can be registered once."""

        def add(obj: T) -> T:
            self.add(name, obj)
            return obj

        return add

    def add(self, name: str, obj: T) -> None:
        if not name or name != name.strip() or name.lower() != name:
            raise ValueError(f"{self.kind} name {name!r} must be lower-case without surrounding spaces")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = obj

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

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())
