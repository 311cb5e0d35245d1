"""The manager: shared informers, controllers, leader election, event recorders and metrics
for one process (controller-runtime's ``manager``).

``await manager.run()`` (or :meth:`Manager.start` and later :meth:`Manager.stop`):

1. starts the shared informers and the event recorders, and waits for the caches to sync;
2. runs every controller — at once, or, with ``leader_election``, only while this manager
   holds the Lease (when leadership is lost the controllers stop at once and the manager
   campaigns again);
3. on :meth:`Manager.stop`, shuts down gracefully: controllers stop accepting events and
   drain their queues (in-flight reconciles finish), the Lease is released so another
   replica takes over at once, informers stop, queued events are written.

Each manager has its own ``prometheus_client`` registry (or the one given), holding the
controllers' reconcile metrics and their queues' workqueue metrics, so two managers in one
process never collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import structlog
from prometheus_client import CollectorRegistry

from kube_actors.client import Client
from kube_actors.controller.controller import Controller
from kube_actors.controller.events import EventRecorder
from kube_actors.controller.leaderelection import LeaderElectionConfig, LeaderElector
from kube_actors.controller.metrics import ControllerMetrics
from kube_actors.informers import Informer, SharedInformerFactory
from kube_actors.runtime import Event, TaskHandle, move_on_after, spawn
from kube_actors.workqueue import PrometheusMetricsProvider

__all__ = ["Manager"]

T = TypeVar("T")

_log = structlog.get_logger("kube_actors.manager")

#: How long :meth:`Manager.run` waits for the caches to sync before giving up (upstream: 2 min).
DEFAULT_CACHE_SYNC_TIMEOUT = 120.0


class Manager:
    """Runs controllers on shared informers (see the module docstring)."""

    def __init__(
        self,
        client: Client,
        *,
        leader_election: LeaderElectionConfig | None = None,
        registry: CollectorRegistry | None = None,
        informers: SharedInformerFactory | None = None,
        cache_sync_timeout: float = DEFAULT_CACHE_SYNC_TIMEOUT,
    ) -> None:
        #: The client controllers write through.
        self.client = client
        #: The shared informers controllers read from.
        self.informers = informers if informers is not None else SharedInformerFactory(client)
        self.leader_election = leader_election
        #: The registry of this manager's metrics.
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = ControllerMetrics(self.registry)
        self.workqueue_metrics = PrometheusMetricsProvider(self.registry)
        self.cache_sync_timeout = cache_sync_timeout
        self._controllers: list[Controller] = []
        self._recorders: dict[str, EventRecorder] = {}
        self._recorder_tasks: list[TaskHandle] = []
        self._elector: LeaderElector | None = None
        self._leading = False
        self._started = False
        self._stop_event: Event | None = None
        self._done: Event | None = None
        self._task: TaskHandle | None = None
        self._elected: Event | None = None

    # --- wiring -----------------------------------------------------------------------------

    def informer(self, cls: type[T], namespace: str = "") -> Informer[T]:
        """The shared informer of ``cls`` (read a controller's cache through it)."""
        return self.informers.informer(cls, namespace)

    def event_recorder(self, name: str) -> EventRecorder:
        """The event recorder for component ``name`` (one per name, written while running)."""
        recorder = self._recorders.get(name)
        if recorder is None:
            recorder = self._recorders[name] = EventRecorder(self.client, name)
            if self._started:
                self._recorder_tasks.append(spawn(recorder.run(), f"events {name}"))
        return recorder

    def add(self, controller: Controller) -> None:
        """Add a controller (before :meth:`run`; names must be unique)."""
        if self._started:
            raise RuntimeError("add controllers before the manager starts")
        if any(c.name == controller.name for c in self._controllers):
            raise ValueError(f"a controller named {controller.name!r} was added already")
        self._controllers.append(controller)

    @property
    def controllers(self) -> Sequence[Controller]:
        """The controllers, in the order added."""
        return tuple(self._controllers)

    @property
    def is_leader(self) -> bool:
        """Whether the controllers are running (always, once started, without election)."""
        return self._leading

    async def wait_elected(self) -> None:
        """Wait until this manager leads (at once without leader election, once started)."""
        if self._elected is None:
            self._elected = Event()
            if self._leading:
                self._elected.set()
        await self._elected.wait()

    # --- running ----------------------------------------------------------------------------

    def start(self) -> TaskHandle:
        """Run the manager as a task (stop it with :meth:`stop`)."""
        if self._task is not None and not self._task.done:
            raise RuntimeError("the manager is running")
        self._task = spawn(self.run(), "manager")
        return self._task

    async def stop(self) -> None:
        """Shut down gracefully and wait until done (no-op if not running)."""
        if self._stop_event is None or self._done is None:
            return
        self._stop_event.set()
        await self._done.wait()

    async def run(self) -> None:
        """Run until :meth:`stop` (see the module docstring)."""
        if self._started:
            raise RuntimeError("the manager is running")
        self._started = True
        stop_event = self._stop_event = Event()
        done = self._done = Event()
        main: TaskHandle | None = None
        try:
            for name, recorder in self._recorders.items():
                self._recorder_tasks.append(spawn(recorder.run(), f"events {name}"))
            self.informers.start()
            if not await self.informers.wait_for_cache_sync(self.cache_sync_timeout):
                raise RuntimeError("timed out waiting for the informers' caches to sync")
            if self.leader_election is None:
                main = spawn(self._lead(), "manager controllers")
            else:
                main = spawn(self._campaign(self.leader_election), "manager campaign")
            await stop_event.wait()
        finally:
            with move_on_after(self._grace(), shield=True):
                await self._shut_down(main)
            self._started = False
            self._stop_event = None
            done.set()

    def _grace(self) -> float:
        # Room for the controllers' drains, the lease release and the informers' stop.
        longest = max((c.graceful_shutdown_timeout for c in self._controllers), default=0.0)
        return longest + 30.0

    async def _campaign(self, config: LeaderElectionConfig) -> None:
        """Campaign for the lease, lead, and campaign again when leadership is lost."""
        while self._stop_event is not None and not self._stop_event.is_set():
            self._elector = LeaderElector(self.client, config, on_started_leading=self._lead)
            await self._elector.run()
            if self._stop_event is not None and not self._stop_event.is_set():
                _log.warning("leadership lost: campaigning again", identity=self._elector.identity)

    async def _lead(self) -> None:
        """Run every controller until they all stop (cancelled: leadership was lost)."""
        self._leading = True
        if self._elected is not None:
            self._elected.set()
        tasks = [spawn(c.run(), f"controller {c.name}") for c in self._controllers]
        try:
            for task in tasks:
                await task.join()
        finally:
            self._leading = False
            self._elected = None
            for task in tasks:
                task.cancel()

    async def _shut_down(self, main: TaskHandle | None) -> None:
        # 1. Controllers drain gracefully, while the lease is still held.
        for controller in self._controllers:
            controller.stop()
        for controller in self._controllers:
            await controller.wait_stopped()
        # 2. Stop campaigning; the elector gives the lease up so another replica takes over.
        if self._elector is not None:
            self._elector.stop()
        if main is not None:
            try:
                await main.join()
            except Exception as error:  # it failed earlier: log it, shut down all the same
                _log.error("manager task failed", error=repr(error))
        self._elector = None
        # 3. Informers stop; events still queued are written.
        await self.informers.shutdown()
        for recorder in self._recorders.values():
            await recorder.flush()
        for task in self._recorder_tasks:
            task.cancel()
        self._recorder_tasks.clear()
