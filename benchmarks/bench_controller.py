"""Controller latency: from a write to the start of the reconcile that sees it, p50 and p99,
under a steady write load, in real time (the runtime's asyncio backend,
``kube_actors.runtime.run``), beside a baseline measured in the same run: the same writer
handing its timestamps to a consumer through a bare ``asyncio.Queue``.

A writer creates ``OBJECTS`` ConfigMaps, then keeps updating them round-robin at a steady
rate, stamping each write's time (the runtime's clock, just before the call) into an
annotation. A controller watching ConfigMaps reads the object from its informer cache at the
start of each reconcile; the latency is that moment less the stamp of the write it sees.
Writes to one object that arrive while it is queued collapse into one reconcile (as they do
upstream), so there are fewer samples than writes; each sample is the latency of the newest
write the reconcile saw.
"""

from __future__ import annotations

import asyncio
import gc
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from kube_actors.api import ConfigMap, ObjectMeta, replace
from kube_actors.client import LocalClient
from kube_actors.controller import ControllerBuilder, Manager, Request, Result
from kube_actors.runtime import now, run, sleep, sleep_until
from kube_actors.store import APIServer

RESULTS = Path(__file__).resolve().parent / "results"
#: Objects the writer cycles through.
OBJECTS = 100
STAMP = "bench.kube-actors.io/written-at"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def controller_latencies(rate: float, seconds: float, workers: int) -> tuple[list[float], int]:
    """Write ``rate`` writes/s for ``seconds``; the latencies seen and the writes made."""

    async def main() -> tuple[list[float], int]:
        client = LocalClient(await APIServer.start())
        manager = Manager(client)
        cache = manager.informer(ConfigMap)
        latencies: list[float] = []

        async def reconcile(request: Request) -> Result:
            seen = now()
            obj = cache.get(request.name, request.namespace)
            if obj is not None and STAMP in obj.metadata.annotations:
                latencies.append(seen - float(obj.metadata.annotations[STAMP]))
            return Result()

        (
            ControllerBuilder(manager)
            .for_(ConfigMap, namespace="bench")
            .with_options(max_concurrent_reconciles=workers)
            .complete(reconcile)
        )
        await client.create(_namespace())
        manager.start()
        await manager.wait_elected()
        objects: list[ConfigMap] = []
        start = now()
        total = int(rate * seconds)
        for i in range(total):
            await sleep_until(start + i / rate)
            stamp = {STAMP: repr(now())}
            if i < OBJECTS:
                meta = ObjectMeta(name=f"cm-{i}", namespace="bench", annotations=stamp)
                objects.append(await client.create(ConfigMap(metadata=meta)))
            else:
                k = i % OBJECTS
                old = objects[k]
                objects[k] = await client.update(
                    replace(old, metadata=replace(old.metadata, annotations=stamp))
                )
        await sleep(0.5)  # let the last writes be reconciled
        await manager.stop()
        return latencies, total

    return run(main, backend="asyncio", seed=0)


def _namespace() -> Any:
    from kube_actors.api import Namespace

    return Namespace(metadata=ObjectMeta(name="bench"))


def queue_latencies(rate: float, seconds: float) -> list[float]:
    """Baseline: the same steady writer putting its timestamps on an ``asyncio.Queue``, one
    consumer taking them; latency = get time less put time."""

    async def main() -> list[float]:
        queue: asyncio.Queue[float | None] = asyncio.Queue()
        latencies: list[float] = []

        async def consumer() -> None:
            while (stamp := await queue.get()) is not None:
                latencies.append(time.perf_counter() - stamp)

        task = asyncio.create_task(consumer())
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
            queue.put_nowait(time.perf_counter())
        queue.put_nowait(None)
        await task
        return latencies

    return asyncio.run(main())


def main(*, quick: bool = False) -> dict[str, Any]:
    seconds = 2.0 if quick else 5.0
    rates = (200.0, 1000.0) if quick else (200.0, 1000.0, 3000.0)
    rows: list[dict[str, Any]] = []
    for rate in rates:
        for workers in (1, 4):
            gc.collect()
            latencies, writes = controller_latencies(rate, seconds, workers)
            base = queue_latencies(rate, seconds)
            for q, label in ((0.5, "p50"), (0.99, "p99")):
                value = percentile(latencies, q) * 1e3
                baseline = percentile(base, q) * 1e3
                rows.append(
                    {
                        "benchmark": f"write->reconcile {label}, {rate:,.0f} writes/s, "
                        f"{workers} worker{'' if workers == 1 else 's'}",
                        "value": round(value, 3),
                        "unit": "ms",
                        "baseline": "asyncio.Queue hand-off",
                        "baseline_value": round(baseline, 3),
                        "ratio": float(f"{value / baseline:.3g}") if baseline else None,
                        "samples": len(latencies),
                        "writes": writes,
                        "mean_ms": round(statistics.fmean(latencies) * 1e3, 3),
                    }
                )
    result = {
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "seconds_per_run": seconds,
        "objects": OBJECTS,
        "results": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "controller.json").write_text(json.dumps(result, indent=2) + "\n")
    header = ("benchmark", "value", "unit", "baseline", "baseline", "ratio", "samples/writes")
    print("{:<52} {:>9} {:<4} {:<24} {:>9} {:>7} {}".format(*header))
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3g}"
        print(
            f"{r['benchmark']:<52} {r['value']:>9.3f} {r['unit']:<4} {r['baseline']:<24} "
            f"{r['baseline_value']:>9.3f} {ratio:>7} {r['samples']}/{r['writes']}"
        )
    return result


if __name__ == "__main__":
    main(quick=True)
