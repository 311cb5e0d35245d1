"""Shared test settings: hypothesis profiles (``ci`` is the default and is deterministic)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# ci: few, derandomized examples so the suite is fast and every run is the same run.
settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
# dev: more examples and fresh randomness, for hunting bugs locally.
settings.register_profile(
    "dev",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The shared manifests that every release must load (beside the project checkout).
SHARED_MANIFESTS = Path(__file__).resolve().parents[2] / "shared" / "manifests"


@pytest.fixture
def shared_manifests() -> Path:
    """The directory of upstream-style manifests the project must accept."""
    if not SHARED_MANIFESTS.is_dir():
        pytest.fail(f"shared manifests not found at {SHARED_MANIFESTS}")
    return SHARED_MANIFESTS
