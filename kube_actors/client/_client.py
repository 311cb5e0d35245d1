"""The client protocol controllers are written against, and its in-process implementation."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from kube_actors.api import LabelSelector, Pod, Scale
from kube_actors.api.selectors import Selector
from kube_actors.store import (
    APIServer,
    FieldSelector,
    ObjectList,
    Preconditions,
    WatchEvent,
)

__all__ = ["Client", "LocalClient", "WatchStream"]

T = TypeVar("T")
LabelSelectorLike = str | Selector | Mapping[str, str] | LabelSelector | None
FieldSelectorLike = str | FieldSelector | None
PatchType = Literal["merge", "json", "strategic"]
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]


class WatchStream(Protocol[T]):
    """A watch as a client returns it: :class:`~kube_actors.store.WatchEvent` in order.

    ``async for`` ends after :meth:`close`; a stream the server ended raises
    :class:`~kube_actors.store.WatchDisconnected` (watch again from :attr:`resource_version`).
    """

    @property
    def resource_version(self) -> str:
        """Where to resume: the version of the last event returned."""
        ...

    async def next_batch(self) -> builtins.list[WatchEvent[T]]:
        """Every event available now (at least one), in order."""
        ...

    def close(self) -> None:
        """Stop the watch."""
        ...

    def __aiter__(self) -> AsyncIterator[WatchEvent[T]]: ...


class Client(Protocol):
    """Typed access to an API server: what controllers, informers and the scheduler use.

    ``await client.get(Deployment, "web", namespace="dev")`` returns a ``Deployment``. Errors
    are the API server's typed errors (``NotFound``, ``Conflict``, ``Invalid``, ``Expired``,
    ...). The in-process server serves it through :class:`LocalClient`; a client for a real
    Kubernetes API server implements the same protocol, so controllers do not change.
    """

    async def get(self, cls: type[T], name: str, *, namespace: str = "") -> T:
        """The object, or ``NotFound``."""
        ...

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
        """One page of objects (all of them without ``limit``) and the list resourceVersion."""
        ...

    async def create(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Store a new object; returns it as stored."""
        ...

    async def update(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace an object (conditional on its resourceVersion, if set)."""
        ...

    async def update_status(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace an object's status."""
        ...

    async def patch(
        self,
        cls: type[T],
        name: str,
        patch: Any,
        *,
        namespace: str = "",
        patch_type: PatchType = "merge",
        subresource: Literal["", "status"] = "",
        dry_run: bool = False,
    ) -> T:
        """Patch an object (JSON merge patch by default; JSON patch; strategic merge patch)."""
        ...

    async def delete(
        self,
        cls: type[T],
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        propagation_policy: PropagationPolicy | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> T:
        """Delete an object; returns it as deleted or as marked for deletion."""
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
    ) -> WatchStream[T]:
        """Watch objects from ``resource_version`` (``""``: the current ones first)."""
        ...

    async def get_scale(self, cls: type[Any], name: str, *, namespace: str = "") -> Scale:
        """The scale subresource."""
        ...

    async def update_scale(
        self,
        cls: type[Any],
        name: str,
        replicas: int,
        *,
        namespace: str = "",
        resource_version: str = "",
    ) -> Scale:
        """Set the replicas through the scale subresource."""
        ...

    async def bind(self, name: str, node_name: str, *, namespace: str = "", uid: str = "") -> Pod:
        """Assign a pod to a node (the binding subresource)."""
        ...


class LocalClient:
    """A :class:`Client` of an in-process :class:`~kube_actors.store.APIServer`.

    Calls run in the caller's task and share the server's objects (they are immutable): no
    serialization, no copies.
    """

    def __init__(self, server: APIServer) -> None:
        #: The server this client talks to.
        self.server = server

    async def get(self, cls: type[T], name: str, *, namespace: str = "") -> T:
        """The object, or ``NotFound``."""
        return await self.server.get(cls, name, namespace=namespace)

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
        """One page of objects (all of them without ``limit``) and the list resourceVersion."""
        return await self.server.list(
            cls,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_=continue_,
        )

    async def create(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Store a new object; returns it as stored."""
        return await self.server.create(obj, namespace=namespace, dry_run=dry_run)

    async def update(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace an object (conditional on its resourceVersion, if set)."""
        return await self.server.update(obj, namespace=namespace, dry_run=dry_run)

    async def update_status(self, obj: T, *, namespace: str = "", dry_run: bool = False) -> T:
        """Replace an object's status."""
        return await self.server.update_status(obj, namespace=namespace, dry_run=dry_run)

    async def patch(
        self,
        cls: type[T],
        name: str,
        patch: Any,
        *,
        namespace: str = "",
        patch_type: PatchType = "merge",
        subresource: Literal["", "status"] = "",
        dry_run: bool = False,
    ) -> T:
        """Patch an object (JSON merge patch by default; JSON patch; strategic merge patch)."""
        return await self.server.patch(
            cls,
            name,
            patch,
            namespace=namespace,
            patch_type=patch_type,
            subresource=subresource,
            dry_run=dry_run,
        )

    async def delete(
        self,
        cls: type[T],
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        propagation_policy: PropagationPolicy | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> T:
        """Delete an object; returns it as deleted or as marked for deletion."""
        return await self.server.delete(
            cls,
            name,
            namespace=namespace,
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation_policy,
            preconditions=preconditions,
            dry_run=dry_run,
        )

    async def watch(
        self,
        cls: type[T],
        *,
        namespace: str = "",
        label_selector: LabelSelectorLike = None,
        field_selector: FieldSelectorLike = None,
        resource_version: str = "",
        allow_bookmarks: bool = False,
    ) -> WatchStream[T]:
        """Watch objects from ``resource_version`` (``""``: the current ones first)."""
        return await self.server.watch(
            cls,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            resource_version=resource_version,
            allow_bookmarks=allow_bookmarks,
        )

    async def get_scale(self, cls: type[Any], name: str, *, namespace: str = "") -> Scale:
        """The scale subresource."""
        return await self.server.get_scale(cls, name, namespace=namespace)

    async def update_scale(
        self,
        cls: type[Any],
        name: str,
        replicas: int,
        *,
        namespace: str = "",
        resource_version: str = "",
    ) -> Scale:
        """Set the replicas through the scale subresource."""
        return await self.server.update_scale(
            cls, name, replicas, namespace=namespace, resource_version=resource_version
        )

    async def bind(self, name: str, node_name: str, *, namespace: str = "", uid: str = "") -> Pod:
        """Assign a pod to a node (the binding subresource)."""
        return await self.server.bind(name, node_name, namespace=namespace, uid=uid)


if TYPE_CHECKING:  # mypy proves LocalClient implements the protocol
    _CHECK: type[Client] = LocalClient
