"""Run every benchmark: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import sys

from benchmarks import (
    bench_api,
    bench_controller,
    bench_informers,
    bench_runtime,
    bench_scheduler,
    bench_store,
    bench_workqueue,
)

if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    bench_api.main(quick=quick)
    print()
    bench_runtime.main(quick=quick)
    print()
    bench_store.main(quick=quick)
    print()
    bench_workqueue.main(quick=quick)
    print()
    bench_informers.main(quick=quick)
    print()
    bench_controller.main(quick=quick)
    print()
    bench_scheduler.main(quick=quick)
