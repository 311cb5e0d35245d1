"""A tour of the API server in virtual time: apply manifests, watch, conflict, finalizers.

Run it: ``python examples/api_server_tour.py``
"""

from __future__ import annotations

from kube_actors.api import ConfigMap, Deployment, ObjectMeta, Pod, load_manifests, replace
from kube_actors.runtime import simulate, sleep, spawn
from kube_actors.store import APIServer, Conflict, Invalid, WatchEvent

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.25"}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  containers: [{name: nginx, image: "nginx:1.25"}]
"""


async def main() -> None:
    server = await APIServer.start()  # with default, kube-system, kube-node-lease

    # A watcher that prints every pod event, as an informer would see it.
    watch = await server.watch(Pod, namespace="default")
    seen: list[WatchEvent[Pod]] = []

    async def follow() -> None:
        async for event in watch:
            seen.append(event)
            assert event.object is not None
            print(
                f"  watch: {event.type:<8} pod/{event.object.metadata.name} "
                f"rv={event.resource_version}"
            )

    spawn(follow())

    print("apply (validated as a whole before anything is written):")
    for obj in await server.apply(load_manifests(MANIFESTS)):
        meta = obj.metadata
        print(
            f"  {type(obj).kind}/{meta.name}: uid {meta.uid[:8]}..., rv {meta.resource_version}, "
            f"generation {meta.generation}"
        )

    deployment = await server.get(Deployment, "web")
    rolling = deployment.spec.strategy.rolling_update
    assert rolling is not None
    print("defaults filled in:", deployment.spec.strategy.type, rolling.max_surge)

    # Two writers read the same version; the second one's update conflicts.
    first = replace(deployment, spec=replace(deployment.spec, replicas=3))
    second = replace(deployment, spec=replace(deployment.spec, replicas=5))
    updated = await server.update(first)
    print("spec change bumps generation to", updated.metadata.generation)
    try:
        await server.update(second)
    except Conflict as exc:
        print("stale write:", exc.status.code, exc.message)

    # Scale through the subresource, as `kubectl scale` does.
    scale = await server.update_scale(Deployment, "web", 4)
    print("scale:", scale.spec.replicas, "replicas, selector", scale.status.selector)

    # Invalid objects are refused with every field error, and nothing is stored.
    try:
        await server.create(ConfigMap(metadata=ObjectMeta(name="Bad_Name")))
    except Invalid as exc:
        print("invalid:", exc.message)

    # Finalizers hold a deleted object until the last one is removed.
    await server.create(
        ConfigMap(metadata=ObjectMeta(name="held", finalizers=("example.com/cleanup",)))
    )
    marked = await server.delete(ConfigMap, "held")
    print("deleting:", marked.metadata.deletion_timestamp is not None, "still there")
    await server.update(replace(marked, metadata=replace(marked.metadata, finalizers=())))
    print(
        "after the finalizer is removed:",
        await server.get_object(ConfigMap, "held") is None and "gone",
    )

    # Pods on a node get a grace period; the kubelet finishes the deletion.
    await server.bind("web-1", "node-a")
    pod = await server.delete(Pod, "web-1")
    print("pod grace period:", pod.metadata.deletion_grace_period_seconds, "s")
    await sleep(1)
    await server.delete(Pod, "web-1", grace_period_seconds=0)
    await sleep(0)
    watch.close()
    print(f"{len(seen)} pod events seen, in order:", [e.type for e in seen])


if __name__ == "__main__":
    result = simulate(main, seed=7)
    print(f"done in {result.elapsed:.0f} s of virtual time, trace {result.trace_hash[:12]}")
