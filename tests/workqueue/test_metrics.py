"""Workqueue metrics: upstream names, label ``name``, durations on the (virtual) clock."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from kube_actors.runtime import current_runtime, simulate, sleep, spawn
from kube_actors.workqueue import (
    DURATION_BUCKETS,
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    NoopMetricsProvider,
    PrometheusMetricsProvider,
    RateLimitingQueue,
    WorkQueue,
)
from kube_actors.workqueue.metrics import QueueMetrics

NAMES = (
    "workqueue_depth",
    "workqueue_adds_total",
    "workqueue_queue_duration_seconds",
    "workqueue_work_duration_seconds",
    "workqueue_unfinished_work_seconds",
    "workqueue_longest_running_processor_seconds",
    "workqueue_retries_total",
)


def value(registry: CollectorRegistry, metric: str, name: str = "q") -> float | None:
    return registry.get_sample_value(metric, {"name": name})


def test_the_upstream_metric_families_are_registered() -> None:
    registry = CollectorRegistry()
    PrometheusMetricsProvider(registry)
    families = {family.name: family.type for family in registry.collect()}
    assert families == {
        "workqueue_depth": "gauge",
        "workqueue_adds": "counter",  # exposed as workqueue_adds_total
        "workqueue_queue_duration_seconds": "histogram",
        "workqueue_work_duration_seconds": "histogram",
        "workqueue_unfinished_work_seconds": "gauge",
        "workqueue_longest_running_processor_seconds": "gauge",
        "workqueue_retries": "counter",
    }


def test_depth_adds_and_durations() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)

    async def main() -> None:
        q: WorkQueue[str] = WorkQueue(name="q", metrics=provider)
        q.add("a")
        q.add("b")
        q.add("a")  # collapsed: not an add
        assert value(registry, "workqueue_depth") == 2
        assert value(registry, "workqueue_adds_total") == 2
        await sleep(2)
        key = await q.get()  # a waited 2 s
        assert value(registry, "workqueue_depth") == 1
        q.add("a")  # dirty while processing: counted in depth and adds
        assert value(registry, "workqueue_depth") == 2
        assert value(registry, "workqueue_adds_total") == 3
        await sleep(3)
        q.done(key)  # a worked 3 s; queued again, its queue time running since t=2
        assert value(registry, "workqueue_depth") == 2  # no second count for the requeue
        await sleep(1)
        b = await q.get()  # b waited 6 s
        q.done(b)
        a = await q.get()  # a waited 4 s (from its add at t=2)
        await sleep(0.5)
        q.done(a)
        assert value(registry, "workqueue_depth") == 0

    simulate(main, seed=0)
    assert value(registry, "workqueue_queue_duration_seconds_count") == 3
    assert value(registry, "workqueue_queue_duration_seconds_sum") == 2 + 6 + 4
    assert value(registry, "workqueue_work_duration_seconds_count") == 3
    assert value(registry, "workqueue_work_duration_seconds_sum") == 3 + 0 + 0.5
    bucket = "workqueue_work_duration_seconds_bucket"
    assert registry.get_sample_value(bucket, {"name": "q", "le": "1.0"}) == 2
    assert registry.get_sample_value(bucket, {"name": "q", "le": "10.0"}) == 3
    assert value(registry, "workqueue_retries_total") == 0


def test_duration_buckets_are_client_gos() -> None:
    assert tuple(10.0**e for e in range(-8, 4)) == DURATION_BUCKETS
    # Labelled as prometheus_client labels its own histograms' buckets.

    # Labelled and counted as prometheus_client's own histograms, bounds included (le: <=).

    def buckets(registry: CollectorRegistry, metric: str) -> list[tuple[str, float]]:
        return [
            (sample.labels["le"], sample.value)
            for family in registry.collect()
            if family.name == metric
            for sample in family.samples
            if sample.name.endswith("_bucket")
        ]

    ours = CollectorRegistry()
    ours_histogram = PrometheusMetricsProvider(ours).new_latency_metric("q")
    theirs = CollectorRegistry()
    theirs_histogram = Histogram("h", "h", registry=theirs, buckets=DURATION_BUCKETS)
    for seconds in (0.0, 1e-8, 2e-8, 0.5, 1.0, 1.5, 1000.0, 5000.0):
        ours_histogram.observe(seconds)
        theirs_histogram.observe(seconds)
    assert buckets(ours, "workqueue_queue_duration_seconds") == buckets(theirs, "h")
    assert buckets(ours, "workqueue_queue_duration_seconds")[-1] == ("+Inf", 8)
    assert ours.get_sample_value(
        "workqueue_queue_duration_seconds_sum", {"name": "q"}
    ) == theirs.get_sample_value("h_sum")


def test_unfinished_work_and_longest_running_processor() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)
    seen: list[tuple[float | None, float | None]] = []

    def sample() -> None:
        seen.append(
            (
                value(registry, "workqueue_unfinished_work_seconds"),
                value(registry, "workqueue_longest_running_processor_seconds"),
            )
        )

    async def main() -> None:
        q: WorkQueue[str] = WorkQueue(name="q", metrics=provider)
        q.add("a")
        q.add("b")
        a = await q.get()  # t=0; the gauges are refreshed every 0.5 s from now
        await sleep(1)
        b = await q.get()  # t=1
        await sleep(1.25)  # t=2.25: last refresh at t=2.0: a 2 s, b 1 s
        sample()
        q.done(a)
        await sleep(0.5)  # t=2.75: refreshed at 2.5: b 1.5 s
        sample()
        q.done(b)
        await sleep(0.5)  # nothing in flight: back to 0, and the refreshing task ends
        sample()

    result = simulate(main, seed=0)
    assert seen == [(3.0, 2.0), (1.5, 1.5), (0.0, 0.0)]
    assert result.elapsed == 3.25


def test_retries_count_every_delayed_add() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)

    async def main() -> None:
        q: RateLimitingQueue[str] = RateLimitingQueue(
            ItemExponentialFailureRateLimiter(1.0, 10.0), name="q", metrics=provider
        )
        q.add_rate_limited("a")
        q.add_rate_limited("a")
        q.add_after("b", 0)  # counted too, as in client-go
        assert value(registry, "workqueue_adds_total") == 1  # b; a is still waiting
        await sleep(1)
        assert value(registry, "workqueue_adds_total") == 2
        q.shut_down()
        q.add_rate_limited("c")  # shutting down: not a retry

    simulate(main, seed=0)
    assert value(registry, "workqueue_retries_total") == 3


def test_two_providers_with_their_own_registries_do_not_collide() -> None:
    first, second = CollectorRegistry(), CollectorRegistry()
    p1, p2 = PrometheusMetricsProvider(first), PrometheusMetricsProvider(second)

    async def main() -> None:
        q1: WorkQueue[str] = WorkQueue(name="pods", metrics=p1)
        q2: WorkQueue[str] = WorkQueue(name="pods", metrics=p2)
        q3: DelayingQueue[str] = DelayingQueue(name="nodes", metrics=p1)
        q1.add("a")
        q2.add("a")
        q2.add("b")
        q3.add("x")

    simulate(main, seed=0)
    assert value(first, "workqueue_adds_total", "pods") == 1
    assert value(second, "workqueue_adds_total", "pods") == 2
    assert value(first, "workqueue_depth", "nodes") == 1
    assert value(second, "workqueue_depth", "nodes") is None
    text = generate_latest(first).decode()
    for name in NAMES:
        assert f'{name}{{name="pods"}}' in text or f'{name}_count{{name="pods"}}' in text


def test_no_metrics_without_a_provider_a_name_or_with_the_noop_provider() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)

    async def main() -> list[object]:
        return [
            WorkQueue[str](name="q")._metrics,
            WorkQueue[str](metrics=provider)._metrics,
            WorkQueue[str](name="q", metrics=NoopMetricsProvider())._metrics,
            WorkQueue[str](name="q", metrics=provider)._metrics is not None,
        ]

    assert simulate(main, seed=0).value == [None, None, None, True]


def test_the_noop_metrics_accept_every_call() -> None:
    provider = NoopMetricsProvider()

    async def main() -> None:
        # Driven directly (a queue never builds metrics for the no-op provider).
        metrics: QueueMetrics[str] = QueueMetrics(current_runtime(), "q", provider)
        metrics.add("a")
        metrics.get("a")
        await sleep(1)
        metrics.done("a")
        metrics.retry()
        metrics.update_unfinished_work()

    simulate(main, seed=0)


def test_the_refresh_task_ends_when_nothing_is_in_flight() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)

    async def main() -> int:
        q: WorkQueue[str] = WorkQueue(name="q", metrics=provider)

        async def worker() -> None:
            while True:
                key = await q.get()
                await sleep(0.2)
                q.done(key)

        spawn(worker())
        q.add("a")
        await sleep(10)
        return len(current_runtime().live_tasks())

    result = simulate(main, seed=0)
    assert result.value == 1  # the worker only
    assert value(registry, "workqueue_unfinished_work_seconds") == 0.0


def test_a_second_provider_on_one_registry_is_refused() -> None:
    registry = CollectorRegistry()
    PrometheusMetricsProvider(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        PrometheusMetricsProvider(registry)


def test_queues_with_one_name_share_their_series() -> None:
    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)

    async def main() -> None:
        first: WorkQueue[str] = WorkQueue(name="q", metrics=provider)
        second: WorkQueue[str] = WorkQueue(name="q", metrics=provider)
        first.add("a")
        second.add("a")

    simulate(main, seed=0)
    assert value(registry, "workqueue_adds_total") == 2
    assert value(registry, "workqueue_depth") == 2
