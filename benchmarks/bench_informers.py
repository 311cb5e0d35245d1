"""Informer speed: handler events delivered/s when one writer feeds 10 informers, each beside a
baseline measured in the same run (machines here are noisy, so the ratio is the number to
compare across runs).

The fan-out runs are the pod lifecycle of ``bench_store`` (each pod created from one of 10
templates, bound, reported Running: 3 writes per pod) through an :class:`APIServer`, watched by
10 separate (not shared) informers of pods, each with one handler that counts its calls. The
writer yields every ``YIELD_EVERY`` writes; a run ends when every handler has been told about
every write, so the rate counts the writer, the server's fan-out and the informers. The
baseline is the same writes watched by 10 bare watches draining ``next_batch()``: the ratio is
what the informers' reflector, cache and handler calls cost on top of the watch itself.

``admission=[]`` rows leave the admission chain out: with the default chain, admission is most
of the writer's time (see ``bench_store``), so those rows measure the informers; the default
chain is reported beside them.
"""

from __future__ import annotations

import functools
import gc
import json
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.bench_store import RUNNING, template_pods
from kube_actors.api import Pod, replace
from kube_actors.client import LocalClient
from kube_actors.informers import HandlerFuncs, Informer
from kube_actors.runtime import checkpoint, simulate, spawn
from kube_actors.store import APIServer, WatchEvent
from kube_actors.store.admission import AdmissionPlugin

RESULTS = Path(__file__).resolve().parent / "results"
#: Writes between the writer's yields to other tasks (the informers).
YIELD_EVERY = 500
#: The issue's target: handler events delivered per second, 1 writer and 10 informers.
TARGET_EVENTS = 200_000


def _counting_handler(counts: list[int], index: int) -> HandlerFuncs[Pod]:
    def on_add(obj: Pod, initial: bool) -> None:
        counts[index] += 1

    def on_update(old: Pod, new: Pod) -> None:
        counts[index] += 1

    def on_delete(obj: Any) -> None:
        counts[index] += 1

    return HandlerFuncs(on_add=on_add, on_update=on_update, on_delete=on_delete)


async def _writes(server: APIServer, pods: Sequence[Pod]) -> None:
    """The pod lifecycle: create, bind, report Running (3 writes per pod)."""
    create, bind, update_status = server.create, server.bind, server.update_status
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


async def _until_delivered(counts: list[int], expected: int) -> None:
    while any(count < expected for count in counts):
        await checkpoint()


def informer_fanout(
    pods: Sequence[Pod],
    informers: int,
    admission: Sequence[AdmissionPlugin] | None,
    indexers: dict[str, Callable[[Any], list[str]]] | None = None,
) -> tuple[float, int]:
    """Wall seconds for the lifecycle writes until every informer's handler saw them all, and
    the handler events delivered."""

    async def main() -> tuple[float, int]:
        server = await APIServer.start(admission=admission)
        client = LocalClient(server)
        counts = [0] * informers
        started = []
        for k in range(informers):
            informer = Informer(client, Pod, indexers=indexers)
            informer.add_handler(_counting_handler(counts, k))
            informer.start()
            started.append(informer)
        for informer in started:
            await informer.wait_for_sync()
        start = time.perf_counter()
        await _writes(server, pods)
        await _until_delivered(counts, 3 * len(pods))
        seconds = time.perf_counter() - start
        for informer in started:
            await informer.stop()
        return seconds, sum(counts)

    return simulate(main, seed=0).value


async def _drain(watch: Any, counts: list[int], index: int) -> None:
    while True:
        counts[index] += len(await watch.next_batch())


def bare_watches(
    pods: Sequence[Pod], watchers: int, admission: Sequence[AdmissionPlugin] | None
) -> tuple[float, int]:
    """Baseline: the same writes, watched by bare watches that only count their events."""

    async def main() -> tuple[float, int]:
        server = await APIServer.start(admission=admission)
        counts = [0] * watchers
        for k in range(watchers):
            spawn(_drain(await server.watch(Pod), counts, k), f"watcher-{k}")
        await checkpoint()
        start = time.perf_counter()
        await _writes(server, pods)
        await _until_delivered(counts, 3 * len(pods))
        return time.perf_counter() - start, sum(counts)

    return simulate(main, seed=0).value


def recorded_events(pods: Sequence[Pod]) -> list[WatchEvent[Pod]]:
    """The watch events of the lifecycle writes, recorded once."""

    async def main() -> list[WatchEvent[Pod]]:
        server = await APIServer.start(admission=[])
        watch = await server.watch(Pod)
        events: list[WatchEvent[Pod]] = []

        async def collect() -> None:
            while True:
                events.extend(await watch.next_batch())

        spawn(collect(), "collector")
        await _writes(server, pods)
        while len(events) < 3 * len(pods):
            await checkpoint()
        watch.close()
        return events

    return simulate(main, seed=0).value


def apply_alone(events: Sequence[WatchEvent[Pod]], batch: int) -> float:
    """Wall seconds for one informer to apply ``events`` (in batches) with one handler."""
    counts = [0]
    informer = Informer(None, Pod)  # type: ignore[arg-type]  # never started: no client needed
    informer.add_handler(_counting_handler(counts, 0))
    informer.replace([], "1")
    chunks = [list(events[i : i + batch]) for i in range(0, len(events), batch)]
    start = time.perf_counter()
    for chunk in chunks:
        informer.apply(chunk, chunk[-1].resource_version)
    seconds = time.perf_counter() - start
    assert counts[0] == len(events)
    return seconds


def dict_apply(events: Sequence[WatchEvent[Pod]], batch: int) -> float:
    """Baseline: a dict insert per event by ``namespace/name`` and a counter, nothing else."""
    chunks = [list(events[i : i + batch]) for i in range(0, len(events), batch)]
    store: dict[str, Any] = {}
    count = 0
    start = time.perf_counter()
    for chunk in chunks:
        for event in chunk:
            meta = event.object.metadata  # type: ignore[union-attr]
            store[f"{meta.namespace}/{meta.name}"] = event.object
            count += 1
    seconds = time.perf_counter() - start
    assert count == len(events)
    return seconds


def paired_best(
    fn: Callable[[], tuple[float, int]], baseline: Callable[[], tuple[float, int]], repeat: int
) -> tuple[float, int, float, int]:
    """Best (least) wall time of ``fn`` and of ``baseline``, their runs alternating."""
    best_fn, best_base, delivered, base_delivered = float("inf"), float("inf"), 0, 0
    for _ in range(repeat):
        gc.collect()
        seconds, delivered = fn()
        best_fn = min(best_fn, seconds)
        gc.collect()
        base_seconds, base_delivered = baseline()
        best_base = min(best_base, base_seconds)
    return best_fn, delivered, best_base, base_delivered


def main(*, quick: bool = False) -> dict[str, Any]:
    n = 1_000 if quick else 5_000  # pods: 3 writes each
    repeat = 3 if quick else 5
    pods = template_pods(n)
    gc.collect()
    gc.freeze()  # the fixtures are long-lived: keep full collections from walking them
    rows: list[dict[str, Any]] = []

    def row(
        name: str, value: float, unit: str, baseline_name: str, baseline: float, target: str = ""
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

    by_node: dict[str, Callable[[Any], list[str]]] = {
        "node": lambda pod: [pod.spec.node_name] if pod.spec.node_name else []
    }
    # label, informers, admission, indexers, targeted
    scenarios: list[tuple[str, int, list[AdmissionPlugin] | None, Any, bool]] = [
        ("admission=[]", 10, [], None, True),
        ("default chain", 10, None, None, False),
        ("admission=[], node index", 10, [], by_node, False),
        ("admission=[]", 1, [], None, False),
    ]
    writes = 3 * n
    for label, informers, admission, indexers, targeted in scenarios:
        seconds, delivered, base_seconds, base_delivered = paired_best(
            functools.partial(informer_fanout, pods, informers, admission, indexers),
            functools.partial(bare_watches, pods, informers, admission),
            repeat,
        )
        assert delivered == writes * informers, (label, delivered)
        assert base_delivered == writes * informers, (label, base_delivered)
        plural = "" if informers == 1 else "s"
        row(
            f"handler events, pod lifecycle, {label}, {informers} informer{plural}",
            delivered / seconds,
            "events/s",
            f"{informers} bare watch{'' if informers == 1 else 'es'}, same writes",
            base_delivered / base_seconds,
            f">= {TARGET_EVENTS:,}" if targeted else "",
        )
    events = recorded_events(pods)
    for batch in (500, 1):
        informer_seconds = min(apply_alone(events, batch) for _ in range(repeat + 2))
        dict_seconds = min(dict_apply(events, batch) for _ in range(repeat + 2))
        row(
            f"informer apply() alone, batches of {batch}, 1 handler",
            len(events) / informer_seconds,
            "events/s",
            "dict insert per event",
            len(events) / dict_seconds,
        )
    gc.unfreeze()

    result = {
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "pods": n,
        "writes": writes,
        "yield_every": YIELD_EVERY,
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "informers.json").write_text(json.dumps(result, indent=2) + "\n")
    header = ("benchmark", "value", "unit", "baseline", "baseline", "ratio", "target")
    print("{:<66} {:>11} {:<8} {:<30} {:>11} {:>7} {:<10}".format(*header))
    for r in rows:
        print(
            f"{r['benchmark']:<66} {r['value']:>11,} {r['unit']:<8} {r['baseline']:<30} "
            f"{r['baseline_value']:>11,} {r['ratio']:>7.3g} {r['target']:<10}"
        )
    return result


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv[1:])
