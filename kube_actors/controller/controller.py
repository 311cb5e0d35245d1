"""The controller: informer events -> a rate-limited workqueue of :class:`Request` -> workers
calling a :class:`Reconciler` (controller-runtime's ``controller`` package).

- Watches map informer events to requests: the primary kind to its own namespace/name
  (:func:`enqueue_for_object`), owned kinds to their controller owner
  (:func:`enqueue_for_owner`), anything else through a mapper function. Predicates filter
  events first. Adds of an informer's initial list go in at
  :data:`~kube_actors.workqueue.LOW_PRIORITY`, so live events are served first.
- ``max_concurrent_reconciles`` workers take requests from the queue; the queue never hands
  one request to two workers at once.
- After a reconcile: an exception => ``add_rate_limited`` (retry with backoff); success =>
  ``forget``; ``requeue_after > 0`` => ``forget`` + ``add_after``; ``requeue=True`` =>
  ``add_rate_limited``; :class:`TerminalError` => ``forget``, no retry, counted as an error.

Controllers are usually made by a :class:`~kube_actors.controller.ControllerBuilder` and run
by a :class:`~kube_actors.controller.Manager`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import structlog

from kube_actors.api import REGISTRY
from kube_actors.controller.metrics import ControllerMetrics
from kube_actors.controller.predicates import Predicate
from kube_actors.controller.reconcile import (
    ReconcileFunc,
    Reconciler,
    Request,
    Result,
    TerminalError,
)
from kube_actors.informers import HandlerRegistration, Informer, deleted_object
from kube_actors.runtime import (
    Event,
    TaskHandle,
    fail_after,
    move_on_after,
    now,
    spawn,
)
from kube_actors.workqueue import (
    DEFAULT_PRIORITY,
    LOW_PRIORITY,
    MetricsProvider,
    RateLimiter,
    RateLimitingQueue,
    ShutDown,
    default_controller_rate_limiter,
)

__all__ = [
    "Controller",
    "Mapper",
    "Watch",
    "enqueue_for_object",
    "enqueue_for_owner",
]

_log = structlog.get_logger("kube_actors.controller")

#: Maps an object of a watched kind to the requests it should enqueue.
Mapper = Callable[[Any], Iterable[Request]]

#: controller-runtime's default for how long a stopping controller waits for its workers.
DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT = 30.0


def enqueue_for_object(obj: Any) -> Iterable[Request]:
    """The object's own request (the mapper of the primary kind)."""
    return (Request(obj.metadata.namespace, obj.metadata.name),)


def enqueue_for_owner(owner_kind: type[Any]) -> Mapper:
    """A mapper to the controller owner of an object, if it is of ``owner_kind``: the owner
    reference with ``controller=true`` whose kind and API group match (the version may
    differ, as upstream). The owner is in the object's namespace (owners are never in
    another namespace)."""
    info = REGISTRY.for_class(owner_kind)
    group, kind = info.group, info.kind

    def owner(obj: Any) -> Iterable[Request]:
        for ref in obj.metadata.owner_references:
            if not ref.controller:
                continue
            ref_group = ref.api_version.rpartition("/")[0]
            if ref.kind == kind and ref_group == group:
                return (Request(obj.metadata.namespace, ref.name),)
            return ()  # one controller at most, and it is of another kind
        return ()

    return owner


@attrs.frozen
class Watch:
    """One event source of a controller: an informer, a mapper and predicates.

    ``map_old``: on an update, map the old object too (for owner and custom mappers, so the
    previous owner hears of an object that changed hands).
    """

    informer: Informer[Any]
    mapper: Mapper
    predicates: tuple[Predicate, ...] = ()
    map_old: bool = False


class _EnqueueHandler:
    """An informer handler that puts the mapped requests of accepted events on the queue."""

    __slots__ = ("_controller", "_watch")

    def __init__(self, controller: Controller, watch: Watch) -> None:
        self._controller = controller
        self._watch = watch

    def _predicates(self) -> Iterable[Predicate]:
        yield from self._controller.event_filters
        yield from self._watch.predicates

    def on_add(self, obj: Any, in_initial_list: bool) -> None:
        if all(p.create(obj) for p in self._predicates()):
            priority = LOW_PRIORITY if in_initial_list else DEFAULT_PRIORITY
            self._enqueue(self._watch.mapper(obj), priority)

    def on_update(self, old: Any, new: Any) -> None:
        if not all(p.update(old, new) for p in self._predicates()):
            return
        requests = list(self._watch.mapper(new))
        if self._watch.map_old and old is not new:
            requests.extend(r for r in self._watch.mapper(old) if r not in requests)
        # A resync (the same version) is not news: serve live events first, as upstream.
        unchanged = old.metadata.resource_version == new.metadata.resource_version
        self._enqueue(requests, LOW_PRIORITY if unchanged else DEFAULT_PRIORITY)

    def on_delete(self, obj: Any) -> None:
        gone = deleted_object(obj)
        if all(p.delete(gone) for p in self._predicates()):
            self._enqueue(self._watch.mapper(gone), DEFAULT_PRIORITY)

    def _enqueue(self, requests: Iterable[Request], priority: int) -> None:
        queue = self._controller.queue
        if queue is None:
            return
        for request in requests:
            queue.add(request, priority=priority)


class _FuncReconciler:
    """A :class:`Reconciler` made of a coroutine function."""

    __slots__ = ("_func",)

    def __init__(self, func: ReconcileFunc) -> None:
        self._func = func

    async def reconcile(self, request: Request) -> Result:
        return await self._func(request)


def as_reconciler(reconciler: Reconciler | ReconcileFunc) -> Reconciler:
    """``reconciler`` itself, or a coroutine function wrapped as one."""
    if hasattr(reconciler, "reconcile"):
        return reconciler
    return _FuncReconciler(reconciler)


class Controller:
    """Reconciles the requests its watches enqueue with ``max_concurrent_reconciles`` workers.

    :meth:`run` registers the watches' handlers, waits for their informers to sync, starts
    the workers and runs until :meth:`stop` (graceful: the queue is shut down and drained,
    in-flight reconciles finish, within ``graceful_shutdown_timeout``) or until cancelled
    (the workers are cancelled at once: leadership was lost). A controller can be run again
    after it stopped (a manager that wins leadership back does so); each run gets a fresh
    queue.
    """

    def __init__(
        self,
        name: str,
        reconciler: Reconciler | ReconcileFunc,
        *,
        max_concurrent_reconciles: int = 1,
        reconcile_timeout: float | None = None,
        rate_limiter: Callable[[], RateLimiter[Request]] | None = None,
        metrics: ControllerMetrics | None = None,
        workqueue_metrics: MetricsProvider | None = None,
        graceful_shutdown_timeout: float = DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
    ) -> None:
        if not name:
            raise ValueError("a controller needs a name")
        if max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        #: Names the controller in logs, metrics (``controller`` label) and its queue.
        self.name = name
        self.reconciler = as_reconciler(reconciler)
        self.max_concurrent_reconciles = max_concurrent_reconciles
        self.reconcile_timeout = reconcile_timeout
        self.graceful_shutdown_timeout = graceful_shutdown_timeout
        self._rate_limiter = rate_limiter or default_controller_rate_limiter
        self._metrics = metrics
        self._workqueue_metrics = workqueue_metrics
        #: The watches, in the order added.
        self.watches: list[Watch] = []
        #: Predicates applied to the events of every watch.
        self.event_filters: list[Predicate] = []
        #: The queue of the current run (None before the first run).
        self.queue: RateLimitingQueue[Request] | None = None
        self._stop_event: Event | None = None
        self._idle: Event | None = None
        self._running = False
        self._active = 0
        if metrics is not None:
            metrics.init_controller(name, max_concurrent_reconciles)

    def watch(
        self,
        informer: Informer[Any],
        mapper: Mapper = enqueue_for_object,
        *,
        predicates: Sequence[Predicate] = (),
        map_old: bool = False,
    ) -> Watch:
        """Enqueue ``mapper(obj)`` for the events of ``informer`` that ``predicates`` accept.

        Watches added while the controller runs take effect at its next run.
        """
        watch = Watch(informer, mapper, tuple(predicates), map_old)
        self.watches.append(watch)
        return watch

    @property
    def running(self) -> bool:
        """Whether :meth:`run` is in progress."""
        return self._running

    def stop(self) -> None:
        """Ask :meth:`run` to finish gracefully (before a run: the next run returns at once)."""
        if self._stop_event is None:
            self._stop_event = Event()
        self._stop_event.set()

    async def wait_stopped(self) -> None:
        """Wait until the current run (if any) has finished."""
        if self._idle is not None:
            await self._idle.wait()

    async def run(self) -> None:
        """Run until :meth:`stop` or cancellation (see the class docstring)."""
        if self._running:
            raise RuntimeError(f"controller {self.name!r} is already running")
        self._running = True
        if self._stop_event is None:
            self._stop_event = Event()
        stop_event = self._stop_event
        idle = self._idle = Event()
        queue: RateLimitingQueue[Request] = RateLimitingQueue(
            self._rate_limiter(), name=self.name, metrics=self._workqueue_metrics
        )
        self.queue = queue
        registrations: list[HandlerRegistration] = []
        workers: list[TaskHandle] = []
        graceful = False
        try:
            for watch in self.watches:
                registrations.append(watch.informer.add_handler(_EnqueueHandler(self, watch)))
            for watch in self.watches:
                if not await watch.informer.wait_for_sync():
                    raise RuntimeError(
                        f"controller {self.name!r}: informer {watch.informer.name} "
                        "stopped before it synced"
                    )
            _log.info(
                "starting workers", controller=self.name, workers=self.max_concurrent_reconciles
            )
            workers = [
                spawn(self._worker(queue), f"{self.name} worker {i}")
                for i in range(self.max_concurrent_reconciles)
            ]
            await stop_event.wait()
            graceful = True
        finally:
            for registration in registrations:
                registration.remove()
            if graceful:
                # Stop accepting, let the workers finish what is queued and in flight.
                with move_on_after(self.graceful_shutdown_timeout, shield=True):
                    await queue.shut_down_with_drain()
                    for worker in workers:
                        await worker.join()
            queue.shut_down()
            for worker in workers:
                worker.cancel()
            self._stop_event = None
            self._running = False
            idle.set()
            _log.debug("stopped workers", controller=self.name, graceful=graceful)

    async def _worker(self, queue: RateLimitingQueue[Request]) -> None:
        while True:
            try:
                request = await queue.get()
            except ShutDown:
                return
            try:
                await self.reconcile_handler(queue, request)
            finally:
                queue.done(request)

    async def reconcile_handler(self, queue: RateLimitingQueue[Request], request: Request) -> None:
        """Reconcile ``request`` once and requeue it as the outcome says."""
        metrics = self._metrics
        name = self.name
        started = now()
        self._active += 1
        if metrics is not None:
            metrics.active_workers.labels(name).set(self._active)
        try:
            result = await self._call(request)
        except TerminalError as error:
            queue.forget(request)
            outcome = "error"
            if metrics is not None:
                metrics.reconcile_errors.labels(name).inc()
                metrics.terminal_errors.labels(name).inc()
            _log.error(
                "terminal reconcile error", controller=name, request=str(request), error=str(error)
            )
        except Exception as error:
            queue.add_rate_limited(request)
            outcome = "error"
            if metrics is not None:
                metrics.reconcile_errors.labels(name).inc()
            _log.warning(
                "reconcile error",
                controller=name,
                request=str(request),
                error=repr(error),
                retries=queue.num_requeues(request),
            )
        else:
            if result.requeue_after > 0:
                queue.forget(request)
                queue.add_after(request, result.requeue_after)
                outcome = "requeue_after"
            elif result.requeue:
                queue.add_rate_limited(request)
                outcome = "requeue"
            else:
                queue.forget(request)
                outcome = "success"
        finally:
            self._active -= 1
            if metrics is not None:
                metrics.active_workers.labels(name).set(self._active)
                metrics.reconcile_time.labels(name).observe(now() - started)
        if metrics is not None:
            metrics.reconcile_total.labels(name, outcome).inc()

    async def _call(self, request: Request) -> Result:
        if self.reconcile_timeout is None:
            return await self.reconciler.reconcile(request)
        with fail_after(self.reconcile_timeout):
            return await self.reconciler.reconcile(request)
        raise AssertionError("unreachable")  # pragma: no cover  (fail_after raises)

    def __repr__(self) -> str:
        return f"<Controller {self.name} running={self._running}>"
