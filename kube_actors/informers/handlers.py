"""What an informer tells its handlers: adds, updates and deletes, and the :class:`Tombstone`.

A handler is anything with ``on_add(obj, in_initial_list)``, ``on_update(old, new)`` and
``on_delete(obj_or_tombstone)`` (:class:`EventHandler`), or a :class:`HandlerFuncs` made of
plain functions (any of them may be left out). Handlers are plain functions, called in the
informer's task after the cache holds the change: they must not block (a controller's handler
puts a key on a workqueue and returns).

>>> seen = []
>>> handler = HandlerFuncs(on_add=lambda obj, initial: seen.append(("add", obj, initial)))
>>> handler.on_add("web", True); seen
[('add', 'web', True)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

if TYPE_CHECKING:
    from kube_actors.informers.informer import Informer

__all__ = [
    "EventHandler",
    "HandlerFuncs",
    "HandlerRegistration",
    "Tombstone",
    "deleted_object",
]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


@attrs.frozen
class Tombstone(Generic[T]):
    """A delete the informer did not see happen: the object was gone when it relisted.

    ``obj`` is the last state the informer knew, which may be older than the state the object
    was deleted in (client-go's ``DeletedFinalStateUnknown``). ``on_delete`` gets a tombstone
    instead of the object whenever the delete was inferred from a relist after a watch gap.
    """

    #: The cache key (``namespace/name``, or ``name``).
    key: str
    #: The last known state of the object.
    obj: T


def deleted_object(deleted: T | Tombstone[T]) -> T:
    """The object of an ``on_delete`` argument, whether it is the object or a tombstone.

    >>> deleted_object(Tombstone("dev/web", "last")), deleted_object("obj")
    ('last', 'obj')
    """
    return deleted.obj if isinstance(deleted, Tombstone) else deleted


class EventHandler(Protocol[T_contra]):
    """Receives an informer's notifications, in order, each change exactly once."""

    def on_add(self, obj: T_contra, in_initial_list: bool) -> None:
        """A new object (``in_initial_list``: it came with the first list, or is one of the
        objects already cached when the handler was added)."""
        ...

    def on_update(self, old: T_contra, new: T_contra) -> None:
        """An object changed (``old is new`` on a periodic resync)."""
        ...

    def on_delete(self, obj: Any) -> None:
        """An object was deleted: its last state, or a :class:`Tombstone` when the delete was
        missed during a watch gap and found by a relist."""
        ...


@attrs.frozen
class HandlerFuncs(Generic[T]):
    """An :class:`EventHandler` made of functions; the ones left out are not called."""

    on_add: Callable[[T, bool], None] | None = None
    on_update: Callable[[T, T], None] | None = None
    on_delete: Callable[[T | Tombstone[T]], None] | None = None


class HandlerRegistration:
    """A handler added to an informer: remove it with :meth:`remove`.

    ``has_synced`` is true once the handler has been given every object of the informer's
    first list (or of the cache, for a handler added later).
    """

    __slots__ = ("_informer", "active", "handler", "on_add", "on_delete", "on_update")

    def __init__(self, informer: Informer[Any], handler: Any) -> None:
        self._informer = informer
        #: The handler as it was added.
        self.handler = handler
        #: False once removed.
        self.active = True
        self.on_add: Callable[[Any, bool], None] | None = _resolve(handler, "on_add")
        self.on_update: Callable[[Any, Any], None] | None = _resolve(handler, "on_update")
        self.on_delete: Callable[[Any], None] | None = _resolve(handler, "on_delete")

    @property
    def has_synced(self) -> bool:
        """Whether the handler has seen everything of the informer's first list."""
        return self.active and self._informer.has_synced

    def remove(self) -> None:
        """Stop delivering to this handler."""
        self._informer.remove_handler(self)

    def __repr__(self) -> str:
        return f"<HandlerRegistration {self.handler!r} active={self.active}>"


def _resolve(handler: Any, name: str) -> Any:
    function = getattr(handler, name, None)
    if function is not None and not callable(function):
        raise TypeError(f"handler {handler!r}: {name} is not callable")
    return function
