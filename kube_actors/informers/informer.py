"""The informer: a reflector, a cache and handlers, run under supervision.

An :class:`Informer` lists and watches one kind (in a namespace, with selectors) through its
:class:`~kube_actors.informers.reflector.Reflector`, keeps what it sees in a
:class:`~kube_actors.informers.cache.Cache`, and tells its handlers about every change, in
order, exactly once: ``on_add(obj, in_initial_list)``, ``on_update(old, new)``,
``on_delete(obj | Tombstone)``. The cache is written before the handlers run, so a handler
reading the cache sees the change it is told about.

It runs as an actor under its own :class:`~kube_actors.runtime.Supervisor`: the actor runs the
reflector in a task and crashes when the task fails, and the supervisor restarts it (0.1 s
backoff doubling to 10 s; more than 10 restarts in 60 s and it gives up, loudly). API failures
never get that far: the reflector retries them itself. What does crash the informer is an
exception from a handler, a transform or the cache, i.e. a bug:

- **A handler that raises crashes the informer**, which is logged (``actor crashed``, with the
  traceback) and counted in :meth:`Informer.health`, and the informer is restarted. Nothing is
  lost or repeated for the other handlers: the cache and the resourceVersion survive the
  restart, the handlers after the failing one still get the notification it failed on, and the
  watch resumes after it. The failing handler does not get that notification again (as an
  actor's crashed message is not retried), so one bad event cannot crash-loop the informer;
  it gets every later one.
- A transform or cache that raises is retried (from the event it failed on) by the restarted
  informer; if it keeps failing, the supervisor gives up and the informer is ``failed``.

Logging and carrying on (what client-go does when its crash handler is told not to panic)
would leave a broken controller looking healthy; crashing its whole process (client-go's
default) would stop every other controller sharing the informer. Restarting the informer
alone is in between: loud, bounded, and nobody else loses events.
"""

from __future__ import annotations

import builtins
import inspect
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
import structlog

from kube_actors.api import REGISTRY
from kube_actors.informers.cache import (
    CACHES,
    Cache,
    CacheFactory,
    IndexedCache,
    IndexFunc,
    namespace_key,
)
from kube_actors.informers.handlers import HandlerFuncs, HandlerRegistration, Tombstone
from kube_actors.informers.reflector import (
    DEFAULT_PAGE_SIZE,
    REFLECTOR_BACKOFF,
    FieldSelectorLike,
    LabelSelectorLike,
    ListerWatcher,
    Reflector,
)
from kube_actors.runtime import (
    Actor,
    ActorRef,
    Backoff,
    ChildExited,
    ChildSpec,
    Event,
    Intensity,
    Restart,
    RestartIntensityExceeded,
    Supervisor,
    TaskHandle,
    current_runtime,
    handles,
    move_on_after,
    now,
    spawn,
    spawn_actor,
)
from kube_actors.store import WatchEvent

__all__ = ["RESTART_BACKOFF", "RESTART_INTENSITY", "Informer", "InformerHealth", "Transform"]

T = TypeVar("T")

#: A function applied to every object before it is cached (and handed to handlers). It must
#: keep ``metadata.name``, ``namespace`` and ``resourceVersion``.
Transform = Callable[[Any], Any]

#: How an informer's supervisor restarts it after a crash: the runtime's defaults (0.1 s
#: doubling to 10 s, reset after 60 s) ...
RESTART_BACKOFF = Backoff()
#: ... and gives up after more than 10 restarts within 60 s.
RESTART_INTENSITY = Intensity()

_ADD, _UPDATE, _DELETE = 0, 1, 2
#: A notification still to deliver after a crash: (kind, a, b, registrations left).
_Note = tuple[int, Any, Any, tuple[HandlerRegistration, ...]]

_log = structlog.get_logger("kube_actors.informers")


@attrs.frozen
class InformerHealth:
    """A snapshot of an informer's health (:meth:`Informer.health`).

    Alert on ``state == "failed"``, on ``lag`` above a few bookmark intervals (the API server
    sends a bookmark to an idle watch every 60 s, so a healthy informer's lag stays below
    that), and on ``relists``/``crashes`` that keep growing.
    """

    #: The informer's actor name.
    name: str
    #: The kind watched (class name).
    kind: str
    #: ``new``, ``listing``, ``watching``, ``backoff`` (retrying the API), ``restarting``
    #: (crashed, waiting for its supervisor), ``stopped`` or ``failed`` (supervisor gave up).
    state: str
    #: Whether the first list has been delivered to the handlers.
    synced: bool
    #: Objects in the cache.
    objects: int
    #: The resourceVersion the cache is up to date with (``""`` before the first list).
    resource_version: str
    #: The runtime clock when the last list or watch batch (bookmarks too) arrived.
    last_event_time: float | None
    #: Seconds since then.
    lag: float | None
    #: Lists after the first one (each after ``Expired``).
    relists: int
    #: Watches started after the first one.
    watch_restarts: int
    #: Consecutive list/watch failures (the backoff step; 0 once healthy again).
    failures: int
    #: List/watch failures in total.
    errors: int
    #: Times the informer crashed (a handler, the transform or the cache raised) and was
    #: restarted by its supervisor.
    crashes: int
    #: Watch events received (bookmarks included).
    events: int
    #: The last list/watch failure, or ``""``.
    last_error: str
    #: The last crash, or ``""``.
    last_crash: str


class Informer(Generic[T]):
    """Lists and watches ``cls`` into a cache and notifies handlers (see the module docs).

    ``client`` is any :class:`~kube_actors.informers.reflector.ListerWatcher` (a
    ``kube_actors.client.Client``). ``namespace`` (all if empty), ``label_selector`` and
    ``field_selector`` restrict what is watched. ``transform`` is applied to every object
    before it is cached. ``resync_period`` (seconds, 0 = never) re-delivers every cached object
    as ``on_update(obj, obj)``. ``cache`` is a :class:`Cache` instance, a factory, or a name in
    :data:`~kube_actors.informers.cache.CACHES` (default :class:`IndexedCache`).
    ``backoff``/``jitter`` govern the reflector's retries, ``restart_backoff``/``intensity``
    the supervisor's restarts after a crash. Usually made by a
    :class:`~kube_actors.informers.factory.SharedInformerFactory`.
    """

    def __init__(
        self,
        client: ListerWatcher,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        transform: Transform | None = None,
        resync_period: float = 0.0,
        page_size: int = DEFAULT_PAGE_SIZE,
        cache: Cache[T] | CacheFactory | str | None = None,
        indexers: Mapping[str, IndexFunc] | None = None,
        backoff: Backoff = REFLECTOR_BACKOFF,
        jitter: float = 0.0,
        restart_backoff: Backoff = RESTART_BACKOFF,
        intensity: Intensity = RESTART_INTENSITY,
        name: str = "",
    ) -> None:
        #: The kind watched.
        self.cls = cls
        #: The namespace watched (``""``: all).
        self.namespace = namespace
        #: The selectors, as given.
        self.label_selector = label_selector
        self.field_selector = field_selector
        #: The transform applied before caching, if any.
        self.transform = transform
        #: Seconds between resyncs (0: none).
        self.resync_period = resync_period
        self._cache: Cache[T] = _make_cache(cache)
        if indexers:
            self._cache.add_indexers(indexers)
        self._name = name
        self._restart_backoff = restart_backoff
        self._intensity = intensity
        self._reflector: Reflector[T] = Reflector(
            client,
            cls,
            self,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            page_size=page_size,
            backoff=backoff,
            jitter=jitter,
            resync_period=resync_period,
            name=name or cls.__qualname__,
        )
        self._handlers: list[HandlerRegistration] = []
        self._add_regs: tuple[HandlerRegistration, ...] = ()
        self._update_regs: tuple[HandlerRegistration, ...] = ()
        self._delete_regs: tuple[HandlerRegistration, ...] = ()
        self._resource_version = ""
        # After a paged list, later pages may hold objects newer than the list's version: the
        # watch then replays changes the cache already has, up to this version (see apply).
        self._replay_until: int | None = None
        self._pending: deque[_Note] = deque()
        self._listed = False
        self._synced = False
        self._sync_event: Event | None = None
        self._supervisor: ActorRef[Any] | None = None
        self._state = "new"
        self._stopping = False
        self._down = False
        self._crashes = 0
        self._crash_noted = False
        self._incarnations = 0
        self._last_crash = ""

    # --- reading the cache -----------------------------------------------------------------

    @property
    def cache(self) -> Cache[T]:
        """The cache (read it; only the informer writes it)."""
        return self._cache

    def get(self, name: str, namespace: str = "") -> T | None:
        """The cached object ``name`` (in ``namespace``, for a namespaced kind), or ``None``."""
        return self._cache.get_by_key(namespace_key(namespace, name))

    def list(self, namespace: str = "") -> builtins.list[T]:
        """The cached objects (in ``namespace``, if given)."""
        return self._cache.list_namespace(namespace) if namespace else self._cache.list()

    def by_index(self, index: str, value: str) -> builtins.list[T]:
        """The cached objects filed under ``value`` by index ``index``."""
        return self._cache.by_index(index, value)

    def add_indexers(self, indexers: Mapping[str, IndexFunc]) -> None:
        """Add index functions to the cache (what is cached already is indexed at once)."""
        self._cache.add_indexers(indexers)

    # --- handlers --------------------------------------------------------------------------

    def add_handler(
        self,
        handler: Any = None,
        *,
        on_add: Callable[[T, bool], None] | None = None,
        on_update: Callable[[T, T], None] | None = None,
        on_delete: Callable[[Any], None] | None = None,
    ) -> HandlerRegistration:
        """Add an :class:`~kube_actors.informers.handlers.EventHandler` (or the functions).

        A handler added while objects are cached first gets ``on_add(obj, True)`` for each,
        here, in the caller's task (if one of those raises, the handler is not added and the
        error propagates); from then on it sees every change.
        """
        if handler is None:
            handler = HandlerFuncs(on_add=on_add, on_update=on_update, on_delete=on_delete)
        elif on_add is not None or on_update is not None or on_delete is not None:
            raise TypeError("pass a handler or functions, not both")
        registration = HandlerRegistration(self, handler)
        add = registration.on_add
        if add is not None:
            for obj in self._cache.list():
                add(obj, True)
        self._handlers.append(registration)
        self._rebuild_handlers()
        return registration

    def remove_handler(self, registration: HandlerRegistration) -> None:
        """Stop delivering to a handler (no-op if it was removed already)."""
        registration.active = False
        if registration in self._handlers:
            self._handlers.remove(registration)
            self._rebuild_handlers()

    def _rebuild_handlers(self) -> None:
        handlers = self._handlers
        self._add_regs = tuple(r for r in handlers if r.on_add is not None)
        self._update_regs = tuple(r for r in handlers if r.on_update is not None)
        self._delete_regs = tuple(r for r in handlers if r.on_delete is not None)

    # --- sync ------------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        """Whether the first list has been cached and delivered to every handler."""
        return self._synced

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Wait until :attr:`has_synced` (True), the informer stops or fails, or ``timeout``
        seconds pass (False)."""
        if self._synced:
            return True
        event = self._event()
        if timeout is None:
            await event.wait()
        else:
            with move_on_after(timeout):
                await event.wait()
        return self._synced

    def _event(self) -> Event:
        if self._sync_event is None:
            self._sync_event = Event()
            if self._synced or self._down:
                self._sync_event.set()
        return self._sync_event

    def _mark_synced(self) -> None:
        self._synced = True
        if self._sync_event is not None:
            self._sync_event.set()

    # --- running ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The supervisor actor's name (chosen at :meth:`start` unless given)."""
        return self._name or self._default_name()

    @property
    def running(self) -> bool:
        """Whether the informer was started and has not stopped or failed."""
        return self._supervisor is not None and not self._down

    def start(self) -> None:
        """Start the informer under its own supervisor (idempotent while it runs)."""
        if self.running:
            return
        runtime = current_runtime()
        name = self._name
        if not name:
            base = self._default_name()
            name, n = base, 1
            while runtime.actor(name) is not None:
                n += 1
                name = f"{base}-{n}"
            self._name = name
            self._reflector.name = name
        self._stopping = False
        self._down = False
        if self._sync_event is not None and self._sync_event.is_set() and not self._synced:
            self._sync_event = None  # set by an earlier stop: wait afresh
        self._event()
        self._incarnations = 0
        self._state = "running"
        spec = ChildSpec("reflector", lambda: _InformerActor(self), restart=Restart.PERMANENT)
        self._supervisor = spawn_actor(
            _InformerSupervisor(
                self, [spec], backoff=self._restart_backoff, intensity=self._intensity
            ),
            name,
        )

    async def stop(self) -> None:
        """Stop the informer and wait for it; the cache keeps what it holds."""
        supervisor = self._supervisor
        if supervisor is None:
            return
        self._stopping = True
        await supervisor.stop()
        self._state = "stopped"

    def _default_name(self) -> str:
        try:
            kind = REGISTRY.for_class(self.cls).plural
        except LookupError:
            kind = self.cls.__name__.lower()
        return f"informer-{kind}" + (f"-{self.namespace}" if self.namespace else "")

    async def _run(self) -> None:
        """One incarnation: deliver what a crash left undelivered, then list and watch."""
        self._drain()
        if self._listed and not self._synced:
            self._mark_synced()
        await self._reflector.run()

    def _crashed(self, error: BaseException) -> None:
        """The reflector task failed: its actor is about to crash."""
        self._crashes += 1
        self._crash_noted = True
        self._last_crash = f"{type(error).__name__}: {error}"
        self._state = "restarting"

    def _incarnation_started(self) -> None:
        self._incarnations += 1
        if self._incarnations > 1 and not self._crash_noted:
            # Restarted after a crash that did not come from the task (an injected one).
            self._crashes += 1
            self._last_crash = "the informer's actor crashed"
        self._crash_noted = False
        if not self._stopping:
            self._state = "running"

    def _supervisor_stopped(self, *, gave_up: bool) -> None:
        self._down = True
        if not gave_up:
            self._state = "stopped"
        else:
            self._state = "failed"
            _log.error(
                "informer failed: its supervisor gave up restarting it",
                informer=self.name,
                last_crash=self._last_crash,
                **current_runtime().event_fields(),
            )
        if self._sync_event is not None:
            self._sync_event.set()

    # --- health ----------------------------------------------------------------------------

    def health(self) -> InformerHealth:
        """How the informer is doing, now."""
        reflector = self._reflector
        state = self._state
        if state == "running":
            state = reflector.state
        last = reflector.last_event_time
        error = reflector.last_error
        return InformerHealth(
            name=self.name,
            kind=self.cls.__qualname__,
            state=state,
            synced=self._synced,
            objects=len(self._cache),
            resource_version=self._resource_version,
            last_event_time=last,
            lag=None if last is None else now() - last,
            relists=max(0, reflector.lists - 1),
            watch_restarts=max(0, reflector.watches - 1),
            failures=reflector.failures,
            errors=reflector.errors,
            crashes=self._crashes,
            events=reflector.events,
            last_error="" if error is None else f"{type(error).__name__}: {error}",
            last_crash=self._last_crash,
        )

    # --- the reflector's store -------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        """The resourceVersion the cache is up to date with (``""``: a list is needed)."""
        return self._resource_version

    def replace(self, items: Sequence[Any], resource_version: str) -> None:
        """A (re)list: cache ``items`` and notify what changed (adds, updates, and
        :class:`Tombstone` deletes for what is gone)."""
        self._resource_version = ""
        self._replay_until = None
        transform = self.transform
        new: dict[str, Any] = {}
        for raw in items:
            obj = raw if transform is None else transform(raw)
            meta = obj.metadata
            namespace = meta.namespace
            new[f"{namespace}/{meta.name}" if namespace else meta.name] = obj
        cache = self._cache
        initial = not self._listed
        handlers = tuple(self._handlers)
        notes: deque[_Note] = deque()
        if handlers:
            get = cache.get_by_key
            for key, obj in new.items():
                old = get(key)
                if old is None:
                    notes.append((_ADD, obj, initial, handlers))
                elif (
                    old is not obj
                    and old.metadata.resource_version != obj.metadata.resource_version  # type: ignore[attr-defined]
                ):
                    notes.append((_UPDATE, old, obj, handlers))
            cached_keys = cache.keys()
            for key in cached_keys:
                if key not in new:
                    notes.append((_DELETE, Tombstone(key, get(key)), None, handlers))
        cache.replace(new)
        self._pending.extend(notes)
        self._resource_version = resource_version
        listed = _version(resource_version)
        if listed is not None and new:
            newest = max((_version(o.metadata.resource_version) or 0) for o in new.values())
            if newest > listed:
                self._replay_until = newest
        self._listed = True
        self._drain()
        if not self._synced:
            self._mark_synced()

    def apply(self, events: builtins.list[WatchEvent[Any]], resource_version: str) -> None:
        """A batch of watch events: cache each and notify the handlers (the hot path: no
        awaits, no per-event allocation beyond the key)."""
        if self._replay_until is not None:
            self._apply_replayed(events, resource_version)
        else:
            self._apply(events, resource_version)

    def _apply(self, events: builtins.list[WatchEvent[Any]], resource_version: str) -> None:
        cache = self._cache
        upsert = cache.upsert
        delete = cache.delete
        # The default cache's dict, to update it in place when no index needs to follow (one
        # call less per event on the hottest path); any other cache goes through upsert().
        items: dict[str, Any] | None = None
        functions: dict[str, IndexFunc] = {}
        if type(cache) is IndexedCache:
            items, functions = cache._items, cache._functions
        transform = self.transform
        event: WatchEvent[Any] | None = None
        obj: Any = None
        old: Any = None
        regs: tuple[HandlerRegistration, ...] = ()
        reg: HandlerRegistration | None = None
        applied = False
        try:
            for event in events:
                obj = event[1]
                if obj is None:  # a bookmark
                    continue
                applied = False
                if transform is not None:
                    obj = transform(obj)
                meta = obj.metadata
                namespace = meta.namespace
                key = f"{namespace}/{meta.name}" if namespace else meta.name
                if event[0] == "DELETED":
                    old = delete(key)
                    applied = True
                    if old is not None:
                        regs = self._delete_regs
                        for reg in regs:
                            reg.on_delete(obj)  # type: ignore[misc]
                else:
                    if items is None or functions:
                        old = upsert(key, obj)
                    else:
                        old = items.get(key)
                        if old is None:
                            upsert(key, obj)
                        else:
                            items[key] = obj
                    applied = True
                    if old is None:
                        regs = self._add_regs
                        for reg in regs:
                            reg.on_add(obj, False)  # type: ignore[misc]
                    else:
                        regs = self._update_regs
                        for reg in regs:
                            reg.on_update(old, obj)  # type: ignore[misc]
        except Exception:
            assert event is not None
            self._failed_in_batch(events, event, applied, obj, old, regs, reg)
            raise
        self._resource_version = resource_version

    def _failed_in_batch(
        self,
        events: builtins.list[WatchEvent[Any]],
        event: WatchEvent[Any],
        applied: bool,
        obj: Any,
        old: Any,
        regs: tuple[HandlerRegistration, ...],
        reg: HandlerRegistration | None,
    ) -> None:
        """Note where a batch stopped, so the restarted informer carries on from there."""
        if applied:
            # A handler raised: the cache has the change; the handlers after it still need it.
            assert reg is not None
            rest = regs[regs.index(reg) + 1 :]
            if event[0] == "DELETED":
                note: _Note = (_DELETE, obj, None, rest)
            elif old is None:
                note = (_ADD, obj, False, rest)
            else:
                note = (_UPDATE, old, obj, rest)
            if rest:
                self._pending.append(note)
            self._resource_version = event[2]
            return
        # The transform or the cache raised: resume before this event.
        for index, other in enumerate(events):
            if other is event:
                if index:
                    self._resource_version = events[index - 1][2]
                break

    def _apply_replayed(
        self, events: builtins.list[WatchEvent[Any]], resource_version: str
    ) -> None:
        """:meth:`apply` while the watch replays changes a paged list already showed: skip
        the events older than what is cached, so no change is delivered twice."""
        replay_until = self._replay_until
        assert replay_until is not None
        get = self._cache.get_by_key
        for index, event in enumerate(events):
            obj = event[1]
            if obj is None:
                continue
            version = _version(event[2])
            if version is None or version > replay_until:
                self._replay_until = None
                self._apply(events[index:], resource_version)
                return
            meta = obj.metadata
            cached = get(namespace_key(meta.namespace, meta.name))
            if cached is None:
                stale = event[0] == "DELETED"
            else:
                have = _version(cached.metadata.resource_version) or 0  # type: ignore[attr-defined]
                stale = have > version or (have == version and event[0] != "DELETED")
            if not stale:
                self._apply([event], event[2])
            self._resource_version = event[2]
        self._resource_version = resource_version

    def resync(self) -> None:
        """Deliver ``on_update(obj, obj)`` for every cached object (a handler that raises
        crashes the informer; the interrupted resync is not resumed, the next one comes)."""
        regs = self._update_regs
        if not regs:
            return
        for obj in self._cache.list():
            for reg in regs:
                reg.on_update(obj, obj)  # type: ignore[misc]

    def _drain(self) -> None:
        """Deliver the pending notifications (after a (re)list, or left by a crash)."""
        pending = self._pending
        while pending:
            kind, a, b, regs = pending[0]
            done = 0
            try:
                for reg in regs:
                    done += 1
                    if not reg.active:
                        continue
                    if kind == _ADD:
                        if reg.on_add is not None:
                            reg.on_add(a, b)
                    elif kind == _UPDATE:
                        if reg.on_update is not None:
                            reg.on_update(a, b)
                    elif reg.on_delete is not None:
                        reg.on_delete(a)
            except Exception:
                rest = regs[done:]
                if rest:
                    pending[0] = (kind, a, b, rest)
                else:
                    pending.popleft()
                raise
            pending.popleft()

    def __repr__(self) -> str:
        return f"<Informer {self.name} {self._state}>"


def _version(value: str) -> int | None:
    """A resourceVersion as a number, if it is one (they are opaque strings upstream)."""
    try:
        return int(value)
    except ValueError:
        return None


def _make_cache(cache: Any) -> Cache[Any]:
    if cache is None:
        cache = "indexed"
    if isinstance(cache, str):
        return CACHES.get(cache)()
    if callable(cache):
        made: Cache[Any] = cache()
        return made
    return cache  # type: ignore[no-any-return]


# --- the actors ---------------------------------------------------------------------------


@attrs.frozen
class _TaskFailed:
    """The reflector task of an informer failed (its actor crashes with the error)."""

    error: BaseException


class _InformerActor(Actor[_TaskFailed]):
    """Runs one incarnation of an informer in a task; crashes when the task fails."""

    def __init__(self, informer: Informer[Any]) -> None:
        self._informer = informer
        self._task: TaskHandle | None = None

    async def on_start(self) -> None:
        informer = self._informer
        informer._incarnation_started()
        task = spawn(informer._run(), f"{self.name}.run")
        self._task = task
        ref = self.ref

        def finished(done: Any) -> None:
            error = done.exception
            if error is not None and not done.cancelled:
                informer._crashed(error)
                ref.send_nowait(_TaskFailed(error))

        task.add_done_callback(finished)

    @handles(_TaskFailed)
    def _on_task_failed(self, message: _TaskFailed) -> None:
        raise message.error

    async def on_stop(self) -> None:
        task = self._task
        if task is None or task.done:
            return
        task.cancel()
        finished = Event()
        task.add_done_callback(lambda _task: finished.set())
        await finished.wait()


class _InformerSupervisor(Supervisor):
    """An informer's supervisor: tells the informer when it gives up, and when it stops."""

    def __init__(self, informer: Informer[Any], children: Sequence[ChildSpec], **kw: Any) -> None:
        super().__init__(children, **kw)
        self._informer = informer
        self._gave_up = False

    def receive(self, message: Any) -> Any:
        result = super().receive(message)
        if isinstance(message, ChildExited) and inspect.iscoroutine(result):
            return self._noting_escalation(result)
        return result

    async def _noting_escalation(self, handling: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await handling
        except RestartIntensityExceeded:
            self._gave_up = True
            raise

    async def on_stop(self) -> None:
        self._informer._supervisor_stopped(gave_up=self._gave_up)
