"""Identity memos for pure functions of immutable objects (defaulting, validation).

Objects are immutable and shared: a pod created from a ReplicaSet's template carries the
template's own spec object, and a status update carries the stored spec object unchanged.
Defaulting and validating such an object again would give the same answer, so the answer is
kept by the object's identity. Each entry holds the object itself, so its ``id`` cannot be
reused while the entry lives; the memo is bounded (1,024 entries: one per template a cluster
uses is the point) and simply starts over when full.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["IdentityMemo", "ShapeMemo"]

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    """Values keyed by an object's identity (plus a hashable qualifier)."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[tuple[int, Hashable], tuple[Any, V]] = {}

    def get(self, obj: object, qualifier: Hashable = None) -> V | None:
        """The value remembered for ``obj`` (and ``qualifier``), or ``None``."""
        entry = self._entries.get((id(obj), qualifier))
        if entry is not None and entry[0] is obj:
            return entry[1]
        return None

    def put(self, obj: object, value: V, qualifier: Hashable = None) -> None:
        """Remember ``value`` for ``obj`` (and ``qualifier``)."""
        entries = self._entries
        if len(entries) >= self._size:
            entries.clear()
        entries[(id(obj), qualifier)] = (obj, value)


class ShapeMemo(Generic[V]):
    """Values keyed by an attrs object's *shape*: its fields by identity (strings by value,
    tuples by their elements' identities).

    Two objects of one shape are built from the very same parts, so a pure function of them
    gives the same answer; this catches objects assembled anew around shared parts (pods
    created one by one from one container object), which :class:`IdentityMemo` misses. Each
    entry holds its object, so the identities in its key cannot be reused while it lives.
    """

    __slots__ = ("_entries", "_fields", "_size")

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[tuple[Any, ...], tuple[Any, V]] = {}
        self._fields: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {}

    def _key(self, obj: Any) -> tuple[Any, ...]:
        cls = type(obj)
        fields = self._fields.get(cls)
        if fields is None:
            names = [a.name for a in attrs.fields(cls)]
            getter = operator.attrgetter(*names)
            # attrgetter of one name returns the value itself, not a 1-tuple.
            fields = self._fields[cls] = (lambda o: (getter(o),)) if len(names) == 1 else getter
        return (
            cls,
            *[
                (v if type(v) is str else tuple(map(id, v)) if type(v) is tuple else id(v))
                for v in fields(obj)
            ],
        )

    def get(self, obj: Any) -> V | None:
        """The value remembered for an object of ``obj``'s shape, or ``None``."""
        entry = self._entries.get(self._key(obj))
        return None if entry is None else entry[1]

    def put(self, obj: Any, value: V) -> None:
        """Remember ``value`` for ``obj``'s shape."""
        entries = self._entries
        if len(entries) >= self._size:
            entries.clear()
        entries[self._key(obj)] = (obj, value)
