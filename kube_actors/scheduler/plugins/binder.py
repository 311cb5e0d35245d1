"""DefaultBinder: writes the ``pods/binding`` subresource through the client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kube_actors.api import Pod
from kube_actors.scheduler.framework import CycleState, Status
from kube_actors.scheduler.plugins.basic import _Named
from kube_actors.store import APIError

if TYPE_CHECKING:
    from kube_actors.client import Client

__all__ = ["DefaultBinder"]


class DefaultBinder(_Named):
    """Bind: ``POST pods/<name>/binding`` with the pod's UID as a precondition."""

    NAME = "DefaultBinder"

    async def bind(self, client: Client, state: CycleState, pod: Pod, node_name: str) -> Status:
        """Write the binding; an API error (the pod is gone, already bound, ...) is an Error."""
        meta = pod.metadata
        try:
            await client.bind(meta.name, node_name, namespace=meta.namespace, uid=meta.uid)
        except APIError as error:
            return Status.error(str(error), plugin=self.NAME)
        return Status.success()
