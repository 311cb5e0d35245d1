"""Shared fixtures for the runtime tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(scope="module")
def quiet_logs() -> Iterator[None]:
    """Drop log output below CRITICAL: crash logs render tracebacks, which is slow, and the
    tests that use this crash many actors. (Tests that check logs use capture_logs instead.)"""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    yield
    structlog.configure(**saved)
