"""Workqueue metrics with client-go's names, behind a small provider protocol.

A queue asks its :class:`MetricsProvider` for seven metrics, one each of depth, adds, queue
duration, work duration, unfinished work, longest running processor and retries, for its
``name``. The default, :class:`NoopMetricsProvider`, records nothing (and a queue with it pays
nothing on its hot path); :class:`PrometheusMetricsProvider` serves client-go's metric
families (``workqueue_depth{name=...}`` and so on) from a ``prometheus_client`` registry of the
caller's choosing, so two managers in one process, each with its own registry, never collide.

Every duration is measured on the runtime's clock, so in a simulation the histograms hold
virtual seconds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable
from itertools import accumulate
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from kube_actors.runtime import sleep

if TYPE_CHECKING:
    from kube_actors.runtime import Runtime

__all__ = [
    "DURATION_BUCKETS",
    "UNFINISHED_WORK_UPDATE_PERIOD",
    "CounterMetric",
    "GaugeMetric",
    "HistogramMetric",
    "MetricsProvider",
    "NoopMetricsProvider",
    "PrometheusMetricsProvider",
    "SettableGaugeMetric",
]

K = TypeVar("K", bound=Hashable)

#: Histogram buckets of the two duration metrics: 10 ns to 1000 s by factors of 10, as
#: client-go's ``prometheus.ExponentialBuckets(10e-9, 10, 12)``.
DURATION_BUCKETS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)

#: Seconds between updates of the unfinished-work and longest-running-processor gauges
#: (client-go updates them every 500 ms).
UNFINISHED_WORK_UPDATE_PERIOD = 0.5


class CounterMetric(Protocol):
    """A counter (``workqueue_adds_total``, ``workqueue_retries_total``)."""

    def inc(self) -> None:
        """Add one."""
        ...


class GaugeMetric(Protocol):
    """A gauge moved by steps (``workqueue_depth``)."""

    def inc(self) -> None:
        """Add one."""
        ...

    def dec(self) -> None:
        """Subtract one."""
        ...


class SettableGaugeMetric(Protocol):
    """A gauge set to a value (the unfinished-work gauges)."""

    def set(self, value: float, /) -> None:
        """Set the gauge to ``value``."""
        ...


class HistogramMetric(Protocol):
    """A histogram of seconds (the two duration metrics)."""

    def observe(self, value: float, /) -> None:
        """Record one observation."""
        ...


class MetricsProvider(Protocol):
    """Makes the metrics of the queue called ``name`` (client-go's ``MetricsProvider``)."""

    def new_depth_metric(self, name: str, /) -> GaugeMetric:
        """``workqueue_depth``: keys waiting in the queue (delayed keys are not counted)."""
        ...

    def new_adds_metric(self, name: str, /) -> CounterMetric:
        """``workqueue_adds_total``: adds that were not collapsed into a queued key."""
        ...

    def new_latency_metric(self, name: str, /) -> HistogramMetric:
        """``workqueue_queue_duration_seconds``: from add to get."""
        ...

    def new_work_duration_metric(self, name: str, /) -> HistogramMetric:
        """``workqueue_work_duration_seconds``: from get to done."""
        ...

    def new_unfinished_work_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """``workqueue_unfinished_work_seconds``: summed age of the keys being processed."""
        ...

    def new_longest_running_processor_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """``workqueue_longest_running_processor_seconds``: age of the oldest key in flight."""
        ...

    def new_retries_metric(self, name: str, /) -> CounterMetric:
        """``workqueue_retries_total``: delayed (and rate-limited) adds."""
        ...


class _NoopMetric:
    """Every metric method, doing nothing."""

    __slots__ = ()

    def inc(self) -> None:
        """Nothing."""

    def dec(self) -> None:
        """Nothing."""

    def set(self, value: float, /) -> None:
        """Nothing."""

    def observe(self, value: float, /) -> None:
        """Nothing."""


_NOOP = _NoopMetric()


class NoopMetricsProvider:
    """Records nothing: the default. A queue given it keeps no metrics state at all."""

    __slots__ = ()

    def new_depth_metric(self, name: str, /) -> GaugeMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_adds_metric(self, name: str, /) -> CounterMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_latency_metric(self, name: str, /) -> HistogramMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_work_duration_metric(self, name: str, /) -> HistogramMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_unfinished_work_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_longest_running_processor_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """A metric that does nothing."""
        return _NOOP

    def new_retries_metric(self, name: str, /) -> CounterMetric:
        """A metric that does nothing."""
        return _NOOP


class _Value:
    """A counter or gauge value: a plain float, read at scrape time."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self) -> None:
        """Add one."""
        self.value += 1.0

    def dec(self) -> None:
        """Subtract one."""
        self.value -= 1.0

    def set(self, value: float, /) -> None:
        """Set the value."""
        self.value = value


class _Histogram:
    """Per-bucket counts (not cumulative) and the sum, over :data:`DURATION_BUCKETS`."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(DURATION_BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float, /) -> None:
        """Count ``value`` in the first bucket whose bound is at least ``value``."""
        self.counts[bisect_left(DURATION_BUCKETS, value)] += 1
        self.sum += value


#: The ``le`` labels, as prometheus_client writes them (``1e-08`` ... ``1000.0``, ``+Inf``).
_BUCKET_LABELS = [*(repr(bound) for bound in DURATION_BUCKETS), "+Inf"]

_HELP = {
    "depth": "Current depth of workqueue",
    "adds": "Total number of adds handled by workqueue",
    "latency": "How long in seconds an item stays in workqueue before being requested",
    "work_duration": "How long in seconds processing an item from workqueue takes.",
    "unfinished_work_seconds": (
        "How many seconds of work has been done that is in progress and hasn't been observed "
        "by work_duration. Large values indicate stuck threads. One can deduce the number of "
        "stuck threads by observing the rate at which this increases."
    ),
    "longest_running_processor_seconds": (
        "How many seconds has the longest running processor for workqueue been running."
    ),
    "retries": "Total number of retries handled by workqueue",
}


class PrometheusMetricsProvider:
    """client-go's workqueue metric families, labelled ``name``, in ``registry``.

    Give each manager (or test) its own :class:`~prometheus_client.CollectorRegistry`; one
    provider per registry (a second would register the same names again and fail). Queues
    sharing a provider are told apart by their ``name`` label (queues with the same name share
    their series, as in client-go).

    The provider is a ``prometheus_client`` collector: queues update plain numbers (no locks,
    no per-sample objects), which are turned into metric families when the registry is
    collected (scraped).
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._depth: dict[str, _Value] = {}
        self._adds: dict[str, _Value] = {}
        self._latency: dict[str, _Histogram] = {}
        self._work_duration: dict[str, _Histogram] = {}
        self._unfinished: dict[str, _Value] = {}
        self._longest: dict[str, _Value] = {}
        self._retries: dict[str, _Value] = {}
        registry.register(self)

    def new_depth_metric(self, name: str, /) -> GaugeMetric:
        """``workqueue_depth{name=...}``."""
        return self._depth.setdefault(name, _Value())

    def new_adds_metric(self, name: str, /) -> CounterMetric:
        """``workqueue_adds_total{name=...}``."""
        return self._adds.setdefault(name, _Value())

    def new_latency_metric(self, name: str, /) -> HistogramMetric:
        """``workqueue_queue_duration_seconds{name=...}``."""
        return self._latency.setdefault(name, _Histogram())

    def new_work_duration_metric(self, name: str, /) -> HistogramMetric:
        """``workqueue_work_duration_seconds{name=...}``."""
        return self._work_duration.setdefault(name, _Histogram())

    def new_unfinished_work_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """``workqueue_unfinished_work_seconds{name=...}``."""
        return self._unfinished.setdefault(name, _Value())

    def new_longest_running_processor_seconds_metric(self, name: str, /) -> SettableGaugeMetric:
        """``workqueue_longest_running_processor_seconds{name=...}``."""
        return self._longest.setdefault(name, _Value())

    def new_retries_metric(self, name: str, /) -> CounterMetric:
        """``workqueue_retries_total{name=...}``."""
        return self._retries.setdefault(name, _Value())

    # --- the prometheus_client collector ------------------------------------------------------

    def describe(self) -> list[Metric]:
        """The families (without samples), so the registry can refuse duplicate names."""
        return self._families(with_samples=False)

    def collect(self) -> list[Metric]:
        """The families with a sample per queue name, read now."""
        return self._families(with_samples=True)

    def _families(self, *, with_samples: bool) -> list[Metric]:
        labels = ["name"]

        def gauge(metric: str, help_key: str, values: dict[str, _Value]) -> GaugeMetricFamily:
            family = GaugeMetricFamily(metric, _HELP[help_key], labels=labels)
            if with_samples:
                for name, value in list(values.items()):
                    family.add_metric([name], value.value)
            return family

        def counter(metric: str, help_key: str, values: dict[str, _Value]) -> CounterMetricFamily:
            family = CounterMetricFamily(metric, _HELP[help_key], labels=labels)
            if with_samples:
                for name, value in list(values.items()):
                    family.add_metric([name], value.value)
            return family

        def histogram(
            metric: str, help_key: str, values: dict[str, _Histogram]
        ) -> HistogramMetricFamily:
            family = HistogramMetricFamily(metric, _HELP[help_key], labels=labels)
            if with_samples:
                for name, value in list(values.items()):
                    cumulative = list(accumulate(value.counts))
                    family.add_metric(
                        [name], list(zip(_BUCKET_LABELS, cumulative, strict=True)), value.sum
                    )
            return family

        return [
            gauge("workqueue_depth", "depth", self._depth),
            counter("workqueue_adds_total", "adds", self._adds),
            histogram("workqueue_queue_duration_seconds", "latency", self._latency),
            histogram("workqueue_work_duration_seconds", "work_duration", self._work_duration),
            gauge("workqueue_unfinished_work_seconds", "unfinished_work_seconds", self._unfinished),
            gauge(
                "workqueue_longest_running_processor_seconds",
                "longest_running_processor_seconds",
                self._longest,
            ),
            counter("workqueue_retries_total", "retries", self._retries),
        ]


class QueueMetrics(Generic[K]):
    """What one queue records, on the runtime's clock (client-go's ``defaultQueueMetrics``).

    Internal to the queues: they call :meth:`add`, :meth:`get`, :meth:`done` and
    :meth:`retry`. While any key is being processed a task of the runtime refreshes the two
    unfinished-work gauges every :data:`UNFINISHED_WORK_UPDATE_PERIOD` seconds; it ends (after
    setting them to 0) once nothing is in flight, so an idle queue has no timer pending and a
    simulation can still detect a deadlock.
    """

    __slots__ = (
        "_add_times",
        "_adds",
        "_depth",
        "_latency",
        "_longest",
        "_now",
        "_retries",
        "_runtime",
        "_start_times",
        "_unfinished",
        "_updating",
        "_work",
        "name",
        "update_period",
    )

    def __init__(
        self,
        runtime: Runtime,
        name: str,
        provider: MetricsProvider,
        update_period: float = UNFINISHED_WORK_UPDATE_PERIOD,
    ) -> None:
        self._runtime = runtime
        self._now = runtime.backend.now
        self.name = name
        self.update_period = update_period
        self._depth = provider.new_depth_metric(name)
        self._adds = provider.new_adds_metric(name)
        self._latency = provider.new_latency_metric(name)
        self._work = provider.new_work_duration_metric(name)
        self._unfinished = provider.new_unfinished_work_seconds_metric(name)
        self._longest = provider.new_longest_running_processor_seconds_metric(name)
        self._retries = provider.new_retries_metric(name)
        self._add_times: dict[K, float] = {}
        self._start_times: dict[K, float] = {}
        self._updating = False

    def add(self, key: K) -> None:
        """A key became dirty: count it; its queue time starts now (unless already running)."""
        self._adds.inc()
        self._depth.inc()
        if key not in self._add_times:
            self._add_times[key] = self._now()

    def get(self, key: K) -> None:
        """A worker took ``key``: observe its time in the queue; its work time starts."""
        self._depth.dec()
        now = self._now()
        self._start_times[key] = now
        added = self._add_times.pop(key, None)
        if added is not None:
            self._latency.observe(now - added)
        if not self._updating:
            self._updating = True
            self._runtime.spawn(self._update_loop(), f"workqueue-metrics:{self.name}")

    def done(self, key: K) -> None:
        """A worker finished ``key``: observe its work time."""
        started = self._start_times.pop(key, None)
        if started is not None:
            self._work.observe(self._now() - started)

    def retry(self) -> None:
        """A delayed add."""
        self._retries.inc()

    def update_unfinished_work(self) -> None:
        """Set the unfinished-work gauges from the keys in flight now."""
        now = self._now()
        total = 0.0
        oldest = 0.0
        for started in self._start_times.values():
            age = now - started
            total += age
            if age > oldest:
                oldest = age
        self._unfinished.set(total)
        self._longest.set(oldest)

    async def _update_loop(self) -> None:
        try:
            while self._start_times:
                self.update_unfinished_work()
                await sleep(self.update_period)
            self.update_unfinished_work()
        finally:
            self._updating = False


def queue_metrics(
    runtime: Runtime, name: str, provider: MetricsProvider | None
) -> QueueMetrics[K] | None:
    """The metrics of a queue, or ``None`` when there is nothing to record (no provider, the
    no-op provider, or no name: client-go keeps no metrics for unnamed queues either)."""
    if provider is None or not name or isinstance(provider, NoopMetricsProvider):
        return None
    return QueueMetrics(runtime, name, provider)
