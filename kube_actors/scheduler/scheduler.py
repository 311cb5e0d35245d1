"""The scheduler component: kube-scheduler as a task of the runtime.

Shared informers feed pods and nodes into the :class:`~kube_actors.scheduler.cache.SchedulerCache`
and pending pods into the :class:`~kube_actors.scheduler.queue.SchedulingQueue`; one loop pops
a pod, runs the scheduling cycle of its profile (:class:`~kube_actors.scheduler.cycle.Framework`),
assumes it on the chosen node, runs Reserve and Permit, and hands the binding cycle (wait for
Permit, PreBind, Bind, PostBind) to a pool of binder tasks (a pod a Permit plugin holds gets a
task of its own), so the next pod is scheduled while the binding is written. A failed cycle
records a ``FailedScheduling`` Event and the ``PodScheduled=False`` condition with upstream's
message, and requeues the pod; a preemption proposal nominates the node and deletes the victims.

>>> from kube_actors.api import Node, NodeStatus, ObjectMeta, Pod, PodSpec, Container
>>> from kube_actors.api import parse_quantity
>>> from kube_actors.client import LocalClient
>>> from kube_actors.runtime import simulate
>>> from kube_actors.store import APIServer
>>> async def main() -> str:
...     client = LocalClient(await APIServer.start())
...     alloc = {"cpu": parse_quantity("4"), "memory": parse_quantity("8Gi"),
...              "pods": parse_quantity("110")}
...     await client.create(Node(metadata=ObjectMeta(name="n1"),
...                              status=NodeStatus(allocatable=alloc, capacity=alloc)))
...     scheduler = Scheduler(client)
...     scheduler.start()
...     await client.create(Pod(metadata=ObjectMeta(name="web"),
...                             spec=PodSpec(containers=[Container(name="c", image="nginx")])),
...                         namespace="default")
...     await scheduler.wait_idle()
...     await scheduler.stop()
...     return (await client.get(Pod, "web", namespace="default")).spec.node_name
>>> simulate(main, seed=1).value
'n1'
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs
import structlog

from kube_actors.api import (
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
    PodCondition,
    PodStatus,
    replace,
)
from kube_actors.client import Client
from kube_actors.controller import EventRecorder
from kube_actors.informers import SharedInformerFactory, deleted_object
from kube_actors.runtime import (
    Channel,
    ChannelClosed,
    Event,
    TaskHandle,
    checkpoint,
    current_runtime,
    move_on_after,
    now,
    sleep,
    spawn,
    wall_time_seconds,
)
from kube_actors.scheduler.cache import SchedulerCache
from kube_actors.scheduler.cycle import Framework, ScheduleResult
from kube_actors.scheduler.framework import (
    Code,
    CycleState,
    EnqueueExtensions,
    ReservePlugin,
    Status,
)
from kube_actors.scheduler.nominator import Nominator
from kube_actors.scheduler.profile import DEFAULT_SCHEDULER_NAME, Profile, default_profile
from kube_actors.scheduler.queue import ClusterEvent, QueueClosed, QueuedPodInfo, SchedulingQueue
from kube_actors.store import APIError, Conflict, NotFound

__all__ = [
    "DEFAULT_PLUGIN_EVENTS",
    "Scheduler",
    "SchedulerStats",
    "WaitingPod",
]

_log = structlog.get_logger(__name__)

#: Binder tasks: binding cycles run concurrently up to this many at a time (Permit waits aside).
BIND_WORKERS = 16

_POD_CHANGES = (
    ClusterEvent.ASSIGNED_POD_ADD,
    ClusterEvent.ASSIGNED_POD_UPDATE,
    ClusterEvent.ASSIGNED_POD_DELETE,
)
_NODE_CHANGES = (ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE)

#: The cluster events that can make a pod rejected by each in-tree plugin schedulable
#: (upstream ``EventsToRegister``, without the finer action types). A plugin implementing
#: :class:`~kube_actors.scheduler.framework.EnqueueExtensions` overrides its entry.
DEFAULT_PLUGIN_EVENTS: Mapping[str, frozenset[str]] = {
    "NodeUnschedulable": frozenset(_NODE_CHANGES),
    "NodeName": frozenset({ClusterEvent.NODE_ADD}),
    "TaintToleration": frozenset(_NODE_CHANGES),
    "NodeAffinity": frozenset(_NODE_CHANGES),
    "NodePorts": frozenset({ClusterEvent.NODE_ADD, ClusterEvent.ASSIGNED_POD_DELETE}),
    "NodeResourcesFit": frozenset(
        {*_NODE_CHANGES, ClusterEvent.ASSIGNED_POD_DELETE, ClusterEvent.ASSIGNED_POD_UPDATE}
    ),
    "PodTopologySpread": frozenset({*_NODE_CHANGES, ClusterEvent.NODE_DELETE, *_POD_CHANGES}),
    "InterPodAffinity": frozenset({*_NODE_CHANGES, *_POD_CHANGES}),
    "SchedulingGates": frozenset({ClusterEvent.UNSCHEDULED_POD_UPDATE}),
}


@attrs.define
class SchedulerStats:
    """Counters of what the scheduler did (upstream's ``schedule_attempts_total`` by result)."""

    attempts: int = 0
    scheduled: int = 0
    unschedulable: int = 0
    errors: int = 0
    preemptions: int = 0
    bind_failures: int = 0
    #: Per scheduled pod: seconds (runtime clock) from entering the queue to a written binding.
    latencies: list[float] = attrs.field(factory=list)


class WaitingPod:
    """A pod held by Permit plugins that answered ``WAIT``; :meth:`allow` or :meth:`reject` it."""

    def __init__(self, pod: Pod, pending: Collection[str]) -> None:
        self.pod = pod
        self.pending = set(pending)
        self.rejection: Status | None = None
        self._done = Event()

    def allow(self, plugin: str) -> None:
        """``plugin`` allows the pod; it binds once every waiting plugin has allowed it."""
        self.pending.discard(plugin)
        if not self.pending:
            self._done.set()

    def reject(self, plugin: str, message: str) -> None:
        """Reject the pod: its binding cycle fails and it is requeued."""
        self.rejection = Status.unschedulable(message, plugin=plugin)
        self._done.set()

    async def wait(self, timeout: float) -> Status:
        """Until allowed, rejected or ``timeout`` seconds pass (then rejected)."""
        with move_on_after(timeout):
            await self._done.wait()
        if self.rejection is not None:
            return self.rejection
        if self.pending:
            plugin = sorted(self.pending)[0]
            return Status.unschedulable(
                f"rejected due to timeout after waiting {timeout}s", plugin=plugin
            )
        return Status.success()


@attrs.frozen
class _Binding:
    framework: Framework
    info: QueuedPodInfo
    pod: Pod
    node: str
    state: CycleState
    waiting: WaitingPod | None
    permit_timeout: float


class Scheduler:
    """kube-scheduler over a :class:`~kube_actors.client.Client` (see the module docstring).

    ``profiles``: the profiles by ``schedulerName`` (default: upstream's default profile as
    ``default-scheduler``); pods naming another scheduler are left alone. ``informers``: a
    shared factory to take pods and nodes from (default: a new one over ``client``).
    ``rng``: the tie-break and preemption random source (default: the runtime's, seeded).
    """

    def __init__(
        self,
        client: Client,
        *,
        profiles: Mapping[str, Profile] | Sequence[Profile] | None = None,
        informers: SharedInformerFactory | None = None,
        percentage_of_nodes_to_score: int | None = None,
        rng: random.Random | None = None,
        record_events: bool = True,
        plugin_events: Mapping[str, Collection[str]] | None = None,
        initial_backoff: float = 1.0,
        max_backoff: float = 10.0,
    ) -> None:
        self.client = client
        if profiles is None:
            profiles = [default_profile()]
        if not isinstance(profiles, Mapping):
            profiles = {p.scheduler_name: p for p in profiles}
        self.profiles: Mapping[str, Profile] = dict(profiles)
        self.informers = informers if informers is not None else SharedInformerFactory(client)
        self.cache = SchedulerCache()
        #: The pods nominated to nodes by preemption, holding room there.
        self.nominator = Nominator()
        self.stats = SchedulerStats()
        self._rng = rng if rng is not None else current_runtime().rng
        self._frameworks = {
            name: Framework(
                profile,
                self.cache,
                self._rng,
                percentage_of_nodes_to_score=percentage_of_nodes_to_score,
                nominator=self.nominator,
            )
            for name, profile in self.profiles.items()
        }
        first = next(iter(self.profiles.values()))
        events: dict[str, Collection[str]] = dict(DEFAULT_PLUGIN_EVENTS)
        for profile in self.profiles.values():
            for plugin in profile.plugins.values():
                if isinstance(plugin, EnqueueExtensions):
                    events[plugin.name] = plugin.events_to_register()
        events.update(plugin_events or {})
        self.queue = SchedulingQueue.for_profile(
            first,
            plugin_events=events,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
        )
        self.recorder = EventRecorder(client, DEFAULT_SCHEDULER_NAME) if record_events else None
        self._waiting: dict[str, WaitingPod] = {}
        self._bindings_in_flight = 0
        self._idle = Event()
        self._main: TaskHandle | None = None
        self._tasks: list[TaskHandle] = []
        self._binds: Channel[_Binding] | None = None
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> TaskHandle:
        """Run :meth:`run` as a task of the runtime."""
        self._main = spawn(self.run(), name="scheduler")
        return self._main

    async def stop(self) -> None:
        """Stop scheduling, let bindings in flight finish, stop the informers it started."""
        self.queue.close()
        if self._main is not None:
            await self._main.join()
            self._main = None

    async def run(self) -> None:
        """Sync the informers, then schedule until :meth:`stop`."""
        self._register_handlers()
        self.informers.start()
        if self.recorder is not None:
            self._tasks.append(spawn(self.recorder.run(), name="scheduler events"))
        # Binding cycles go to a pool of long-lived tasks: a task per pod costs more than the
        # binding itself, and a pool of BIND_WORKERS still lets one slow bind not hold the rest.
        self._binds = Channel(1_000_000, name="scheduler bindings")
        for k in range(BIND_WORKERS):
            self._tasks.append(spawn(self._binder(self._binds), name=f"scheduler binder {k}"))
        await self.informers.wait_for_cache_sync()
        self._started = True
        try:
            while True:
                try:
                    info = await self.queue.pop()
                except QueueClosed:
                    break
                self.schedule_one(info)
                # Let bindings, informers and watchers run between cycles.
                await checkpoint()
        finally:
            while self._bindings_in_flight:
                await sleep(0.001)
            if self.recorder is not None:
                await self.recorder.flush()
            for task in self._tasks:
                task.cancel()
            self._tasks.clear()

    async def wait_idle(self, settle: float = 0.0) -> None:
        """Until the informers have synced, nothing is in activeQ and no binding is in flight.

        Pods waiting out a backoff or in unschedulablePods do not count.
        """
        while True:
            counts = self.queue.counts()
            if (
                self._started
                and counts.active == 0
                and counts.in_flight == 0
                and self._bindings_in_flight == 0
            ):
                if settle <= 0:
                    return
                await sleep(settle)
                settle = 0
                continue
            await sleep(0.001)

    def waiting_pod(self, key: str) -> WaitingPod | None:
        """The pod (by queue key: UID) Permit plugins are holding, if any."""
        return self._waiting.get(key)

    # --- the scheduling cycle ------------------------------------------------------------

    def schedule_one(self, info: QueuedPodInfo) -> None:
        """One scheduling cycle for a popped pod (synchronous up to the binding cycle)."""
        pod = info.pod
        framework = self._frameworks.get(pod.spec.scheduler_name or DEFAULT_SCHEDULER_NAME)
        if framework is None or pod.metadata.deletion_timestamp is not None:
            self.queue.done(info.key)
            return
        if self.cache.pod(pod) is not None:
            # Assumed or already bound: an informer event raced the queue.
            self.queue.done(info.key)
            return
        self.stats.attempts += 1
        result = framework.schedule(pod)
        if result.node is None:
            self._failed(info, result)
            return
        node = result.node
        assumed = replace(pod, spec=replace(pod.spec, node_name=node))
        self.cache.assume_pod(assumed)
        # Scheduled: the room it held (if nominated) is its own now.
        self.nominator.remove(pod)
        state = result.state
        reserved: list[ReservePlugin] = []
        for plugin in framework.reserve:
            status = plugin.reserve(state, assumed, node)
            reserved.append(plugin)
            if not status.is_success:
                self._undo(framework, state, assumed, reserved)
                self._requeue_error(info, status.with_plugin(plugin.name))
                return
        waiting_on: dict[str, float] = {}
        for permit in framework.permit:
            status, timeout = permit.permit(state, assumed, node)
            if status.code is Code.WAIT:
                waiting_on[permit.name] = timeout
            elif not status.is_success:
                self._undo(framework, state, assumed, reserved)
                self._requeue_error(info, status.with_plugin(permit.name), rejected=True)
                return
        waiting: WaitingPod | None = None
        if waiting_on:
            waiting = WaitingPod(assumed, waiting_on)
            self._waiting[info.key] = waiting
        binding = _Binding(
            framework,
            info,
            assumed,
            node,
            state,
            waiting,
            max(waiting_on.values(), default=0.0),
        )
        self._bindings_in_flight += 1
        if waiting is None and self._binds is not None:
            self._binds.put(binding)
        else:
            # Held by Permit (possibly for long): its own task, so it never occupies a binder.
            spawn(self._binding_cycle(binding), name="scheduler binding")

    async def _binder(self, binds: Channel[_Binding]) -> None:
        while True:
            try:
                binding = await binds.receive()
            except ChannelClosed:
                return
            await self._binding_cycle(binding)

    async def _bind(self, b: _Binding) -> Status:
        """Wait for Permit, PreBind, Bind: the binding cycle's outcome (a plugin that raises
        fails the binding with an error status, as upstream plugins return errors)."""
        running = ""  # the plugin being run, named in the status if it raises
        try:
            if b.waiting is not None:
                status = await b.waiting.wait(b.permit_timeout)
                if not status.is_success:
                    return status
            for plugin in b.framework.pre_bind:
                running = plugin.name
                status = await plugin.pre_bind(self.client, b.state, b.pod, b.node)
                if not status.is_success:
                    return status.with_plugin(running)
            for binder in b.framework.bind:
                running = binder.name
                status = await binder.bind(self.client, b.state, b.pod, b.node)
                if not status.is_skip:
                    return status.with_plugin(running)
        except Exception as error:
            _log.exception("binding cycle failed", pod=b.pod.metadata.name, plugin=running)
            return Status.error(f"{type(error).__name__}: {error}").with_plugin(running)
        return Status.error("no bind plugin bound the pod")

    async def _binding_cycle(self, b: _Binding) -> None:
        try:
            status = await self._bind(b)
            if status.is_success:
                self.cache.finish_binding(b.pod)
                for post in b.framework.post_bind:
                    post.post_bind(b.state, b.pod, b.node)
                self.stats.scheduled += 1
                self.stats.latencies.append(now() - b.info.timestamp)
                if self.recorder is not None:
                    meta = b.pod.metadata
                    self.recorder.event(
                        b.pod,
                        "Normal",
                        "Scheduled",
                        f"Successfully assigned {meta.namespace}/{meta.name} to {b.node}",
                    )
            else:
                self.stats.bind_failures += 1
                self._undo(b.framework, b.state, b.pod, b.framework.reserve)
                # The forgotten pod frees its node: pods waiting for room may fit now.
                self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_DELETE)
                self._requeue_error(b.info, status, rejected=status.is_rejected)
        finally:
            self._waiting.pop(b.info.key, None)
            self._bindings_in_flight -= 1
            self.queue.done(b.info.key)

    def _undo(
        self, framework: Framework, state: CycleState, pod: Pod, reserved: Sequence[ReservePlugin]
    ) -> None:
        for plugin in reversed(reserved):
            plugin.unreserve(state, pod, pod.spec.node_name)
        self.cache.forget_pod(pod)

    def _requeue_error(
        self, info: QueuedPodInfo, status: Status, *, rejected: bool = False
    ) -> None:
        """A failure after the cycle chose a node (Reserve, Permit, binding)."""
        if rejected:
            self.stats.unschedulable += 1
            plugins = [status.plugin] if status.plugin else []
            reason = "Unschedulable"
        else:
            self.stats.errors += 1
            plugins = []
            reason = "SchedulerError"
        message = status.message or "binding failed"
        if not rejected:
            message = f"running {status.plugin or 'binding'}: {message}"
        self.queue.add_unschedulable_if_not_present(info, plugins)
        self.queue.done(info.key)
        self._report_failure(info.pod, reason, message, None)

    def _failed(self, info: QueuedPodInfo, result: ScheduleResult) -> None:
        pod = info.pod
        nominated: str | None = None  # None: the pod's nomination stays as it is
        if result.code is Code.ERROR:
            self.stats.errors += 1
            reason = "SchedulerError"
        else:
            self.stats.unschedulable += 1
            reason = "Unschedulable"
        proposal = result.post_filter
        if proposal is not None and proposal.nominated_node:
            self.stats.preemptions += 1
            nominated = proposal.nominated_node
            # Lower-priority pods nominated there lose their nomination (upstream
            # prepareCandidate): the room they waited for goes to this pod.
            for other in self.nominator.lower_priority_on(nominated, pod):
                self.nominator.remove(other)
                spawn(self._clear_nomination(other, nominated), name="scheduler clear nomination")
            self.nominator.add(pod, nominated)
            for victim in proposal.victims:
                spawn(self._evict(victim, pod, nominated), name="scheduler preemption")
        elif result.clear_nomination or result.code is Code.ERROR:
            # Upstream: preemption found no node, or the cycle failed with an error.
            self.nominator.remove(pod)
            nominated = ""
        self.queue.add_unschedulable_if_not_present(
            info, () if result.code is Code.ERROR else result.unschedulable_plugins
        )
        self.queue.done(info.key)
        self._report_failure(pod, reason, result.message, nominated)

    def _report_failure(self, pod: Pod, reason: str, message: str, nominated: str | None) -> None:
        """The FailedScheduling event and the PodScheduled=False condition; ``nominated``:
        the node to write as the pod's nomination, ``""`` to clear it, ``None`` to keep it."""
        if self.recorder is not None:
            self.recorder.event(pod, "Warning", "FailedScheduling", message)
        condition = PodCondition(
            type="PodScheduled", status="False", reason=reason, message=message
        )
        current = [c for c in pod.status.conditions if c.type == "PodScheduled"]
        unchanged = (
            current
            and current[0].status == "False"
            and current[0].reason == reason
            and current[0].message == message
        )
        if unchanged and (nominated is None or pod.status.nominated_node_name == nominated):
            return
        spawn(self._set_condition(pod, condition, nominated), name="scheduler pod status")

    async def _set_condition(
        self, pod: Pod, condition: PodCondition, nominated: str | None
    ) -> None:
        def change(latest: Pod) -> PodStatus:
            old = [c for c in latest.status.conditions if c.type == "PodScheduled"]
            stamped = replace(
                condition,
                last_transition_time=(
                    old[0].last_transition_time
                    if old and old[0].status == condition.status
                    else wall_time_seconds()
                ),
                last_probe_time=None,
            )
            conditions = [c for c in latest.status.conditions if c.type != "PodScheduled"]
            conditions.append(stamped)
            return replace(
                latest.status,
                conditions=tuple(conditions),
                nominated_node_name=(
                    latest.status.nominated_node_name if nominated is None else nominated
                ),
            )

        await self._write_pending_status(pod, change, "update pod status")

    async def _clear_nomination(self, pod: Pod, node: str) -> None:
        """Write an empty ``status.nominatedNodeName`` for a pod whose nomination to ``node``
        was taken over (its own write of it may land first: this one follows and wins; the
        update it makes clears the nominator too)."""

        def change(latest: Pod) -> PodStatus | None:
            if latest.status.nominated_node_name != node:
                return None
            return replace(latest.status, nominated_node_name="")

        await self._write_pending_status(pod, change, "clear nomination")

    async def _write_pending_status(
        self, pod: Pod, change: Callable[[Pod], PodStatus | None], what: str
    ) -> None:
        """Write ``change(latest)`` as the status of ``pod`` while it is still the same pending
        pod (``None``: nothing to write), retrying on conflicts."""
        meta = pod.metadata
        for _ in range(3):
            try:
                latest = await self.client.get(Pod, meta.name, namespace=meta.namespace)
                if latest.metadata.uid != meta.uid or latest.spec.node_name:
                    return
                status = change(latest)
                if status is not None:
                    await self.client.update_status(replace(latest, status=status))
                return
            except Conflict:
                continue
            except NotFound:
                return
            except APIError as error:
                _log.warning(f"could not {what}", pod=meta.name, error=str(error))
                return

    async def _evict(self, victim: Pod, preemptor: Pod, node: str) -> None:
        meta = victim.metadata
        if self.recorder is not None:
            self.recorder.event(
                victim,
                "Normal",
                "Preempted",
                f"Preempted by pod {preemptor.metadata.uid} on node {node}",
            )
        try:
            await self.client.delete(Pod, meta.name, namespace=meta.namespace)
        except NotFound:
            pass
        except APIError as error:
            _log.warning("could not delete victim", pod=meta.name, error=str(error))

    # --- informer handlers ----------------------------------------------------------------

    def _responsible(self, pod: Pod) -> bool:
        return (pod.spec.scheduler_name or DEFAULT_SCHEDULER_NAME) in self._frameworks

    def _register_handlers(self) -> None:
        pods = self.informers.informer(Pod)
        pods.add_handler(
            on_add=self._on_pod_add, on_update=self._on_pod_update, on_delete=self._on_pod_delete
        )
        nodes = self.informers.informer(Node)
        nodes.add_handler(
            on_add=self._on_node_add, on_update=self._on_node_update, on_delete=self._on_node_delete
        )
        self.informers.informer(PersistentVolumeClaim).add_handler(
            on_add=lambda c, _i: self._on_volume(self.cache.set_pvc, c, "PvcAdd"),
            on_update=lambda _o, c: self._on_volume(self.cache.set_pvc, c, "PvcUpdate"),
            on_delete=lambda c: self.cache.set_pvc(deleted_object(c), deleted=True),
        )
        self.informers.informer(PersistentVolume).add_handler(
            on_add=lambda v, _i: self._on_volume(self.cache.set_pv, v, "PvAdd"),
            on_update=lambda _o, v: self._on_volume(self.cache.set_pv, v, "PvUpdate"),
            on_delete=lambda v: self.cache.set_pv(deleted_object(v), deleted=True),
        )

    def _on_volume(self, setter: Any, obj: Any, event: str) -> None:
        setter(obj)
        self.queue.move_all_to_active_or_backoff(event)

    def _on_pod_add(self, pod: Pod, _initial: bool) -> None:
        if _finished(pod):
            return
        if pod.spec.node_name:
            self.cache.add_pod(pod)
            self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_ADD)
        elif self._responsible(pod) and pod.metadata.deletion_timestamp is None:
            if pod.status.nominated_node_name:
                # Nominated before this scheduler started (a restart): the room stays held.
                self.nominator.update(pod)
            self.queue.add(pod)

    def _on_pod_update(self, old: Pod, new: Pod) -> None:
        if new.spec.node_name:
            if _finished(new):
                self.cache.remove_pod(new)
                self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_DELETE)
                return
            if not old.spec.node_name:
                # Bound: it leaves the queue and (confirming the assumed copy) enters the cache.
                self.nominator.remove(new)
                self.queue.delete(new)
                self.cache.add_pod(new)
                self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_ADD)
            else:
                self.cache.update_pod(old, new)
                self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_UPDATE)
            return
        if not self._responsible(new):
            return
        if new.metadata.deletion_timestamp is not None:
            self.nominator.remove(new)
            self.queue.delete(new)
            return
        if self.cache.is_assumed(new):
            return  # its binding is being written; the bound update follows
        self.nominator.update(new, old)
        self.queue.update(old, new)

    def _on_pod_delete(self, obj: Any) -> None:
        pod: Pod = deleted_object(obj)
        if pod.spec.node_name:
            self.cache.remove_pod(pod)
            self.queue.move_all_to_active_or_backoff(ClusterEvent.ASSIGNED_POD_DELETE)
            return
        self.nominator.remove(pod)
        self.queue.delete(pod)
        waiting = self._waiting.get(pod.metadata.uid)
        if waiting is not None:
            waiting.reject("", "pod deleted while waiting")

    def _on_node_add(self, node: Node, _initial: bool) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff(ClusterEvent.NODE_ADD)

    def _on_node_update(self, old: Node, new: Node) -> None:
        self.cache.update_node(new)
        if (
            old.spec != new.spec
            or old.metadata.labels != new.metadata.labels
            or (old.status.allocatable != new.status.allocatable)
        ):
            self.queue.move_all_to_active_or_backoff(ClusterEvent.NODE_UPDATE)

    def _on_node_delete(self, obj: Any) -> None:
        node: Node = deleted_object(obj)
        self.cache.remove_node(node.metadata.name)


def _finished(pod: Pod) -> bool:
    return pod.status.phase in ("Succeeded", "Failed")
