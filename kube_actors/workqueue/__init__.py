"""Work queues with client-go's semantics, rate limiters and workqueue metrics.

- :class:`WorkQueue` — ``add``, ``await get()``, ``done``, ``len``, ``shut_down``,
  ``await shut_down_with_drain()``, ``shutting_down``; one key is never processed by two
  workers at once and adds of a queued key collapse. Optional priorities
  (:data:`LOW_PRIORITY` for initial-list events).
- :class:`DelayingQueue` — adds ``add_after(key, delay)`` on the runtime's clock.
- :class:`RateLimitingQueue` — adds ``add_rate_limited``, ``forget``, ``num_requeues``.
- Rate limiters: :class:`ItemExponentialFailureRateLimiter`, :class:`BucketRateLimiter`,
  :class:`MaxOfRateLimiter`, :class:`ItemFastSlowRateLimiter`,
  :func:`default_controller_rate_limiter`.
- Metrics: :class:`MetricsProvider`, :class:`NoopMetricsProvider` (the default),
  :class:`PrometheusMetricsProvider`.

Queues are made inside a runtime (``simulate``/``run``) and wait on its clock, so the same
controller runs in real and in virtual time.
"""

from kube_actors.workqueue.limiters import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)
from kube_actors.workqueue.metrics import (
    DURATION_BUCKETS,
    UNFINISHED_WORK_UPDATE_PERIOD,
    CounterMetric,
    GaugeMetric,
    HistogramMetric,
    MetricsProvider,
    NoopMetricsProvider,
    PrometheusMetricsProvider,
    SettableGaugeMetric,
)
from kube_actors.workqueue.queue import (
    DEFAULT_PRIORITY,
    LOW_PRIORITY,
    DelayingQueue,
    RateLimitingQueue,
    ShutDown,
    WorkQueue,
)

__all__ = [
    "DEFAULT_PRIORITY",
    "DURATION_BUCKETS",
    "LOW_PRIORITY",
    "UNFINISHED_WORK_UPDATE_PERIOD",
    "BucketRateLimiter",
    "CounterMetric",
    "DelayingQueue",
    "GaugeMetric",
    "HistogramMetric",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "MetricsProvider",
    "NoopMetricsProvider",
    "PrometheusMetricsProvider",
    "RateLimiter",
    "RateLimitingQueue",
    "SettableGaugeMetric",
    "ShutDown",
    "WorkQueue",
    "default_controller_rate_limiter",
]
