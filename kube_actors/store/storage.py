"""The storage backend protocol the API server writes through: keys, revisions, watches.

A backend is a revisioned key-value store, shaped after etcd 3 so that an etcd backend can
implement it as well as the in-memory default (:class:`~kube_actors.store.memory.MemoryBackend`):

- one revision counter for the whole store, bumped by every write (it becomes every object's
  ``resourceVersion``); ``create_revision`` / ``mod_revision`` per key, as etcd's;
- reads by key or by key prefix (sorted by key, paged with ``limit`` / ``start_after``),
  returning the revision they read at;
- writes that are create-if-absent, compare-and-swap on ``mod_revision``, or delete;
- watches by key prefix from a revision, replaying what happened after it and then following
  live changes, until the history is compacted (:class:`Compacted`, which the API server
  turns into ``410 Expired``).

Values are opaque to the backend. It is given a :data:`Stamp` function that writes the
revision into a value (the API server's sets ``metadata.resourceVersion``), so everything a
backend returns already carries its revision.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, Literal, Protocol

import attrs

__all__ = [
    "BackendClosed",
    "Compacted",
    "KeyExists",
    "KeyNotFound",
    "RevisionConflict",
    "Stamp",
    "StorageBackend",
    "StorageError",
    "StorageEvent",
    "StoredObject",
    "Watch",
    "WatchClosed",
    "identity_stamp",
]

#: ``stamp(value, revision)`` returns ``value`` carrying ``revision`` (e.g. as
#: ``metadata.resourceVersion``). It must not mutate ``value``: values are shared.
Stamp = Callable[[object, int], object]


def identity_stamp(value: object, revision: int) -> object:
    """The default :data:`Stamp`: values that do not record their revision.

    >>> identity_stamp("v", 7)
    'v'
    """
    return value


@attrs.frozen(slots=True)
class StoredObject:
    """A key's current value with its etcd-style revisions.

    ``value`` has been stamped with ``mod_revision``. Instances are shared, never copied.
    """

    key: str
    value: Any
    #: The revision of the write that created the key.
    create_revision: int
    #: The revision of the last write to the key (of the delete, for a deleted object).
    mod_revision: int


@attrs.frozen(slots=True)
class StorageEvent:
    """One change, as a watch delivers it.

    For ``PUT``, ``value`` is the new value and ``prev`` the value it replaced (``None`` when
    the put created the key, ``created``). For ``DELETE``, ``value`` is the last value stamped
    with the delete's revision and ``prev`` the same value as it was stored (stamped with its
    own ``mod_revision``). ``revision`` is the revision of this change.
    """

    type: Literal["PUT", "DELETE"]
    key: str
    value: Any
    revision: int
    prev: Any
    created: bool
    # A memo for the API server: the watch event every whole-kind watcher gets for this change,
    # built once and shared (the change itself never varies). Not part of the event's value.
    _converted: Any = attrs.field(default=None, eq=False, hash=False, repr=False)


# --- errors ---------------------------------------------------------------------------------
# Each error keeps its fields as ``args`` (so it pickles and reprs faithfully) and formats its
# message in ``__str__``.


class StorageError(Exception):
    """Base class of every error a storage backend raises on purpose."""


class KeyExists(StorageError):
    """``create`` of a key that already exists."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"key {self.key!r} already exists"


class KeyNotFound(StorageError):
    """``update`` or ``delete`` of a key that does not exist."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"key {self.key!r} not found"


class RevisionConflict(StorageError):
    """A compare-and-swap whose expected ``mod_revision`` is not the key's current one."""

    def __init__(self, key: str, expected: int, actual: int) -> None:
        super().__init__(key, expected, actual)
        self.key = key
        self.expected = expected
        self.actual = actual

    def __str__(self) -> str:
        return (
            f"key {self.key!r} is at revision {self.actual}, "
            f"not at the expected revision {self.expected}"
        )


class Compacted(StorageError):
    """A watch from a revision whose history is gone (the API server's ``410 Expired``).

    ``compacted`` is the oldest revision a watch may still start from: the events up to and
    including it were forgotten.
    """

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(requested, compacted)
        self.requested = requested
        self.compacted = compacted

    def __str__(self) -> str:
        return (
            f"revision {self.requested} has been compacted: history is kept only after "
            f"revision {self.compacted}"
        )


class WatchClosed(StorageError):
    """A watch ended: raised by :meth:`Watch.next_batch` once its queued events are drained.

    ``by_client`` is true when the watch's own :meth:`Watch.close` ended it; otherwise the
    backend did (the watcher fell behind, or the backend closed) and the watcher must relist.
    """

    def __init__(self, prefix: str, reason: str, *, by_client: bool = False) -> None:
        super().__init__(prefix, reason)
        self.prefix = prefix
        self.reason = reason
        self.by_client = by_client

    def __str__(self) -> str:
        return f"watch of {self.prefix!r} {self.reason}"


class BackendClosed(StorageError):
    """An operation on a backend after :meth:`StorageBackend.close`."""

    def __str__(self) -> str:
        return "the storage backend is closed"


# --- protocols ------------------------------------------------------------------------------


class Watch(Protocol):
    """A stream of :class:`StorageEvent` batches for one key prefix, in revision order.

    ``async for batch in watch`` iterates batches until :meth:`close` ends it; if the backend
    ended the watch instead (the watcher fell behind, or the backend closed), the loop raises
    :class:`WatchClosed` so the watcher knows to relist. Backends subclass this protocol to
    inherit the iteration methods.
    """

    __slots__ = ()

    @property
    def closed(self) -> bool:
        """Whether the watch has ended (events queued before that may still be read)."""
        ...

    async def next_batch(self) -> builtins.list[StorageEvent]:
        """Wait for at least one event and return every event already available, in order.

        Raises :class:`WatchClosed` once the watch has ended and its queued events are read.
        """
        ...

    def close(self) -> None:
        """End the watch: no more events are queued; idempotent."""
        ...

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> builtins.list[StorageEvent]:
        try:
            return await self.next_batch()
        except WatchClosed as closed:
            if closed.by_client:
                raise StopAsyncIteration from None
            raise


class StorageBackend(Protocol):
    """A revisioned key-value store with prefix watches (in memory, or etcd).

    Keys sort by code point, which for UTF-8 is etcd's byte order. Every value returned or
    emitted has been passed through the backend's :data:`Stamp` with its ``mod_revision``
    (for a delete: the delete's revision).
    """

    @property
    def revision(self) -> int:
        """The store's current revision: that of the last write, 0 before any."""
        ...

    async def get(self, key: str) -> StoredObject | None:
        """The key's current object, or ``None``."""
        ...

    async def list(
        self, prefix: str, *, limit: int = 0, start_after: str = ""
    ) -> tuple[builtins.list[StoredObject], int]:
        """Objects whose keys start with ``prefix``, sorted by key, and the read's revision.

        Only keys greater than ``start_after`` (if given), at most ``limit`` (if > 0): a page
        ends where the next one starts after its last key.
        """
        ...

    async def count(self, prefix: str) -> int:
        """How many keys start with ``prefix``."""
        ...

    async def create(self, key: str, value: object) -> StoredObject:
        """Store ``value`` under a new key; :class:`KeyExists` if the key is taken."""
        ...

    async def update(
        self, key: str, value: object, *, expected_revision: int | None
    ) -> StoredObject:
        """Replace the key's value.

        With ``expected_revision``, only if the key's ``mod_revision`` is that
        (:class:`RevisionConflict` otherwise). :class:`KeyNotFound` if there is no such key.
        """
        ...

    async def delete(self, key: str, *, expected_revision: int | None = None) -> StoredObject:
        """Remove the key and return its last object, stamped with the delete's revision.

        :class:`KeyNotFound` if there is no such key, :class:`RevisionConflict` if
        ``expected_revision`` is given and is not the key's ``mod_revision``.
        """
        ...

    async def watch(self, prefix: str, from_revision: int) -> Watch:
        """Watch keys starting with ``prefix`` for changes after ``from_revision``.

        The watch first replays the history after ``from_revision``, then follows live
        changes; ``from_revision == revision`` means live changes only. :class:`Compacted` if
        the history after ``from_revision`` is no longer complete.
        """
        ...

    async def compact(self, revision: int) -> None:
        """Forget the history up to and including ``revision`` (older watches get Compacted)."""
        ...

    async def close(self) -> None:
        """End every watch and refuse further operations (:class:`BackendClosed`)."""
        ...
