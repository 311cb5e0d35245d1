"""Run every benchmark: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import sys

from benchmarks import bench_api

if __name__ == "__main__":
    bench_api.main(quick="--quick" in sys.argv[1:])
