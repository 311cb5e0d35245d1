"""Identity memos for pure functions of immutable objects (defaulting, validation).

Objects are immutable and shared: a pod created from a ReplicaSet's template carries the
template's own spec object, and a status update carries the stored spec object unchanged.
Defaulting and validating such an object again would give the same answer, so the answer is
kept by the object's identity. Each entry holds the object itself, so its ``id`` cannot be
reused while the entry lives; the memo is bounded (1,024 entries: one per template a cluster
uses is the point) and simply starts over when full.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Generic, TypeVar

__all__ = ["IdentityMemo"]

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
