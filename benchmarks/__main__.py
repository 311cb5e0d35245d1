"""Run every benchmark: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import sys

from benchmarks import bench_api, bench_runtime, bench_store

if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    bench_api.main(quick=quick)
    print()
    bench_runtime.main(quick=quick)
    print()
    bench_store.main(quick=quick)
