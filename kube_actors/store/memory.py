"""The in-memory storage backend: the embedded default behind the API server.

A dict of current objects, a sorted key index for range reads, one revision counter, a bounded
history of recent events for watch catch-up, and a fan-out of every write to the matching
watchers. No method awaits anything, so on the cooperative runtime each call runs to
completion before another task runs: every operation is atomic and linearizable for free.

>>> from kube_actors.runtime import simulate
>>> async def main() -> object:
...     store = MemoryBackend()
...     await store.create("/registry/pods/default/web", "v1")
...     return await store.get("/registry/pods/default/web")
>>> simulate(main, seed=1).value
StoredObject(key='/registry/pods/default/web', value='v1', create_revision=1, mod_revision=1)
"""

from __future__ import annotations

import builtins
from bisect import bisect_left, bisect_right
from collections import deque

from kube_actors.api import constructor
from kube_actors.runtime import Channel
from kube_actors.store.storage import (
    BackendClosed,
    Compacted,
    KeyExists,
    KeyNotFound,
    RevisionConflict,
    Stamp,
    StorageBackend,
    StorageEvent,
    StoredObject,
    Watch,
    WatchClosed,
    identity_stamp,
)

__all__ = ["MemoryBackend", "MemoryWatch"]

_MAX_CHAR = chr(0x10FFFF)
# Every write builds one of each: straight slot fills instead of the frozen classes' __init__.
_stored_object = constructor(StoredObject)
_storage_event = constructor(StorageEvent)
#: Key directories whose matching watches the fan-out remembers (it starts over when full).
_MAX_TARGETS = 1024


def _prefix_end(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (None: no bound)."""
    stripped = prefix.rstrip(_MAX_CHAR)
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


class MemoryWatch(Watch):
    """A watch on a :class:`MemoryBackend`: a bounded buffer the backend's writes fill.

    The backend appends to it synchronously on every matching write; a write that finds the
    buffer full closes the watch instead of waiting, so a slow watcher never holds up a writer.
    """

    __slots__ = (
        "_after",
        "_backend",
        "_buffer",
        "_capacity",
        "_error",
        "_items",
        "_limit",
        "_receivers",
        "prefix",
    )

    def __init__(
        self,
        backend: MemoryBackend,
        prefix: str,
        after: int,
        backlog: builtins.list[StorageEvent],
        capacity: int,
    ) -> None:
        self._backend: MemoryBackend | None = backend
        #: The key prefix watched.
        self.prefix = prefix
        # Only events after this revision (it exceeds the backend's revision only for a watch
        # started in the future, etcd-style).
        self._after = after
        self._capacity = capacity
        # The runtime channel is used as a deque with wake-ups (and cancellation-safe waits);
        # the bound is enforced here, so its own capacity is never the limit.
        self._buffer: Channel[StorageEvent] = Channel(capacity, name=f"watch {prefix!r}")
        self._items = self._buffer.items
        # The channel's waiting receivers (a deque it never replaces): the fan-out wakes one
        # only when some wait, without a call per event otherwise.
        self._receivers = self._buffer._receivers
        self._items.extend(backlog)
        # The replayed backlog does not count against the buffer (it is bounded by the
        # history anyway), as upstream's watch cache sends initial events apart from its
        # buffered channel: live events get ``capacity`` slots until the backlog is read.
        self._limit = capacity + len(backlog)
        self._error: WatchClosed | None = None

    @property
    def closed(self) -> bool:
        """Whether the watch has ended (events queued before that may still be read)."""
        return self._error is not None

    @property
    def progress(self) -> int | None:
        """Every event of this watch up to this revision has been read (``None`` once ended).

        What a bookmark may report: the backend queues events synchronously, so with nothing
        unread the watcher is up to date with the whole store.
        """
        backend = self._backend
        if backend is None or self._error is not None:
            return None
        items = self._buffer.items
        if items:
            return items[0].revision - 1
        return max(backend.revision, self._after)

    async def next_batch(self) -> builtins.list[StorageEvent]:
        """Wait for at least one event and return every event already queued, in order.

        Raises :class:`WatchClosed` once the watch has ended and its queued events are read.
        """
        buffer = self._buffer
        await buffer.wait_ready()
        if buffer.items:
            self._limit = self._capacity
            return buffer.drain()
        assert self._error is not None  # the channel is only closed with the watch
        error = self._error
        # A fresh exception per raise, so tracebacks do not pile up on one instance.
        raise WatchClosed(error.prefix, error.reason, by_client=error.by_client)

    def close(self) -> None:
        """End the watch (idempotent); events already queued can still be read."""
        self._end("was closed", by_client=True)

    def _offer(self, event: StorageEvent) -> bool:
        """Queue ``event`` without waiting; False (and the watch is ended) if it is full."""
        buffer = self._buffer
        if len(buffer.items) >= self._limit:
            self._end(
                f"fell behind: {len(buffer.items)} events unread "
                f"(buffer of {self._capacity}); relist and watch again",
                detach=False,
            )
            return False
        buffer.put(event)
        return True

    def _end(self, reason: str, *, by_client: bool = False, detach: bool = True) -> None:
        if self._error is not None:
            return
        self._error = WatchClosed(self.prefix, reason, by_client=by_client)
        self._buffer.close()
        backend, self._backend = self._backend, None
        if detach and backend is not None:
            backend._detach(self)


class MemoryBackend(StorageBackend):
    """The in-memory :class:`~kube_actors.store.storage.StorageBackend`.

    ``stamp`` is applied once per write and the stamped value is what is stored, returned and
    emitted: reads share objects, nothing is copied. ``history`` events are kept for watches
    that start in the past (older ones get :class:`Compacted`); each watch buffers at most
    ``watch_buffer`` unread live events before it is closed as fallen behind.

    Costs: get, create, update and delete O(1); list and count O(log n + page) once the key
    index is current, and O(n) for the first read after creates or deletes (merging them into
    the sorted index); every write O(watchers) for the fan-out.
    """

    def __init__(
        self, stamp: Stamp = identity_stamp, *, history: int = 10_000, watch_buffer: int = 10_000
    ) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1 event, got {history}")
        if watch_buffer < 1:
            raise ValueError(f"watch_buffer must be at least 1 event, got {watch_buffer}")
        self._stamp = stamp
        self._watch_buffer = watch_buffer
        self._objects: dict[str, StoredObject] = {}
        # Sorted keys for range reads, kept up to date lazily: creates and deletes only note
        # the key (O(1)); the next range read merges the new keys in (one sort of a sorted
        # run plus a short one, which Timsort does in linear time) and drops the deleted
        # ones. Inserting into a sorted list on every create costs a memmove of the list,
        # which dominates writes at 100,000 keys.
        self._keys: builtins.list[str] = []
        self._added: set[str] = set()
        self._removed: set[str] = set()
        self._revision = 0
        self._history: deque[StorageEvent] = deque(maxlen=history)
        # Watches may start after this revision: the events up to it are gone.
        self._compacted = 0
        # In creation order, so the fan-out order never depends on hashing.
        self._watches: builtins.list[MemoryWatch] = []
        # Key directory (up to the last "/") -> the watches, in creation order, whose prefix
        # matches every key in it: the fan-out then tests no prefixes. None while a watch's
        # prefix does not end with "/" (its matches vary within a directory). Reset whenever
        # the watches change.
        self._targets: dict[str, builtins.list[MemoryWatch]] | None = {}
        self._closed = False

    # --- reads ----------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The store's current revision: that of the last write, 0 before any."""
        return self._revision

    @property
    def compacted_revision(self) -> int:
        """The oldest revision a watch may start from (history up to it is gone)."""
        return self._compacted

    async def get(self, key: str) -> StoredObject | None:
        """The key's current object, or ``None``."""
        self._check_open()
        return self._objects.get(key)

    async def list(
        self, prefix: str, *, limit: int = 0, start_after: str = ""
    ) -> tuple[builtins.list[StoredObject], int]:
        """Objects whose keys start with ``prefix``, sorted by key, and the read's revision.

        Only keys greater than ``start_after`` (if given), at most ``limit`` (if > 0).
        """
        self._check_open()
        keys = self._sorted_keys()
        low, high = self._range(prefix)
        if start_after:
            low = max(low, bisect_right(keys, start_after))
        if limit > 0:
            high = min(high, low + limit)
        objects = self._objects
        return [objects[key] for key in keys[low:high]], self._revision

    async def count(self, prefix: str) -> int:
        """How many keys start with ``prefix``."""
        self._check_open()
        low, high = self._range(prefix)
        return high - low

    # --- writes ---------------------------------------------------------------------------
    # Each write checks its preconditions and stamps the value before changing anything, so a
    # failure (including one raised by the stamp function) leaves the store untouched.

    async def create(self, key: str, value: object) -> StoredObject:
        """Store ``value`` under a new key; :class:`KeyExists` if the key is taken."""
        self._check_open()
        if key in self._objects:
            raise KeyExists(key)
        revision = self._revision + 1
        stamped = self._stamp(value, revision)
        stored = _stored_object(key, stamped, revision, revision)
        self._objects[key] = stored
        if key in self._removed:
            self._removed.discard(key)  # still in the sorted list
        else:
            self._added.add(key)
        self._revision = revision
        self._publish(_storage_event("PUT", key, stamped, revision, None, True, None))
        return stored

    async def update(
        self, key: str, value: object, *, expected_revision: int | None
    ) -> StoredObject:
        """Replace the key's value, if its ``mod_revision`` is ``expected_revision`` (if given).

        :class:`KeyNotFound` if there is no such key, :class:`RevisionConflict` if the
        revision does not match.
        """
        self._check_open()
        current = self._objects.get(key)
        if current is None:
            raise KeyNotFound(key)
        if expected_revision is not None and expected_revision != current.mod_revision:
            raise RevisionConflict(key, expected_revision, current.mod_revision)
        revision = self._revision + 1
        stamped = self._stamp(value, revision)
        stored = _stored_object(key, stamped, current.create_revision, revision)
        self._objects[key] = stored
        self._revision = revision
        self._publish(_storage_event("PUT", key, stamped, revision, current.value, False, None))
        return stored

    async def delete(self, key: str, *, expected_revision: int | None = None) -> StoredObject:
        """Remove the key and return its last object, stamped with the delete's revision.

        :class:`KeyNotFound` if there is no such key, :class:`RevisionConflict` if
        ``expected_revision`` is given and is not the key's ``mod_revision``.
        """
        self._check_open()
        current = self._objects.get(key)
        if current is None:
            raise KeyNotFound(key)
        if expected_revision is not None and expected_revision != current.mod_revision:
            raise RevisionConflict(key, expected_revision, current.mod_revision)
        revision = self._revision + 1
        stamped = self._stamp(current.value, revision)
        del self._objects[key]
        if key in self._added:
            self._added.discard(key)
        else:
            self._removed.add(key)
        self._revision = revision
        self._publish(_storage_event("DELETE", key, stamped, revision, current.value, False, None))
        return _stored_object(key, stamped, current.create_revision, revision)

    # --- watches --------------------------------------------------------------------------

    async def watch(self, prefix: str, from_revision: int) -> MemoryWatch:
        """Watch keys starting with ``prefix`` for changes after ``from_revision``.

        Replays the kept history after ``from_revision``, then follows live changes.
        :class:`Compacted` if events after ``from_revision`` were already forgotten.
        """
        self._check_open()
        if from_revision < 0:
            raise ValueError(f"from_revision must be >= 0, got {from_revision}")
        if from_revision < self._compacted:
            raise Compacted(from_revision, self._compacted)
        # Walk back from the newest event: the cost is the events replayed, not the history.
        backlog: builtins.list[StorageEvent] = []
        for event in reversed(self._history):
            if event.revision <= from_revision:
                break
            if event.key.startswith(prefix):
                backlog.append(event)
        backlog.reverse()
        watch = MemoryWatch(self, prefix, from_revision, backlog, self._watch_buffer)
        self._watches.append(watch)
        self._watches_changed()
        return watch

    async def compact(self, revision: int) -> None:
        """Forget the history up to and including ``revision``; older revisions are a no-op.

        ``ValueError`` for a revision after the current one. Open watches keep what they
        already have.
        """
        self._check_open()
        if revision > self._revision:
            raise ValueError(
                f"cannot compact at revision {revision}: the current revision is {self._revision}"
            )
        if revision <= self._compacted:
            return
        history = self._history
        while history and history[0].revision <= revision:
            history.popleft()
        self._compacted = revision

    async def close(self) -> None:
        """End every watch (they read what is queued, then :class:`WatchClosed`); idempotent.

        Later operations raise :class:`BackendClosed`.
        """
        self._closed = True
        watches, self._watches = self._watches, []
        self._watches_changed()
        for watch in watches:
            watch._end("ended: the storage backend was closed", detach=False)

    # --- internals ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendClosed()

    def _range(self, prefix: str) -> tuple[int, int]:
        """The slice of the sorted keys that starts with ``prefix``."""
        keys = self._sorted_keys()
        if not prefix:
            return 0, len(keys)
        end = _prefix_end(prefix)
        high = len(keys) if end is None else bisect_left(keys, end)
        return bisect_left(keys, prefix), high

    def _sorted_keys(self) -> builtins.list[str]:
        """Every current key, sorted: the pending creates and deletes applied."""
        keys = self._keys
        if self._removed:
            removed = self._removed
            keys = self._keys = [key for key in keys if key not in removed]
            removed.clear()
        if self._added:
            keys.extend(sorted(self._added))
            keys.sort()
            self._added.clear()
        return keys

    def _publish(self, event: StorageEvent) -> None:
        """Record ``event`` in the history and queue it for every matching watch, no waiting."""
        history = self._history
        if len(history) == history.maxlen:
            # The append below evicts the oldest event, so a watch must start at its revision or
            # later to miss nothing.
            self._compacted = history[0].revision
        history.append(event)
        if not self._watches:
            return
        fallen: builtins.list[MemoryWatch] | None = None
        key = event.key
        revision = event.revision
        targets = self._targets
        if targets is not None:
            directory = key[: key.rfind("/") + 1]
            matching = targets.get(directory)
            if matching is None:
                matching = [w for w in self._watches if directory.startswith(w.prefix)]
                # Revisions only grow: a watch that takes this event takes every later one.
                # One started in the future does not yet, so the list is not kept then.
                if all(revision > w._after for w in matching):
                    if len(targets) >= _MAX_TARGETS:
                        targets.clear()
                    targets[directory] = matching
                else:
                    matching = [w for w in matching if revision > w._after]
            for watch in matching:
                # _offer, inlined: this loop runs once per watcher per write.
                items = watch._items
                if len(items) < watch._limit:
                    items.append(event)
                    if watch._receivers:
                        watch._buffer.put_wake()
                elif not watch._offer(event):
                    fallen = fallen or []
                    fallen.append(watch)
        else:
            for watch in self._watches:
                if revision > watch._after and key.startswith(watch.prefix):
                    items = watch._items
                    if len(items) < watch._limit:
                        items.append(event)
                        if watch._receivers:
                            watch._buffer.put_wake()
                    elif not watch._offer(event):
                        fallen = fallen or []
                        fallen.append(watch)
        if fallen:
            self._watches = [watch for watch in self._watches if watch not in fallen]
            self._watches_changed()

    def _watches_changed(self) -> None:
        # A prefix ending with "/" matches a key exactly when it matches the key's directory.
        if all(not watch.prefix or watch.prefix.endswith("/") for watch in self._watches):
            self._targets = {}
        else:
            self._targets = None

    def _detach(self, watch: MemoryWatch) -> None:
        """Stop fanning out to ``watch`` (closed by its client)."""
        self._watches.remove(watch)
        self._watches_changed()
