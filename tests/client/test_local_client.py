"""LocalClient: every Client operation reaches the in-process API server, typed errors and all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from kube_actors.api import ConfigMap, Deployment, ObjectMeta, Pod, load_manifests, replace
from kube_actors.client import Client, LocalClient
from kube_actors.runtime import simulate
from kube_actors.store import APIServer, Conflict, NotFound, Preconditions

T = TypeVar("T")

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def run(main: Callable[[Client], Awaitable[T]]) -> T:
    async def entry() -> T:
        return await main(LocalClient(await APIServer.start()))

    return simulate(entry, seed=0).value


def test_create_get_update_delete_round_trip() -> None:
    async def main(client: Client) -> None:
        made = await client.create(ConfigMap(metadata=ObjectMeta(name="a"), data={"k": "1"}))
        got = await client.get(ConfigMap, "a", namespace="default")
        assert got == made
        updated = await client.update(replace(got, data={"k": "2"}))
        assert int(updated.metadata.resource_version) > int(made.metadata.resource_version)
        with pytest.raises(Conflict):
            await client.update(replace(made, data={"k": "3"}))
        await client.delete(ConfigMap, "a", preconditions=Preconditions(uid=made.metadata.uid))
        with pytest.raises(NotFound):
            await client.get(ConfigMap, "a")

    run(main)


def test_list_with_selectors_and_paging() -> None:
    async def main(client: Client) -> None:
        for i in range(5):
            labels = {"parity": "even" if i % 2 == 0 else "odd"}
            await client.create(ConfigMap(metadata=ObjectMeta(name=f"c{i}", labels=labels)))
        even = await client.list(ConfigMap, label_selector="parity=even")
        assert [c.metadata.name for c in even] == ["c0", "c2", "c4"]
        named = await client.list(ConfigMap, field_selector="metadata.name=c3")
        assert [c.metadata.name for c in named] == ["c3"]
        first = await client.list(ConfigMap, limit=2)
        rest = await client.list(ConfigMap, continue_=first.continue_)
        assert [c.metadata.name for c in (*first, *rest)] == [f"c{i}" for i in range(5)]

    run(main)


def test_patch_status_scale_bind_and_watch() -> None:
    async def main(client: Client) -> None:
        watch = await client.watch(Pod, resource_version="0")
        (deployment,) = load_manifests(DEPLOYMENT)
        await client.create(deployment)
        patched = await client.patch(Deployment, "web", {"metadata": {"labels": {"x": "y"}}})
        assert patched.metadata.labels == {"x": "y"}
        scale = await client.update_scale(Deployment, "web", 3)
        assert (await client.get_scale(Deployment, "web")).spec.replicas == scale.spec.replicas == 3
        pod = await client.create(
            Pod(metadata=ObjectMeta(name="p"), spec=deployment.spec.template.spec)
        )
        bound = await client.bind("p", "node-1")
        assert bound.spec.node_name == "node-1"
        running = await client.update_status(
            replace(bound, status=replace(bound.status, phase="Running"))
        )
        assert running.status.phase == "Running"
        events = await watch.next_batch()
        assert [(e.type, e.object.metadata.resource_version) for e in events if e.object] == [
            ("ADDED", pod.metadata.resource_version),
            ("MODIFIED", bound.metadata.resource_version),
            ("MODIFIED", running.metadata.resource_version),
        ]
        assert watch.resource_version == running.metadata.resource_version
        watch.close()

    run(main)
