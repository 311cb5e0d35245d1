"""What a reconciler is given and returns: :class:`Request`, :class:`Result`, the
:class:`Reconciler` protocol and :class:`TerminalError`, plus the owner-reference helpers
controllers use to mark what they made (controller-runtime's ``controllerutil``).

A reconciler is level-triggered: it is told only *which* object to look at
(``namespace/name``), never what changed, reads the current state and makes the world match.

>>> Request("dev", "web"), str(Request("dev", "web")), str(Request("", "node-1"))
(Request(namespace='dev', name='web'), 'dev/web', 'node-1')
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import attrs

from kube_actors.api import REGISTRY, OwnerReference, replace

__all__ = [
    "ReconcileFunc",
    "Reconciler",
    "Request",
    "Result",
    "TerminalError",
    "controller_reference",
    "get_controller_of",
    "set_controller_reference",
]

T = TypeVar("T")


@attrs.frozen(order=True)
class Request:
    """The object to reconcile: its namespace (empty for cluster-scoped kinds) and name."""

    namespace: str
    name: str

    @classmethod
    def for_object(cls, obj: Any) -> Request:
        """The request of a stored object (its own namespace and name)."""
        return cls(obj.metadata.namespace, obj.metadata.name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@attrs.frozen
class Result:
    """What to do after a successful reconcile.

    - ``Result()``: done; the key's backoff is reset (``forget``).
    - ``Result(requeue_after=s)``: reconcile again in ``s`` seconds (backoff reset).
    - ``Result(requeue=True)``: reconcile again after the key's rate-limited backoff.
    ``requeue_after`` wins when both are given, as in controller-runtime.
    """

    requeue: bool = False
    requeue_after: float = 0.0


class Reconciler(Protocol):
    """Makes the world match one object's desired state."""

    async def reconcile(self, request: Request) -> Result:
        """Reconcile ``request``; raise to be retried with backoff (:class:`TerminalError`:
        not retried)."""
        ...


#: A reconciler as a plain coroutine function.
ReconcileFunc = Callable[[Request], Awaitable[Result]]


class TerminalError(Exception):
    """A reconcile failure that retrying cannot fix (an invalid spec, say): the key is not
    requeued, and the failure is counted as an error."""


def controller_reference(owner: Any) -> OwnerReference:
    """An owner reference to ``owner`` with ``controller=true`` and ``blockOwnerDeletion``."""
    info = REGISTRY.for_object(owner)
    return OwnerReference(
        api_version=info.api_version,
        kind=info.kind,
        name=owner.metadata.name,
        uid=owner.metadata.uid,
        controller=True,
        block_owner_deletion=True,
    )


def get_controller_of(obj: Any) -> OwnerReference | None:
    """The owner reference of ``obj`` with ``controller=true``, if any."""
    ref: OwnerReference
    for ref in obj.metadata.owner_references:
        if ref.controller:
            return ref
    return None


def set_controller_reference(owner: Any, obj: T) -> T:
    """``obj`` with ``owner`` as its controller (a copy; objects are immutable).

    Raises ``ValueError`` if another object already controls ``obj`` (an object has at most
    one controller); an existing reference to ``owner`` is replaced.
    """
    ref = controller_reference(owner)
    meta = obj.metadata  # type: ignore[attr-defined]
    current = get_controller_of(obj)
    if current is not None and current.uid != ref.uid:
        raise ValueError(f"{meta.name!r} is already controlled by {current.kind} {current.name!r}")
    others = tuple(r for r in meta.owner_references if r.uid != ref.uid)
    return replace(obj, metadata=replace(meta, owner_references=(*others, ref)))
