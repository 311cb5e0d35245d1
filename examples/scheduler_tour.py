"""A tour of the scheduler: explain one decision, then schedule a workload in virtual time.

Run it: ``python examples/scheduler_tour.py``
"""

from __future__ import annotations

import logging

import structlog

from kube_actors.api import Event, Pod, load_manifests, parse_quantity, replace
from kube_actors.client import LocalClient
from kube_actors.runtime import simulate, sleep
from kube_actors.scheduler import Scheduler, explain, load_configuration
from kube_actors.store import APIServer

NODES = """
apiVersion: v1
kind: Node
metadata: {name: small, labels: {zone: a}}
status:
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
---
apiVersion: v1
kind: Node
metadata: {name: large, labels: {zone: b}}
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
---
apiVersion: v1
kind: Node
metadata: {name: gpu, labels: {zone: b}}
spec:
  taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110"}
  capacity: {cpu: "8", memory: 32Gi, pods: "110"}
"""

WEB = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    resources: {requests: {cpu: 500m, memory: 1Gi}}
"""

BIN_PACKER = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
"""


def why() -> None:
    nodes = load_manifests(NODES)
    [web] = load_manifests(WEB)
    answer = explain(web, nodes)
    print(f"explain: {web.metadata.name} -> {answer.selected}")
    for name, node in answer.nodes.items():
        if not node.feasible:
            print(f"  {name}: filtered out: {node.failure.message if node.failure else ''}")
            continue
        scores = ", ".join(f"{s.plugin}={s.normalized}x{s.weight}" for s in node.scores)
        print(f"  {name}: total {node.total} ({scores})")


async def schedule() -> None:
    client = LocalClient(await APIServer.start())
    for node in load_manifests(NODES):
        await client.create(node)
    profiles = load_configuration(BIN_PACKER)  # pack pods tightly instead of spreading them
    scheduler = Scheduler(client, profiles=profiles)
    scheduler.start()
    [web] = load_manifests(WEB)
    for i in range(6):
        await client.create(_named(web, i))
    huge = _named(web, 99, cpu="64")
    await client.create(huge)
    await scheduler.wait_idle()
    await sleep(1)
    for pod in (await client.list(Pod, namespace="default")).items:
        print(f"scheduled: {pod.metadata.name} -> {pod.spec.node_name or '(pending)'}")
    for event in (await client.list(Event, namespace="default")).items:
        if event.reason == "FailedScheduling":
            print(f"event: {event.involved_object.name} {event.reason}: {event.message}")
    await scheduler.stop()


def _named(pod: Pod, i: int, cpu: str | None = None) -> Pod:
    """A copy of ``pod`` named ``web-<i>``, optionally asking for more CPU."""
    meta = replace(pod.metadata, name=f"web-{i}")
    spec = pod.spec
    if cpu is not None:
        [c] = spec.containers
        requests = {**c.resources.requests, "cpu": parse_quantity(cpu)}
        c = replace(c, resources=replace(c.resources, requests=requests))
        spec = replace(spec, containers=(c,))
    return replace(pod, metadata=meta, spec=spec)


if __name__ == "__main__":
    # The library logs at debug level; a program decides what it shows.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    why()
    simulate(schedule, seed=7)
