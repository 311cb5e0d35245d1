"""The rate limiters' exact numbers (client-go's ``default_rate_limiters_test.go``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from kube_actors.runtime import simulate, sleep
from kube_actors.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)

T = TypeVar("T")


def sim(main: Callable[[], Awaitable[T]]) -> T:
    return simulate(main, seed=0).value


def test_exponential_doubles_from_5ms_per_key() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter()
    assert [limiter.when("one") for _ in range(5)] == [0.005, 0.01, 0.02, 0.04, 0.08]
    assert limiter.num_requeues("one") == 5
    assert limiter.when("two") == 0.005  # per key
    assert limiter.num_requeues("two") == 1
    limiter.forget("one")
    assert limiter.num_requeues("one") == 0
    assert limiter.when("one") == 0.005
    limiter.forget("never-seen")  # fine


def test_exponential_caps_at_1000s() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter()
    delays = [limiter.when("k") for _ in range(25)]
    assert delays[17] == 0.005 * 2**17  # 655.36 s
    assert delays[18] == 1000.0  # 0.005 * 2**18 = 1310.72 s, capped
    assert delays[18:] == [1000.0] * 7
    assert limiter.num_requeues("k") == 25


def test_exponential_survives_huge_failure_counts() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(1.0, 60.0)
    for _ in range(1100):
        delay = limiter.when("k")
    assert delay == 60.0


def test_exponential_with_custom_base_and_cap() -> None:
    limiter: ItemExponentialFailureRateLimiter[int] = ItemExponentialFailureRateLimiter(1.0, 6.0)
    assert [limiter.when(1) for _ in range(5)] == [1.0, 2.0, 4.0, 6.0, 6.0]
    with pytest.raises(ValueError, match="negative"):
        ItemExponentialFailureRateLimiter(-1.0, 1.0)


def test_fast_slow() -> None:
    limiter: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.005, 10.0, 3)
    assert [limiter.when("one") for _ in range(5)] == [0.005, 0.005, 0.005, 10.0, 10.0]
    assert limiter.num_requeues("one") == 5
    assert limiter.when("two") == 0.005
    limiter.forget("one")
    assert limiter.num_requeues("one") == 0
    assert limiter.when("one") == 0.005


def test_bucket_burst_then_100ms_spacing_at_10_qps() -> None:
    async def main() -> list[float]:
        limiter: BucketRateLimiter[str] = BucketRateLimiter(qps=10, burst=100)
        return [limiter.when(f"k{i}") for i in range(105)]

    delays = sim(main)
    assert delays[:100] == [0.0] * 100
    assert delays[100:] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5], abs=1e-12)


def test_bucket_refills_at_qps_on_the_runtime_clock() -> None:
    async def main() -> list[float]:
        limiter: BucketRateLimiter[str] = BucketRateLimiter(qps=10, burst=5)
        out = [limiter.when("k") for _ in range(7)]  # 0 x5, 0.1, 0.2 (tokens now -2)
        await sleep(0.5)  # +5 tokens: 3
        out += [limiter.when("k") for _ in range(4)]  # 0, 0, 0, 0.1
        await sleep(100)  # refills to the burst, no more
        out += [limiter.when("k") for _ in range(6)]  # 0 x5, 0.1
        assert limiter.num_requeues("k") == 0
        limiter.forget("k")  # nothing to forget: the bucket is shared
        return out

    assert sim(main) == pytest.approx(
        [*(0, 0, 0, 0, 0, 0.1, 0.2), *(0, 0, 0, 0.1), *(0, 0, 0, 0, 0, 0.1)], abs=1e-9
    )


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="qps"):
        BucketRateLimiter(qps=0)
    with pytest.raises(ValueError, match="burst"):
        BucketRateLimiter(qps=1, burst=0)


def test_bucket_with_infinite_qps_never_waits() -> None:
    limiter: BucketRateLimiter[str] = BucketRateLimiter(qps=float("inf"), burst=1)
    assert [limiter.when("k") for _ in range(3)] == [0.0, 0.0, 0.0]


def test_max_of_asks_every_limiter_and_takes_the_longest() -> None:
    fast_slow: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.005, 3.0, 3)
    exponential: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(
        0.001, 1000.0
    )
    limiter = MaxOfRateLimiter(fast_slow, exponential)
    delays = [limiter.when("one") for _ in range(14)]
    assert delays[:3] == [0.005] * 3  # fast beats 1, 2, 4 ms
    assert delays[3:12] == [3.0] * 9  # slow beats 8 ms .. 2.048 s
    assert delays[12] == 0.001 * 2**12  # 4.096 s beats slow
    assert limiter.num_requeues("one") == 14
    assert fast_slow.num_requeues("one") == exponential.num_requeues("one") == 14
    limiter.forget("one")
    assert limiter.num_requeues("one") == 0
    assert limiter.when("one") == 0.005
    with pytest.raises(ValueError, match="at least one"):
        MaxOfRateLimiter()


def test_default_controller_rate_limiter() -> None:
    async def main() -> tuple[list[float], list[float], int]:
        limiter = default_controller_rate_limiter()
        per_key = [limiter.when("k") for _ in range(20)]
        # The bucket had 100 tokens; 20 are gone. 80 more keys fail at this instant...
        others = [limiter.when(f"other-{i}") for i in range(82)]
        return per_key, others, limiter.num_requeues("k")

    per_key, others, requeues = sim(main)
    assert per_key[:4] == [0.005, 0.01, 0.02, 0.04]
    assert per_key[17] == 655.36
    assert per_key[18:] == [1000.0, 1000.0]
    assert requeues == 20
    # ... the first 80 wait 5 ms (their first failure), then the bucket is empty: 100 ms.
    assert others[:80] == [0.005] * 80
    assert others[80:] == pytest.approx([0.1, 0.2], abs=1e-12)


def test_limiters_satisfy_the_protocol() -> None:
    limiters: list[RateLimiter[Any]] = [
        ItemExponentialFailureRateLimiter(),
        ItemFastSlowRateLimiter(0.1, 1.0, 1),
        BucketRateLimiter(),
        MaxOfRateLimiter(BucketRateLimiter()),
        default_controller_rate_limiter(),
    ]
    assert all(callable(limiter.when) for limiter in limiters)
