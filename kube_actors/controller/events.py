"""Recording Kubernetes Events for objects, with repeats aggregated as client-go does.

``recorder.event(pod, "Warning", "FailedScheduling", "0/3 nodes are available")`` queues the
event and returns at once (recording never blocks a reconcile); the recorder's :meth:`run` task
writes them. An event with the same involved object, type, reason, message and source as one
recorded before is not written again as a new object: the existing Event's ``count`` goes up
and its ``lastTimestamp`` moves on, as client-go's event correlator does.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any, Literal

import attrs
import structlog

from kube_actors.api import (
    REGISTRY,
    Event,
    EventSource,
    ObjectMeta,
    ObjectReference,
    constructor,
    replace,
)
from kube_actors.client import Client
from kube_actors.runtime import Channel, wall_time_seconds
from kube_actors.store import APIError, NotFound

__all__ = ["EventRecorder", "object_reference"]

_log = structlog.get_logger("kube_actors.events")

#: How many distinct events the recorder remembers for aggregation (client-go's cache size).
CACHE_SIZE = 4096

# Built once per recorded event: straight slot fills instead of the frozen classes' __init__.
_reference = constructor(ObjectReference)
_event = constructor(Event)
_meta = constructor(ObjectMeta)


def object_reference(obj: Any) -> ObjectReference:
    """An ObjectReference to a stored object (kind, apiVersion, namespace, name, uid, rv)."""
    info = REGISTRY.for_object(obj)
    meta = obj.metadata
    return _reference(
        kind=info.kind,
        api_version=info.api_version,
        namespace=meta.namespace,
        name=meta.name,
        uid=meta.uid,
        resource_version=meta.resource_version,
    )


@attrs.frozen
class _Pending:
    reference: ObjectReference
    type: str
    reason: str
    message: str


_pending = constructor(_Pending)


class EventRecorder:
    """Records Events about objects as ``component`` (on ``host``, if given)."""

    def __init__(self, client: Client, component: str, *, host: str = "") -> None:
        self.client = client
        self.source = EventSource(component=component, host=host)
        self._queue: Channel[_Pending] = Channel(1_000_000, name=f"events {component}")
        # aggregation key -> (namespace, name) of the Event object written for it
        self._written: OrderedDict[tuple[Any, ...], tuple[str, str]] = OrderedDict()
        self._sequence = 0
        # (stamp, it in Unix nanoseconds) of the last write: in virtual time many events share
        # an instant, and wall_time_seconds() returns the same object for it.
        self._clock: tuple[datetime | None, int] = (None, 0)

    def event(
        self, obj: Any, type: Literal["Normal", "Warning"], reason: str, message: str
    ) -> None:
        """Queue an event about ``obj`` (a stored object, or an ObjectReference)."""
        reference = obj if isinstance(obj, ObjectReference) else object_reference(obj)
        self._queue.put(_pending(reference, type, reason, message))

    async def run(self) -> None:
        """Write queued events until cancelled (a manager runs this as a task)."""
        while True:
            await self._queue.wait_ready()
            for pending in self._queue.drain():
                try:
                    await self._write(pending)
                except APIError as error:
                    # Events are best effort, as upstream: a failed write is logged, not fatal.
                    _log.warning("could not record event", reason=pending.reason, error=str(error))

    async def flush(self) -> None:
        """Write every queued event now (for tests and shutdown)."""
        for pending in self._queue.drain():
            try:
                await self._write(pending)
            except APIError as error:
                _log.warning("could not record event", reason=pending.reason, error=str(error))

    async def _write(self, pending: _Pending) -> None:
        ref = pending.reference
        namespace = ref.namespace or "default"
        source = self.source
        key = (
            # Its fields rather than the source itself: they hash much faster.
            source.component,
            source.host,
            ref.kind,
            ref.namespace,
            ref.name,
            ref.uid,
            pending.type,
            pending.reason,
            pending.message,
        )
        stamp = wall_time_seconds()
        clock = self._clock
        if clock[0] is not stamp:
            clock = self._clock = (stamp, int(stamp.timestamp() * 1e9))
        known = self._written.get(key)
        if known is not None:
            self._written.move_to_end(key)
            try:
                current = await self.client.get(Event, known[1], namespace=known[0])
            except NotFound:
                current = None
            if current is not None:
                await self.client.update(
                    replace(current, count=current.count + 1, last_timestamp=stamp)
                )
                return
        self._sequence += 1
        # Upstream names events <object>.<unix nanoseconds in hex>; the sequence keeps names
        # unique within one instant of virtual time.
        name = f"{ref.name}.{clock[1] + self._sequence:x}"
        made = await self.client.create(
            _event(
                metadata=_meta(name=name, namespace=namespace),
                involved_object=ref,
                reason=pending.reason,
                message=pending.message,
                source=self.source,
                first_timestamp=stamp,
                last_timestamp=stamp,
                count=1,
                type=pending.type,
                reporting_component=source.component,
                reporting_instance=source.host,
            )
        )
        self._written[key] = (made.metadata.namespace, made.metadata.name)
        if len(self._written) > CACHE_SIZE:
            self._written.popitem(last=False)
