"""Rate limiters: how long a key waits before it is retried (client-go's
``default_rate_limiters.go``).

A limiter answers :meth:`~RateLimiter.when` (the delay for this retry of a key, in seconds,
counting the retry), :meth:`~RateLimiter.forget` (the key succeeded: clear its history) and
:meth:`~RateLimiter.num_requeues` (retries counted since it was last forgotten). Limiters that
need the time read the runtime's clock, so in a simulation they run in virtual time.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, Generic, Protocol, TypeVar

from kube_actors.runtime import now

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "default_controller_rate_limiter",
]

K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


class RateLimiter(Protocol[K_contra]):
    """Decides the delay before each retry of a key."""

    def when(self, key: K_contra, /) -> float:
        """Seconds ``key`` should wait before this retry (records the retry)."""
        ...

    def forget(self, key: K_contra, /) -> None:
        """``key`` is done with retrying (it succeeded, or was given up): clear its history."""
        ...

    def num_requeues(self, key: K_contra, /) -> int:
        """Retries of ``key`` recorded since it was last forgotten."""
        ...


class ItemExponentialFailureRateLimiter(Generic[K]):
    """Per key: ``base * 2**failures``, capped at ``cap`` (defaults 5 ms and 1000 s).

    The n-th retry of a key (counting from 0) waits ``min(cap, base * 2**n)``: 5 ms, 10 ms,
    20 ms, ... until 1000 s from the 19th retry on.
    """

    __slots__ = ("_failures", "base", "cap")

    def __init__(self, base: float = 0.005, cap: float = 1000.0) -> None:
        if base < 0 or cap < 0:
            raise ValueError(f"base and cap must not be negative, got {base} and {cap}")
        self.base = base
        self.cap = cap
        self._failures: dict[K, int] = {}

    def when(self, key: K, /) -> float:
        """``min(cap, base * 2**failures)``; counts a failure of ``key``."""
        failures = self._failures
        exp = failures.get(key, 0)
        failures[key] = exp + 1
        if exp >= 1024:  # 2.0**1024 overflows; anything this large is past any cap
            return self.cap
        return min(self.cap, self.base * 2.0**exp)

    def forget(self, key: K, /) -> None:
        """Reset ``key``'s failures."""
        self._failures.pop(key, None)

    def num_requeues(self, key: K, /) -> int:
        """Failures of ``key`` since it was last forgotten."""
        return self._failures.get(key, 0)


class ItemFastSlowRateLimiter(Generic[K]):
    """Per key: ``fast`` for the first ``max_fast_attempts`` retries, ``slow`` after."""

    __slots__ = ("_failures", "fast", "max_fast_attempts", "slow")

    def __init__(self, fast: float, slow: float, max_fast_attempts: int) -> None:
        self.fast = fast
        self.slow = slow
        self.max_fast_attempts = max_fast_attempts
        self._failures: dict[K, int] = {}

    def when(self, key: K, /) -> float:
        """``fast`` while the key has failed at most ``max_fast_attempts`` times, else
        ``slow``; counts a failure."""
        count = self._failures.get(key, 0) + 1
        self._failures[key] = count
        return self.fast if count <= self.max_fast_attempts else self.slow

    def forget(self, key: K, /) -> None:
        """Reset ``key``'s failures."""
        self._failures.pop(key, None)

    def num_requeues(self, key: K, /) -> int:
        """Failures of ``key`` since it was last forgotten."""
        return self._failures.get(key, 0)


class BucketRateLimiter(Generic[K]):
    """One token bucket for all keys: ``qps`` tokens a second, at most ``burst`` stored.

    Each :meth:`when` takes a token (reserving a future one when the bucket is empty, as
    ``golang.org/x/time/rate``'s ``Reserve``) and returns the wait until that token exists.
    The bucket starts full: with 10 qps and a burst of 100, the first 100 retries at one
    instant wait 0 s, the next ones 0.1 s, 0.2 s, 0.3 s, ... It runs on the runtime's clock.
    Keys are not tracked: :meth:`forget` does nothing and :meth:`num_requeues` is 0.
    """

    __slots__ = ("_last", "_tokens", "burst", "qps")

    def __init__(self, qps: float = 10.0, burst: int = 100) -> None:
        if not qps > 0:
            raise ValueError(f"qps must be positive, got {qps}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last: float | None = None

    def when(self, key: K, /) -> float:
        """Seconds until the token this retry reserves is available."""
        if math.isinf(self.qps):
            return 0.0
        t = now()
        last = self._last
        tokens = self._tokens
        if last is not None and t > last:
            tokens = min(float(self.burst), tokens + (t - last) * self.qps)
        if last is None or t > last:
            self._last = t
        tokens -= 1.0
        self._tokens = tokens
        return -tokens / self.qps if tokens < 0 else 0.0

    def forget(self, key: K, /) -> None:
        """Nothing: the bucket is shared by all keys."""

    def num_requeues(self, key: K, /) -> int:
        """Always 0: the bucket does not count per key."""
        return 0


class MaxOfRateLimiter(Generic[K]):
    """The longest delay of several limiters (each one records every retry)."""

    __slots__ = ("limiters",)

    def __init__(self, *limiters: RateLimiter[K]) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, key: K, /) -> float:
        """The largest of the limiters' delays (every limiter is asked)."""
        return max([limiter.when(key) for limiter in self.limiters])

    def forget(self, key: K, /) -> None:
        """Forget ``key`` in every limiter."""
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: K, /) -> int:
        """The largest count among the limiters."""
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter() -> MaxOfRateLimiter[Any]:
    """client-go's ``DefaultControllerRateLimiter``: per key 5 ms doubling to 1000 s, and
    overall a 10 qps token bucket with a burst of 100; the longer delay wins."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100)
    )
