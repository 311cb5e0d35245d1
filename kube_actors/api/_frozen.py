"""Immutable collections used by every model: a read-only, hashable mapping and converters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class FrozenDict(dict[K, V]):
    """A read-only ``dict``: hashable, comparable with plain dicts, cheap to share.

    Subclassing ``dict`` keeps lookups at C speed and lets a ``FrozenDict`` go anywhere a dict
    is read (``json.dumps``, ``**kwargs``); every mutating method raises ``TypeError``.

    >>> labels = FrozenDict({"app": "web"})
    >>> labels["app"]
    'web'
    >>> labels == {"app": "web"}
    True
    """

    __slots__ = ("_hash",)

    def _readonly(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is read-only; build a new one instead")

    __setitem__ = __delitem__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            cached: int = object.__getattribute__(self, "_hash")
        except AttributeError:
            cached = hash(frozenset(self.items()))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[K, V]:
        return self


#: The one shared empty mapping: every default-empty mapping field points here.
EMPTY: FrozenDict[Any, Any] = FrozenDict()


def freeze_map(value: Mapping[K, V] | Iterable[tuple[K, V]] | None) -> FrozenDict[K, V]:
    """Return ``value`` as a :class:`FrozenDict`, sharing the empty instance and frozen inputs."""
    if type(value) is FrozenDict:
        return value
    if not value:
        return EMPTY
    return FrozenDict(value)


def freeze_seq(value: Iterable[T] | None) -> tuple[T, ...]:
    """Return ``value`` as a tuple (lists given by callers become immutable)."""
    if type(value) is tuple:
        return value
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(f"expected a sequence, got {type(value).__name__}")
    return tuple(value)


def freeze_json(value: Any) -> Any:
    """Arbitrary JSON made immutable: dicts become FrozenDicts and lists tuples, all the way."""
    if isinstance(value, Mapping):
        return FrozenDict({k: freeze_json(v) for k, v in value.items()}) if value else EMPTY
    if isinstance(value, (list, tuple)):
        return tuple(freeze_json(v) for v in value)
    return value


def thaw_json(value: Any) -> Any:
    """The inverse of :func:`freeze_json`: plain dicts and lists, ready for ``json.dumps``."""
    if isinstance(value, Mapping):
        return {k: thaw_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw_json(v) for v in value]
    return value
