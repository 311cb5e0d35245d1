"""Scheduler throughput on upstream's scheduler_perf workloads, in real time.

Each workload follows kubernetes/kubernetes ``test/integration/scheduler_perf``: create the
nodes (``templates/node-default.yaml``: 4 CPU, 32Gi, 110 pods, zone labels as its
``labelNodePrepareStrategy`` assigns them), start the scheduler, create the init pods and wait
until they are bound, then measure: the clock starts, the measured pods are created one by one
(creation is part of the measured time, as upstream) and the clock stops when every measured
pod is bound. Namespaces follow upstream's ``createPods`` op: ``namespace-<op index>`` unless
the workload names one (``sched-0``/``sched-1`` for anti-affinity).

Reported per workload: pods/s, per-pod scheduling latency p50/p99 (``SchedulerStats.latencies``:
seconds from entering the queue to the written binding), peak RSS of the process that ran it
(each workload runs in a forked child so peaks do not accumulate), upstream's minimum pods/s
(``threshold`` in its performance-config.yaml) and ours over it. Upstream runs the Go
scheduler against a real API server; ours is scheduler + bind into the in-process store, so
the ratio is a yardstick, not a like-for-like comparison. A same-run machine-speed baseline
(``json.loads`` of a pod manifest) is recorded beside the results so runs on different
machines or under different load can be compared.

Per-object randomness (generated names, zone labels, the mixed workload's shapes) comes from a
``random.Random`` drawn through hypothesis with a fixed seed, so every run builds the same
objects.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import platform
import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from kube_actors.api import (
    Affinity,
    Container,
    ContainerPort,
    LabelSelector,
    Namespace,
    Node,
    NodeAffinity,
    NodeCondition,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    NodeSpec,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodAffinity,
    PodAffinityTerm,
    PodSpec,
    ResourceRequirements,
    Taint,
    Toleration,
    TopologySpreadConstraint,
    parse_quantity,
)
from kube_actors.client import LocalClient
from kube_actors.runtime import run, sleep, spawn
from kube_actors.scheduler import Scheduler
from kube_actors.store import APIServer

RESULTS = Path(__file__).resolve().parent / "results"
ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"
#: Upstream's generateName suffix alphabet (apimachinery ``utilrand.String``).
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PAUSE = "registry.k8s.io/pause:3.10.1"
#: Seconds between churn pods (upstream ``churn`` op, ``intervalMilliseconds: 200``).
CHURN_INTERVAL = 0.2


# --- deterministic randomness --------------------------------------------------------------


def drawn_random(seed: int) -> random.Random:
    """A ``random.Random`` drawn from hypothesis under a fixed seed (same every run).

    One draw of ``st.randoms`` rather than one draw per object: hypothesis caps the data one
    example may consume, far below 10,000 objects' worth of fields.
    """
    out: list[random.Random] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=1,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=True))
    def draw(rng: random.Random) -> None:
        out.append(rng)

    draw()
    return out[0]


def unique_names(rng: random.Random, prefix: str, count: int) -> list[str]:
    """``count`` distinct ``generateName``-style names: ``prefix`` + 5 random characters."""
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < count:
        name = prefix + "".join(rng.choices(_ALPHABET, k=5))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


# --- upstream templates as objects ---------------------------------------------------------


def q(value: str) -> Any:
    """A parsed quantity."""
    return parse_quantity(value)


def make_node(
    name: str,
    labels: dict[str, str],
    *,
    cpu: str = "4",
    memory: str = "32Gi",
    taints: tuple[Taint, ...] = (),
) -> Node:
    """``templates/node-default.yaml``; allocatable = capacity (the API server's default)."""
    capacity = {"pods": q("110"), "cpu": q(cpu), "memory": q(memory)}
    # Upstream's nodes carry no hostname label (no kubelet runs); we add it as a kubelet
    # would, so the hostname-keyed anti-affinity workload really constrains placement.
    return Node(
        metadata=ObjectMeta(name=name, labels={HOSTNAME: name, **labels}),
        spec=NodeSpec(taints=taints),
        status=NodeStatus(
            capacity=capacity,
            allocatable=capacity,
            phase="Running",
            conditions=(NodeCondition(type="Ready", status="True"),),
        ),
    )


def _container(cpu: str, memory: str, *, limits: bool = True) -> Container:
    requests = {"cpu": q(cpu), "memory": q(memory)}
    return Container(
        name="pause",
        image=PAUSE,
        ports=(ContainerPort(container_port=80),),
        resources=ResourceRequirements(requests=requests, limits=requests if limits else {}),
    )


# Shared, immutable pieces of the templates (objects are frozen, so sharing is safe).
_DEFAULT = _container("100m", "500Mi")
_LOW = _container("900m", "500Mi")
_HIGH = _container("3000m", "500Mi")
_LARGE = _container("9", "500Mi", limits=False)
_ANTI_AFFINITY = Affinity(
    pod_anti_affinity=PodAffinity(
        required_during_scheduling_ignored_during_execution=(
            PodAffinityTerm(
                label_selector=LabelSelector(match_labels={"color": "green"}),
                topology_key=HOSTNAME,
                namespaces=("sched-1", "sched-0"),
            ),
        )
    )
)
_NODE_AFFINITY = Affinity(
    node_affinity=NodeAffinity(
        required_during_scheduling_ignored_during_execution=NodeSelector(
            node_selector_terms=(
                NodeSelectorTerm(
                    match_expressions=(
                        NodeSelectorRequirement(key=ZONE, operator="In", values=("zone1", "zone2")),
                    )
                ),
            )
        )
    )
)


def _spread(when: str) -> tuple[TopologySpreadConstraint, ...]:
    return (
        TopologySpreadConstraint(
            max_skew=5,
            topology_key=ZONE,
            when_unsatisfiable=when,
            label_selector=LabelSelector(match_labels={"color": "blue"}),
        ),
    )


def make_pod(name: str, namespace: str, container: Container = _DEFAULT, **spec: Any) -> Pod:
    """A pod from a template: ``labels`` goes to metadata, everything else to the spec."""
    labels = spec.pop("labels", {})
    return Pod(
        metadata=ObjectMeta(name=name, namespace=namespace, labels=labels),
        spec=PodSpec(containers=(container,), **spec),
    )


PodFactory = Callable[[random.Random, str, int], list[Pod]]


def pods_of(template: str) -> PodFactory:
    """A factory of ``count`` pods in a namespace from the named upstream template."""

    def build(rng: random.Random, namespace: str, count: int) -> list[Pod]:
        prefix, container, spec = TEMPLATES[template]
        return [
            make_pod(name, namespace, container, **dict(spec))
            for name in unique_names(rng, prefix, count)
        ]

    return build


#: template file -> (generateName, container, spec/label fields).
TEMPLATES: dict[str, tuple[str, Container, dict[str, Any]]] = {
    "pod-default.yaml": ("pod-", _DEFAULT, {}),
    "pod-with-pod-anti-affinity.yaml": (
        "anti-affinity-pod-",
        _DEFAULT,
        {"labels": {"color": "green"}, "affinity": _ANTI_AFFINITY},
    ),
    "pod-with-node-affinity.yaml": ("node-affinity-", _DEFAULT, {"affinity": _NODE_AFFINITY}),
    "pod-with-topology-spreading.yaml": (
        "spreading-pod-",
        _DEFAULT,
        {"labels": {"color": "blue"}, "topology_spread_constraints": _spread("DoNotSchedule")},
    ),
    "pod-with-preferred-topology-spreading.yaml": (
        "spreading-pod-",
        _DEFAULT,
        {"labels": {"color": "blue"}, "topology_spread_constraints": _spread("ScheduleAnyway")},
    ),
    "pod-low-priority.yaml": ("pod-", _LOW, {"termination_grace_period_seconds": 0}),
    "pod-high-priority.yaml": ("pod-", _HIGH, {"priority": 10}),
    "pod-large-cpu.yaml": ("pod-", _LARGE, {}),
    "pod-high-priority-large-cpu.yaml": ("pod-h-", _LARGE, {"priority": 10}),
}


def default_nodes(zones: tuple[str, ...] = ()) -> Callable[[random.Random, int], list[Node]]:
    """``node-default.yaml`` nodes; with ``zones``, ``labelNodePrepareStrategy`` gives each
    node one of them at random."""

    def build(rng: random.Random, count: int) -> list[Node]:
        names = unique_names(rng, "scheduler-perf-", count)
        return [make_node(n, {ZONE: rng.choice(zones)} if zones else {}) for n in names]

    return build


# --- the generated mix ---------------------------------------------------------------------

_SIZES = (("2", "8Gi"), ("4", "16Gi"), ("8", "32Gi"), ("16", "64Gi"))
_MIX_ZONES = ("zone-a", "zone-b", "zone-c")
_GPU_TAINT = Taint(key="dedicated", value="gpu", effect="NoSchedule")
_GPU_TOLERATION = Toleration(key="dedicated", operator="Equal", value="gpu", effect="NoSchedule")


def mixed_nodes(rng: random.Random, count: int) -> list[Node]:
    """Nodes of four sizes over three zones, half SSD, a fifth tainted ``dedicated=gpu``."""
    nodes = []
    for name in unique_names(rng, "mixed-", count):
        cpu, memory = rng.choice(_SIZES)
        labels = {ZONE: rng.choice(_MIX_ZONES), "disktype": rng.choice(("ssd", "hdd"))}
        taints = (_GPU_TAINT,) if rng.random() < 0.2 else ()
        nodes.append(make_node(name, labels, cpu=cpu, memory=memory, taints=taints))
    return nodes


def mixed_pods(rng: random.Random, namespace: str, count: int) -> list[Pod]:
    """Pods of mixed requests; some tolerate the gpu taint, some select SSD or a zone."""
    pods = []
    for name in unique_names(rng, "mixed-pod-", count):
        container = _container(
            rng.choice(("50m", "100m", "250m", "500m")),
            rng.choice(("128Mi", "256Mi", "500Mi", "1Gi")),
            limits=rng.random() < 0.5,
        )
        selector: dict[str, str] = {}
        if rng.random() < 0.3:
            selector["disktype"] = "ssd"
        if rng.random() < 0.2:
            selector[ZONE] = rng.choice(_MIX_ZONES)
        tolerations = (_GPU_TOLERATION,) if rng.random() < 0.2 else ()
        pod = make_pod(
            name,
            namespace,
            container,
            labels={"app": rng.choice(("web", "db", "cache", "batch"))},
            node_selector=selector,
            tolerations=tolerations,
        )
        pods.append(pod)
    return pods


# --- workloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One scheduler_perf workload (sizes at full scale)."""

    name: str
    nodes: int
    init: int
    measured: int
    #: Upstream's minimum pods/s (``threshold``), if it has one.
    upstream_min: float | None
    make_nodes: Callable[[random.Random, int], list[Node]]
    init_pods: PodFactory
    measured_pods: PodFactory
    init_ns: str = "namespace-1"
    measured_ns: str = "namespace-2"
    #: Whether the init pods are expected to bind (upstream ``skipWaitToCompletion``).
    wait_init: bool = True
    #: A template created every 200 ms while the measured pods are (upstream ``churn``).
    churn: PodFactory | None = None
    churn_ns: str = "namespace-2"
    notes: str = ""
    seed: int = 0

    def scaled(self, quick: bool) -> Workload:
        """Quick mode: at most 500 nodes, a tenth of the pods, at most 1000 measured."""
        if not quick:
            return self
        return replace(
            self,
            nodes=min(self.nodes, 500),
            init=max(1, self.init // 10),
            measured=max(1, min(1000, self.measured // 10)),
        )


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "SchedulingBasic",
        5000,
        1000,
        10000,
        680,
        default_nodes(),
        pods_of("pod-default.yaml"),
        pods_of("pod-default.yaml"),
        seed=1,
    ),
    Workload(
        "SchedulingBasic (large)",
        5000,
        5000,
        50000,
        810,
        default_nodes(),
        pods_of("pod-default.yaml"),
        pods_of("pod-default.yaml"),
        seed=2,
    ),
    Workload(
        "SchedulingPodAntiAffinity",
        5000,
        1000,
        2000,
        60,
        default_nodes(),
        pods_of("pod-with-pod-anti-affinity.yaml"),
        pods_of("pod-with-pod-anti-affinity.yaml"),
        init_ns="sched-0",
        measured_ns="sched-1",
        seed=3,
    ),
    Workload(
        "SchedulingNodeAffinity",
        5000,
        5000,
        10000,
        220,
        default_nodes(("zone1",)),
        pods_of("pod-with-node-affinity.yaml"),
        pods_of("pod-with-node-affinity.yaml"),
        seed=4,
    ),
    Workload(
        "TopologySpreading",
        5000,
        5000,
        5000,
        85,
        default_nodes(("moon-1", "moon-2", "moon-3")),
        pods_of("pod-default.yaml"),
        pods_of("pod-with-topology-spreading.yaml"),
        seed=5,
    ),
    Workload(
        "PreferredTopologySpreading",
        5000,
        5000,
        5000,
        125,
        default_nodes(("moon-1", "moon-2", "moon-3")),
        pods_of("pod-default.yaml"),
        pods_of("pod-with-preferred-topology-spreading.yaml"),
        seed=6,
    ),
    Workload(
        "PreemptionAsync",
        5000,
        20000,
        5000,
        570,
        default_nodes(),
        pods_of("pod-low-priority.yaml"),
        pods_of("pod-default.yaml"),
        measured_ns="namespace-3",
        churn=pods_of("pod-high-priority.yaml"),
        notes="high-priority 3-CPU pod every 200 ms must preempt 3 of 4 low-priority pods",
        seed=7,
    ),
    Workload(
        "Unschedulable",
        5000,
        100,
        10000,
        590,
        default_nodes(),
        pods_of("pod-default.yaml"),
        pods_of("pod-default.yaml"),
        measured_ns="namespace-3",
        churn=pods_of("pod-high-priority-large-cpu.yaml"),
        notes="upstream default_preemption shape: 9-CPU priority-10 pod every 200 ms, pending",
        seed=8,
    ),
    Workload(
        "Unschedulable (pending init)",
        5000,
        100,
        10000,
        590,
        default_nodes(),
        pods_of("pod-large-cpu.yaml"),
        pods_of("pod-default.yaml"),
        wait_init=False,
        notes="older shape: the init pods are 9-CPU pods that stay pending",
        seed=9,
    ),
    Workload(
        "GeneratedMix",
        5000,
        1000,
        10000,
        None,
        mixed_nodes,
        mixed_pods,
        mixed_pods,
        init_ns="generated",
        measured_ns="generated",
        notes="mixed node sizes/zones/taints; pods with mixed requests/tolerations/selectors",
        seed=10,
    ),
)


# --- running one workload ------------------------------------------------------------------


@dataclass
class Outcome:
    """What one workload run measured."""

    bound: int = 0
    seconds: float = 0.0
    create_seconds: float = 0.0
    setup_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    preemptions: int = 0
    churn_created: int = 0
    attempts: int = 0
    unschedulable: int = 0
    timed_out: bool = False
    latency_source: str = "SchedulerStats.latencies"


def _bound_in(scheduler: Scheduler, namespace: str) -> int:
    return sum(1 for p in scheduler.informers.informer(Pod).list(namespace) if p.spec.node_name)


async def _wait_scheduled(
    scheduler: Scheduler,
    target: int,
    deadline: float,
    namespace: str | None = None,
    in_namespace: int = 0,
) -> bool:
    """Until ``stats.scheduled`` reaches ``target`` and, with ``namespace``, the informer
    shows ``in_namespace`` pods bound there (churn pods bind too, so the counter alone
    over-counts); False on timeout."""
    while time.perf_counter() < deadline:
        if scheduler.stats.scheduled >= target and (
            namespace is None or _bound_in(scheduler, namespace) >= in_namespace
        ):
            return True
        await sleep(0.005)
    return False


def run_workload(w: Workload, time_limit: float) -> Outcome:
    """Run one workload in this process on the real-time runtime."""
    rng = drawn_random(w.seed)
    nodes = w.make_nodes(rng, w.nodes)
    init = w.init_pods(rng, w.init_ns, w.init)
    measured = w.measured_pods(rng, w.measured_ns, w.measured)
    churn_pods = w.churn(rng, w.churn_ns, int(time_limit / CHURN_INTERVAL) + 1) if w.churn else []
    outcome = Outcome()

    async def main() -> Outcome:
        setup0 = time.perf_counter()
        client = LocalClient(await APIServer.start())
        for ns in sorted({w.init_ns, w.measured_ns} | ({w.churn_ns} if w.churn else set())):
            await client.create(Namespace(metadata=ObjectMeta(name=ns)))
        for node in nodes:
            await client.create(node)
        scheduler = Scheduler(client)
        scheduler.start()
        deadline = time.perf_counter() + time_limit
        for pod in init:
            await client.create(pod, namespace=w.init_ns)
        if w.wait_init:
            await _wait_scheduled(scheduler, w.init, deadline)
        await scheduler.wait_idle()
        outcome.setup_seconds = time.perf_counter() - setup0

        base = scheduler.stats.scheduled
        lat_base = len(scheduler.stats.latencies)
        done = False

        async def churn() -> None:
            for pod in churn_pods:
                if done:
                    return
                await client.create(pod, namespace=w.churn_ns)
                outcome.churn_created += 1
                await sleep(CHURN_INTERVAL)

        churner = spawn(churn(), name="bench churn") if w.churn else None
        t0 = time.perf_counter()
        deadline = t0 + time_limit
        for pod in measured:
            await client.create(pod, namespace=w.measured_ns)
        outcome.create_seconds = time.perf_counter() - t0
        ok = await _wait_scheduled(
            scheduler,
            base + w.measured,
            deadline,
            namespace=w.measured_ns if w.churn else None,
            in_namespace=w.measured,
        )
        t1 = time.perf_counter()
        done = True
        if churner is not None:
            churner.cancel()
        outcome.timed_out = not ok
        outcome.seconds = t1 - t0
        outcome.bound = (
            _bound_in(scheduler, w.measured_ns) - (w.init if w.init_ns == w.measured_ns else 0)
            if w.churn or not ok
            else w.measured
        )
        stats = scheduler.stats
        per_attempt = getattr(stats, "attempt_latencies", None)
        if per_attempt:
            outcome.latency_source = "SchedulerStats.attempt_latencies"
            outcome.latencies = list(per_attempt[-w.measured :])
        else:
            outcome.latencies = stats.latencies[lat_base:]
        outcome.preemptions = stats.preemptions
        outcome.attempts = stats.attempts
        outcome.unschedulable = stats.unschedulable
        await scheduler.stop()
        return outcome

    return run(main, backend="asyncio", seed=w.seed)


def _child(w: Workload, time_limit: float, conn: Any) -> None:
    _quiet_logs()
    try:
        outcome = run_workload(w, time_limit)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send(("ok", outcome, rss))
    except BaseException as exc:  # report, don't hang the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0))
    finally:
        conn.close()


def run_isolated(w: Workload, time_limit: float) -> tuple[str, Any, float]:
    """Run ``w`` in a forked child: its own peak RSS, and a crash cannot take the suite."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(w, time_limit, child))
    proc.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        result = ("error", f"child exited with {proc.exitcode}", 0.0)
    proc.join()
    return result


# --- reporting -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def machine_baseline() -> float:
    """Microseconds per ``json.loads`` of a pod manifest: a same-run machine-speed yardstick."""
    manifest = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"generateName": "pod-", "namespace": "namespace-2"},
            "spec": {
                "containers": [
                    {
                        "image": PAUSE,
                        "name": "pause",
                        "ports": [{"containerPort": 80}],
                        "resources": {
                            "limits": {"cpu": "100m", "memory": "500Mi"},
                            "requests": {"cpu": "100m", "memory": "500Mi"},
                        },
                    }
                ]
            },
        }
    )
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(20_000):
            json.loads(manifest)
        best = min(best, time.perf_counter() - t)
    return best / 20_000 * 1e6


def _quiet_logs() -> None:
    # The scheduler logs each failed attempt; keep the table readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main(*, quick: bool = False, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the workloads (``only``: a subset by name), print a table, write the JSON."""
    _quiet_logs()
    baseline_us = machine_baseline()
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for full in WORKLOADS:
        if only and full.name not in only:
            continue
        w = full.scaled(quick)
        time_limit = 120.0 if quick else 900.0
        status, outcome, rss = run_isolated(w, time_limit)
        row: dict[str, Any] = {
            "workload": w.name,
            "nodes": w.nodes,
            "init_pods": w.init,
            "measured_pods": w.measured,
            "upstream_min_pods_per_s": w.upstream_min,
            "notes": w.notes,
        }
        if status != "ok":
            row["error"] = outcome
            rows.append(row)
            print(f"{w.name}: ERROR {outcome}")
            continue
        rate = outcome.bound / outcome.seconds if outcome.seconds else 0.0
        lat = outcome.latencies
        row.update(
            {
                "pods_per_s": round(rate, 1),
                "ratio_to_upstream_min": (
                    float(f"{rate / w.upstream_min:.3g}") if w.upstream_min else None
                ),
                "bound": outcome.bound,
                "seconds": round(outcome.seconds, 3),
                "create_seconds": round(outcome.create_seconds, 3),
                "setup_seconds": round(outcome.setup_seconds, 3),
                "latency_p50_ms": round(percentile(lat, 0.5) * 1e3, 2) if lat else None,
                "latency_p99_ms": round(percentile(lat, 0.99) * 1e3, 2) if lat else None,
                "latency_mean_ms": round(statistics.fmean(lat) * 1e3, 2) if lat else None,
                "latency_samples": len(lat),
                "latency_source": outcome.latency_source,
                "peak_rss_mib": round(rss, 1),
                "attempts": outcome.attempts,
                "unschedulable_attempts": outcome.unschedulable,
                "preemptions": outcome.preemptions,
                "churn_pods_created": outcome.churn_created,
                "timed_out": outcome.timed_out,
            }
        )
        rows.append(row)
        _print_row(row)
    result = {
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "baseline": "json.loads of a pod manifest (same run)",
        "baseline_us": round(baseline_us, 3),
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if not only else "-" + "-".join(n.split()[0] for n in only)
    name = f"scheduler{'-quick' if quick else ''}{suffix}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"baseline: json.loads(pod) {baseline_us:.2f} us; load average "
        f"{load_before[0]:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    return result


_HEADER = (
    f"{'workload':<30} {'nodes':>5} {'init':>6} {'meas':>6} {'pods/s':>8} {'up.min':>6} "
    f"{'ratio':>6} {'p50 ms':>9} {'p99 ms':>9} {'MiB':>6} {'preempt':>7}"
)
_printed_header = False


def _print_row(r: dict[str, Any]) -> None:
    global _printed_header
    if not _printed_header:
        print(_HEADER)
        _printed_header = True
    up = "" if r["upstream_min_pods_per_s"] is None else f"{r['upstream_min_pods_per_s']:.0f}"
    ratio = "" if r["ratio_to_upstream_min"] is None else f"{r['ratio_to_upstream_min']:.3g}"
    p50 = "" if r["latency_p50_ms"] is None else f"{r['latency_p50_ms']:.1f}"
    p99 = "" if r["latency_p99_ms"] is None else f"{r['latency_p99_ms']:.1f}"
    flag = " TIMEOUT" if r["timed_out"] else ""
    print(
        f"{r['workload']:<30} {r['nodes']:>5} {r['init_pods']:>6} {r['measured_pods']:>6} "
        f"{r['pods_per_s']:>8.1f} {up:>6} {ratio:>6} {p50:>9} {p99:>9} "
        f"{r['peak_rss_mib']:>6.0f} {r['preemptions']:>7}{flag}",
        flush=True,
    )


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    names = tuple(a for a in args if not a.startswith("--"))
    main(quick="--full" not in args, only=names)
