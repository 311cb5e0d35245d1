"""The reflector: list, then watch from the list's resourceVersion, and never give up.

A :class:`Reflector` keeps a :class:`ReflectorStore` (an informer) up to date with one kind on
the API server, as client-go's does:

- **list** in pages of ``page_size`` (500), then hand every object to the store at once
  (:meth:`ReflectorStore.replace`), which works out what changed;
- **watch** from the store's resourceVersion with bookmarks, handing each batch of events to
  the store (:meth:`ReflectorStore.apply`) without awaiting anything per event;
- when the watch breaks (``WatchDisconnected`` because the server cut a slow watcher, ``Expired``
  mid-stream, any other error), **watch again from the last resourceVersion**, and **relist**
  when that version is too old (``Expired``, 410);
- before each retry, **back off**: 800 ms doubling to 30 s (:data:`REFLECTOR_BACKOFF`), reset
  once a watch has run 2 minutes without failing, on the runtime's clock;
- every ``resync_period`` seconds of watching (if set), call :meth:`ReflectorStore.resync`.

Errors of the API calls are retried forever; errors raised by the store (a handler's bug)
propagate, so the informer's supervisor sees them.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import structlog

from kube_actors.api import LabelSelector
from kube_actors.api.selectors import Selector
from kube_actors.runtime import Backoff, current_runtime, move_on_at, now, rng, sleep
from kube_actors.store import Expired, FieldSelector, ObjectList, WatchEvent

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "REFLECTOR_BACKOFF",
    "FieldSelectorLike",
    "LabelSelectorLike",
    "ListerWatcher",
    "Reflector",
    "ReflectorStore",
    "WatchLike",
]

T = TypeVar("T")

LabelSelectorLike = str | Selector | Mapping[str, str] | LabelSelector | None
FieldSelectorLike = str | FieldSelector | None

#: client-go's reflector backoff: 800 ms doubling to 30 s, reset after 2 minutes of health.
REFLECTOR_BACKOFF = Backoff(initial=0.8, factor=2.0, cap=30.0, reset_after=120.0)
#: Objects per list page (client-go's informers list in pages of 500).
DEFAULT_PAGE_SIZE = 500

_log = structlog.get_logger("kube_actors.informers")


class WatchLike(Protocol[T]):
    """A watch as a :class:`ListerWatcher` returns it (``kube_actors.client.WatchStream``).

    :meth:`next_batch` must be safe to cancel while it waits (nothing is lost: the reflector
    wraps it in a cancel scope for the resync timer).
    """

    @property
    def resource_version(self) -> str:
        """Where to resume: everything up to this version has been returned."""
        ...

    async def next_batch(self) -> builtins.list[WatchEvent[T]]:
        """Every event available now (at least one), in order."""
        ...

    def close(self) -> None:
        """Stop the watch."""
        ...


class ListerWatcher(Protocol):
    """What a reflector needs from a client: list and watch (``kube_actors.client.Client``
    and ``LocalClient`` have both)."""

    async def list(
        self,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        limit: int = 0,
        continue_: str = "",
    ) -> ObjectList[T]:
        """One page of objects and the list's resourceVersion."""
        ...

    async def watch(
        self,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        resource_version: str = "",
        allow_bookmarks: bool = False,
    ) -> WatchLike[T]:
        """Watch from ``resource_version``."""
        ...


class ReflectorStore(Protocol):
    """Where a reflector puts what it lists and watches (an :class:`~.Informer`)."""

    @property
    def resource_version(self) -> str:
        """The version the store is up to date with; ``""`` if it needs a (re)list."""
        ...

    def replace(self, items: Sequence[Any], resource_version: str) -> None:
        """A (re)list: ``items`` is the whole content as of ``resource_version`` (objects on
        later pages may be newer)."""
        ...

    def apply(self, events: builtins.list[WatchEvent[Any]], resource_version: str) -> None:
        """A batch of watch events, in order; afterwards the store is up to date with
        ``resource_version``."""
        ...

    def resync(self) -> None:
        """The periodic resync is due."""
        ...


class Reflector(Generic[T]):
    """Keeps a :class:`ReflectorStore` up to date with the objects of ``cls`` (see the module
    docs). :meth:`run` runs until cancelled; its counters are the informer's health."""

    def __init__(
        self,
        lister_watcher: ListerWatcher,
        cls: type[T],
        store: ReflectorStore,
        *,
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        backoff: Backoff = REFLECTOR_BACKOFF,
        jitter: float = 0.0,
        resync_period: float = 0.0,
        name: str = "",
    ) -> None:
        if page_size < 0:
            raise ValueError(f"page_size must not be negative, got {page_size}")
        if resync_period < 0:
            raise ValueError(f"resync_period must not be negative, got {resync_period}")
        self._lw = lister_watcher
        self._cls = cls
        self._store = store
        self._namespace = namespace
        self._label_selector = label_selector
        self._field_selector = field_selector
        self._page_size = page_size
        self._backoff = backoff
        self._jitter = jitter
        self._resync_period = resync_period
        self._next_resync: float | None = None
        self._relist = False
        self._watch_started: float | None = None
        #: Who this reflector works for (in logs).
        self.name = name or cls.__qualname__
        #: ``new``, ``listing``, ``watching`` or ``backoff``.
        self.state = "new"
        #: Lists completed (the first one included).
        self.lists = 0
        #: Watches started (the first one included).
        self.watches = 0
        #: Consecutive failures: the step of the backoff (0 after a healthy run).
        self.failures = 0
        #: Failures in total.
        self.errors = 0
        #: The last error of a list or watch.
        self.last_error: Exception | None = None
        #: The delay of the last back-off.
        self.last_delay = 0.0
        #: The runtime clock when the last list or batch of watch events arrived.
        self.last_event_time: float | None = None
        #: Watch events received (bookmarks included).
        self.events = 0

    async def run(self) -> None:
        """List and watch until cancelled, retrying every failure of the API with backoff.

        Safe to call again after it was cancelled or a store error escaped it: it carries on
        from the store's resourceVersion.
        """
        if self._resync_period and self._next_resync is None:
            self._next_resync = now() + self._resync_period
        while True:
            error = await self._list_and_watch()
            await self._back_off(error)

    async def _list_and_watch(self) -> Exception:
        """List if needed, then watch until the watch fails; return the failure."""
        store = self._store
        if self._relist or not store.resource_version:
            self.state = "listing"
            try:
                items, version = await self._list()
            except Exception as exc:
                return exc
            self.lists += 1
            self.last_event_time = now()
            self._relist = False
            store.replace(items, version)
        try:
            stream = await self._lw.watch(
                self._cls,
                namespace=self._namespace,
                label_selector=self._label_selector,
                field_selector=self._field_selector,
                resource_version=store.resource_version,
                allow_bookmarks=True,
            )
        except Exception as exc:
            if isinstance(exc, Expired):
                self._relist = True
            return exc
        self.watches += 1
        self._watch_started = now()
        self.state = "watching"
        try:
            return await self._watch(stream)
        finally:
            stream.close()

    async def _list(self) -> tuple[list[Any], str]:
        """Every object, in pages; the first page's resourceVersion."""
        items: list[Any] = []
        token = ""
        version = ""
        while True:
            page = await self._lw.list(
                self._cls,
                namespace=self._namespace,
                label_selector=self._label_selector,
                field_selector=self._field_selector,
                limit=self._page_size,
                continue_=token,
            )
            if not version:
                version = page.resource_version
            items.extend(page.items)
            token = page.continue_
            if not token:
                return items, version

    async def _watch(self, stream: WatchLike[Any]) -> Exception:
        """Hand the stream's batches to the store until it fails; return the failure."""
        store = self._store
        apply = store.apply
        period = self._resync_period
        while True:
            batch: list[WatchEvent[Any]] | None = None
            try:
                if period:
                    assert self._next_resync is not None
                    with move_on_at(self._next_resync):
                        batch = await stream.next_batch()
                else:
                    batch = await stream.next_batch()
            except Exception as exc:
                if isinstance(exc, Expired):
                    self._relist = True
                return exc
            if batch is None:
                self._next_resync = now() + period
                store.resync()
                continue
            self.last_event_time = now()
            self.events += len(batch)
            apply(batch, stream.resource_version)

    async def _back_off(self, error: Exception) -> None:
        at = now()
        started, self._watch_started = self._watch_started, None
        if started is not None and at - started >= self._backoff.reset_after:
            self.failures = 0
        self.failures += 1
        self.errors += 1
        self.last_error = error
        delay = self._backoff.delay(self.failures)
        if self._jitter > 0:
            delay *= 1.0 + self._jitter * rng().random()
        self.last_delay = delay
        self.state = "backoff"
        _log.info(
            "informer watch failed; retrying",
            informer=self.name,
            error=f"{type(error).__name__}: {error}",
            relist=self._relist or not self._store.resource_version,
            delay=round(delay, 6),
            **current_runtime().event_fields(),
        )
        await sleep(delay)
