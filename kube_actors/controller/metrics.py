"""controller-runtime's reconcile metrics, with the upstream names, in a registry of the
caller's choosing (one per manager, so two managers in one process never collide).

- ``controller_runtime_reconcile_total{controller,result}``, result one of ``success``,
  ``error``, ``requeue``, ``requeue_after``;
- ``controller_runtime_reconcile_errors_total{controller}``;
- ``controller_runtime_terminal_reconcile_errors_total{controller}``;
- ``controller_runtime_reconcile_time_seconds{controller}`` (a histogram, measured on the
  runtime's clock: virtual seconds in a simulation);
- ``controller_runtime_max_concurrent_reconciles{controller}`` and
  ``controller_runtime_active_workers{controller}``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["RECONCILE_TIME_BUCKETS", "RESULTS", "ControllerMetrics"]

#: controller-runtime's buckets for ``controller_runtime_reconcile_time_seconds``.
RECONCILE_TIME_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7,
    0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0,
    10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0,
)  # fmt: skip

#: The values of the ``result`` label.
RESULTS = ("success", "error", "requeue", "requeue_after")


class ControllerMetrics:
    """The reconcile metric families of every controller of one manager, in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total",
            "Total number of reconciliations per controller",
            ["controller", "result"],
            registry=registry,
        )
        self.reconcile_errors = Counter(
            "controller_runtime_reconcile_errors_total",
            "Total number of reconciliation errors per controller",
            ["controller"],
            registry=registry,
        )
        self.terminal_errors = Counter(
            "controller_runtime_terminal_reconcile_errors_total",
            "Total number of terminal reconciliation errors per controller",
            ["controller"],
            registry=registry,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Length of time per reconciliation per controller",
            ["controller"],
            buckets=RECONCILE_TIME_BUCKETS,
            registry=registry,
        )
        self.max_concurrent = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Maximum number of concurrent reconciles per controller",
            ["controller"],
            registry=registry,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Number of currently used workers per controller",
            ["controller"],
            registry=registry,
        )

    def init_controller(self, controller: str, max_concurrent: int) -> None:
        """Create ``controller``'s series at zero, so dashboards see them before any reconcile
        (controller-runtime does the same)."""
        for result in RESULTS:
            self.reconcile_total.labels(controller, result)
        self.reconcile_errors.labels(controller)
        self.terminal_errors.labels(controller)
        self.max_concurrent.labels(controller).set(max_concurrent)
        self.active_workers.labels(controller).set(0)
