"""Store speed and memory: pod writes/s through the API server with 0, 1 and 10 watchers, watch
events delivered/s, and the bytes the store adds per stored pod, each beside a baseline measured
in the same run (machines here are noisy, so the ratio is the number to compare across runs).

Writes run inside ``simulate()`` (virtual time), timed by the wall clock around the batch. The
writer yields to the watchers every ``YIELD_EVERY`` writes, as a server serving many clients
interleaves them; the batch ends when every watcher has received every event, so the delivered
rate counts the watchers' own work too.
"""

from __future__ import annotations

import gc
import json
import platform
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks.bench_api import running_pod
from kube_actors.api import FrozenDict, ObjectMeta, Pod, PodStatus, from_dict, replace
from kube_actors.runtime import checkpoint, simulate, spawn
from kube_actors.store import APIServer, MemoryBackend, storage_prefix
from kube_actors.store.admission import AdmissionPlugin

RESULTS = Path(__file__).resolve().parent / "results"
#: Writes between the writer's yields to other tasks (the watchers).
YIELD_EVERY = 500
#: The issue's targets.
TARGET_WRITES = 30_000
TARGET_EVENTS = 300_000
TARGET_STORE_BYTES = 1024


def new_pod_dict(i: int) -> dict[str, Any]:
    """The running pod of ``bench_api`` as a client would create it (no uid, no version)."""
    data = running_pod(i)
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        del data["metadata"][key]
    return data


def new_pod(i: int) -> Pod:
    """:func:`new_pod_dict` as an object."""
    return from_dict(new_pod_dict(i), Pod)


def relabel(pod: Pod) -> Pod:
    """The update each benchmark makes: one label more (metadata only, no new generation)."""
    meta = pod.metadata
    return attrs.evolve(pod, metadata=attrs.evolve(meta, labels={**meta.labels, "rev": "2"}))


def stamp(obj: Any, revision: int) -> Any:
    """``metadata.resourceVersion`` set to ``revision``, as the API server stamps what it stores."""
    rv = str(revision)
    return attrs.evolve(obj, metadata=attrs.evolve(obj.metadata, resource_version=rv))


# --- the measured runs: each returns (wall seconds, events delivered to all watchers) ---------


async def _drain(watch: Any, counts: list[int], index: int) -> None:
    while True:
        counts[index] += len(await watch.next_batch())


async def _until_delivered(counts: list[int], expected: int) -> None:
    while any(count < expected for count in counts):
        await checkpoint()


def server_writes(
    pods: Sequence[Pod], watchers: int, admission: Sequence[AdmissionPlugin] | None
) -> tuple[float, int]:
    """Create every pod, then update every pod, through an :class:`APIServer`."""

    async def main() -> tuple[float, int]:
        server = await APIServer.start(admission=admission)
        counts = [0] * watchers
        for k in range(watchers):
            spawn(_drain(await server.watch(Pod), counts, k), f"watcher-{k}")
        await checkpoint()
        create, update = server.create, server.update
        start = time.perf_counter()
        stored = []
        for i, pod in enumerate(pods, 1):
            stored.append(await create(pod))
            if i % YIELD_EVERY == 0:
                await checkpoint()
        for i, pod in enumerate(stored, 1):
            await update(relabel(pod))
            if i % YIELD_EVERY == 0:
                await checkpoint()
        await _until_delivered(counts, 2 * len(pods))
        return time.perf_counter() - start, sum(counts)

    return simulate(main, seed=0).value


TEMPLATES = 10


def template_pods(n: int) -> list[Pod]:
    """``n`` pods as ReplicaSet controllers create them from ``TEMPLATES`` templates: each pod
    carries its template's own spec and labels objects (objects are shared, never copied),
    a generateName and an owner reference to its ReplicaSet."""
    base = new_pod(0)
    templates = []
    for t in range(TEMPLATES):
        labels = FrozenDict({"app": f"web-{t}", "pod-template-hash": f"7d4b9c8f{t:02d}"})
        spec = attrs.evolve(base.spec, node_name="")
        owner = attrs.evolve(base.metadata.owner_references[0], name=f"web-{t}")
        templates.append((labels, spec, owner))
    pods = []
    for i in range(n):
        labels, spec, owner = templates[i % TEMPLATES]
        meta = ObjectMeta(
            generate_name=f"{owner.name}-",
            namespace="default",
            labels=labels,
            owner_references=(owner,),
        )
        pods.append(Pod(metadata=meta, spec=spec))
    return pods


RUNNING = PodStatus(phase="Running", host_ip="10.0.0.1", pod_ip="10.244.0.2")


def lifecycle_writes(
    pods: Sequence[Pod], watchers: int, admission: Sequence[AdmissionPlugin] | None
) -> tuple[float, int]:
    """Each pod's writes in a cluster: the ReplicaSet creates it, the scheduler binds it, the
    kubelet reports it Running (3 writes per pod), through an :class:`APIServer`."""

    async def main() -> tuple[float, int]:
        server = await APIServer.start(admission=admission)
        counts = [0] * watchers
        for k in range(watchers):
            spawn(_drain(await server.watch(Pod), counts, k), f"watcher-{k}")
        await checkpoint()
        create, bind, update_status = server.create, server.bind, server.update_status
        start = time.perf_counter()
        stored = []
        for i, pod in enumerate(pods, 1):
            stored.append(await create(pod))
            if i % YIELD_EVERY == 0:
                await checkpoint()
        for i, pod in enumerate(stored, 1):
            bound = await bind(pod.metadata.name, f"node-{i % 100}")
            await update_status(replace(bound, status=RUNNING))
            if i % (YIELD_EVERY // 2) == 0:
                await checkpoint()
        await _until_delivered(counts, 3 * len(pods))
        return time.perf_counter() - start, sum(counts)

    return simulate(main, seed=0).value


def backend_writes(pods: Sequence[Pod], watchers: int) -> tuple[float, int]:
    """The same writes straight to a :class:`MemoryBackend` (no API server, no admission)."""
    prefix = storage_prefix(APIServer().registry.for_class(Pod), "default")
    keys = [prefix + pod.metadata.name for pod in pods]

    async def main() -> tuple[float, int]:
        backend = MemoryBackend(stamp)
        counts = [0] * watchers
        for k in range(watchers):
            spawn(_drain(await backend.watch(prefix, 0), counts, k), f"watcher-{k}")
        await checkpoint()
        start = time.perf_counter()
        stored = []
        for i, (key, pod) in enumerate(zip(keys, pods, strict=True), 1):
            stored.append(await backend.create(key, pod))
            if i % YIELD_EVERY == 0:
                await checkpoint()
        for i, current in enumerate(stored, 1):
            await backend.update(
                current.key, relabel(current.value), expected_revision=current.mod_revision
            )
            if i % YIELD_EVERY == 0:
                await checkpoint()
        await _until_delivered(counts, 2 * len(pods))
        return time.perf_counter() - start, sum(counts)

    return simulate(main, seed=0).value


def bare_writes(pods: Sequence[Pod]) -> float:
    """Baseline: a dict insert of each pod stamped with a revision, then of each relabelled."""
    start = time.perf_counter()
    store: dict[str, Any] = {}
    revision = 0
    for pod in pods:
        revision += 1
        store[pod.metadata.name] = stamp(pod, revision)
    for name, pod in list(store.items()):
        revision += 1
        store[name] = stamp(relabel(pod), revision)
    return time.perf_counter() - start


def bare_fanout(events: int, watchers: int) -> float:
    """Baseline: append each of ``events`` to ``watchers`` lists, then count them."""
    event = object()
    start = time.perf_counter()
    queues: list[list[object]] = [[] for _ in range(watchers)]
    for _ in range(events):
        for queue in queues:
            queue.append(event)
    assert sum(len(queue) for queue in queues) == events * watchers
    return time.perf_counter() - start


def paired_best(
    fn: Callable[[], tuple[float, int]], baseline: Callable[[], float], repeat: int
) -> tuple[float, int, float]:
    """Best (least) wall time of ``fn`` and of ``baseline``, their runs alternating, and the
    events ``fn`` delivered."""
    best_fn, best_baseline, delivered = float("inf"), float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        seconds, delivered = fn()
        best_fn = min(best_fn, seconds)
        for _ in range(3):  # the baseline is cheap: more samples steady it
            gc.collect()
            best_baseline = min(best_baseline, baseline())
    return best_fn, delivered, best_baseline


# --- memory ------------------------------------------------------------------------------------


def object_bytes(n: int) -> float:
    """Bytes per pod object as ``from_dict`` builds it from JSON (tracemalloc)."""
    texts = [json.dumps(new_pod_dict(i)) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pods = [from_dict(json.loads(text), Pod) for text in texts]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(pods) == n
    return (after - before) / n


def store_bytes(
    pods: Sequence[Pod], admission: Sequence[AdmissionPlugin] | None
) -> tuple[float, float]:
    """Bytes per pod (tracemalloc) that storing ``pods`` through an :class:`APIServer` takes,
    less what an empty server takes (its namespaces, the runtime):

    - what the server makes of each pod and stores (its own metadata with uid, timestamps and
      resourceVersion, and whatever admission adds: defaults, tolerations), kept alive here
      by the caller's list of the returned objects;
    - what the store holds on top of the stored objects: the key, the record, the sorted key
      index, the history (watch window) events: what is freed when the server is dropped
      while the caller still holds the stored objects.
    """
    made, overhead = _store_bytes(pods, admission)
    empty_made, empty_overhead = _store_bytes((), admission)
    n = len(pods)
    return (made - empty_made) / n, (overhead - empty_overhead) / n


def _store_bytes(
    pods: Sequence[Pod], admission: Sequence[AdmissionPlugin] | None
) -> tuple[int, int]:
    holder: list[APIServer] = []
    stored: list[Pod] = []

    async def main() -> None:
        server = await APIServer.start(admission=admission)
        holder.append(server)
        create = server.create
        for pod in pods:
            stored.append(await create(pod))

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        simulate(main, seed=0)
        gc.collect()
        with_store = tracemalloc.get_traced_memory()[0]
        holder.clear()
        gc.collect()
        objects_only = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(stored) == len(pods)
    return objects_only - before, with_store - objects_only


# --- main --------------------------------------------------------------------------------------


def main(*, quick: bool = False) -> dict[str, Any]:
    n = 1_000 if quick else 5_000  # pods: each is created then updated, 2n writes
    n_fast = 2_000 if quick else 10_000  # for the runs without admission, which are faster
    # Memory: tracemalloc makes the default chain's many small allocations some 5x slower, so
    # the store at full size is measured with admission=[] (the store's own structures do not
    # depend on admission) and the default chain at a tenth of it.
    n_mem = 10_000 if quick else 100_000
    n_mem_default = 2_000 if quick else 10_000
    repeat = 2 if quick else 3
    pods = [new_pod(i) for i in range(max(n, n_fast, n_mem))]
    gc.collect()
    gc.freeze()  # the fixtures are long-lived: keep full collections from walking them
    rows: list[dict[str, Any]] = []

    def row(
        name: str,
        value: float,
        unit: str,
        baseline_name: str,
        baseline: float,
        target: str = "",
    ) -> None:
        rows.append(
            {
                "benchmark": name,
                "value": round(value),
                "unit": unit,
                "baseline": baseline_name,
                "baseline_value": round(baseline),
                "ratio": float(f"{value / baseline:.3g}"),
                "target": target,
            }
        )

    bare_name = "dict insert + attrs.evolve"
    fanout_name = "list.append fan-out, same count"
    lifecycle = template_pods(n)
    Run = Callable[[int], tuple[float, int]]
    # label, watchers, writes, run, target?
    scenarios: list[tuple[str, int, int, Run, bool]] = []
    for w in (0, 1, 10):
        scenarios.append(
            (
                "pod lifecycle, API server",
                w,
                3 * n,
                lambda w: lifecycle_writes(lifecycle, w, None),
                w == 10,
            )
        )
    scenarios.append(
        (
            "pod lifecycle, admission=[]",
            10,
            3 * n,
            lambda w: lifecycle_writes(lifecycle, w, []),
            False,
        )
    )
    for w in (0, 10):
        scenarios.append(
            (
                "standalone pods, API server",
                w,
                2 * n,
                lambda w: server_writes(pods[:n], w, None),
                False,
            )
        )
    for w in (0, 10):
        scenarios.append(
            (
                "standalone pods, MemoryBackend alone",
                w,
                2 * n_fast,
                lambda w: backend_writes(pods[:n_fast], w),
                False,
            )
        )
    delivered_rates: list[tuple[str, int, int, float, bool]] = []
    for what, watchers, writes, run, targeted in scenarios:
        label = f"{what}, {watchers} watcher{'' if watchers == 1 else 's'}"
        count = writes // (3 if what.startswith("pod lifecycle") else 2)
        seconds, delivered, base = paired_best(
            lambda run=run, watchers=watchers: run(watchers),
            lambda count=count: bare_writes(pods[:count]),
            repeat,
        )
        target = f">= {TARGET_WRITES:,}" if targeted else ""
        base_rate = 2 * count / base
        row(f"writes, {label}", writes / seconds, "writes/s", bare_name, base_rate, target)
        if watchers:
            assert delivered == writes * watchers, (label, delivered)
            delivered_rates.append((label, watchers, writes, delivered / seconds, targeted))
    for label, watchers, writes, rate, targeted in delivered_rates:
        fanout = min(bare_fanout(writes, watchers) for _ in range(repeat))
        target = f">= {TARGET_EVENTS:,}" if targeted else ""
        row(
            f"events delivered, {label}",
            rate,
            "events/s",
            fanout_name,
            writes * watchers / fanout,
            target,
        )

    alone = object_bytes(n_mem_default)  # the same shape for every pod: a sample will do
    alone_name = "the pod object alone (from_dict)"
    for count, admission, how in (
        (n_mem, [], "admission=[]"),
        (n_mem_default, None, "default chain"),
    ):
        made, overhead = store_bytes(pods[:count], admission)
        row(
            f"store overhead per pod, {count:,} pods, {how}",
            overhead,
            "bytes",
            alone_name,
            alone,
            f"<= {TARGET_STORE_BYTES:,}",
        )
        row(f"server-made content per pod, {how}", made, "bytes", alone_name, alone)
    gc.unfreeze()

    result = {
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "pods": n,
        "pods_without_admission": n_fast,
        "memory_pods": n_mem,
        "memory_pods_default_chain": n_mem_default,
        "yield_every": YIELD_EVERY,
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(result, indent=2) + "\n")
    header = ("benchmark", "value", "unit", "baseline", "baseline", "ratio", "target")
    print("{:<60} {:>11} {:<8} {:<32} {:>11} {:>9} {:<10}".format(*header))
    for r in rows:
        print(
            f"{r['benchmark']:<60} {r['value']:>11,} {r['unit']:<8} {r['baseline']:<32} "
            f"{r['baseline_value']:>11,} {r['ratio']:>9.3g} {r['target']:<10}"
        )
    return result


if __name__ == "__main__":
    main(quick=True)
