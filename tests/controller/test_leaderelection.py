"""Leader election on Leases, in virtual time: one leader at a time, renewal, release, and
takeover when the leader stops renewing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from kube_actors.api import Lease
from kube_actors.client import Client, LocalClient
from kube_actors.controller import LeaderElectionConfig, LeaderElector
from kube_actors.runtime import Event, now, simulate, sleep, spawn
from kube_actors.store import APIServer, ServiceUnavailable

T = TypeVar("T")
CONFIG = LeaderElectionConfig(lease_name="my-controller", namespace="kube-system")


def run(main: Callable[[Client], Awaitable[T]], seed: int = 0) -> T:
    async def entry() -> T:
        return await main(LocalClient(await APIServer.start()))

    return simulate(entry, seed=seed).value


class Candidate:
    """A LeaderElector with a record of when it led."""

    def __init__(self, client: Client, identity: str, **config: Any) -> None:
        self.started: list[float] = []
        self.stopped: list[float] = []
        self.leaders: list[str] = []
        self.elector = LeaderElector(
            client,
            LeaderElectionConfig(
                lease_name="my-controller", namespace="kube-system", identity=identity, **config
            ),
            on_started_leading=self._lead,
            on_stopped_leading=lambda: self.stopped.append(now()),
            on_new_leader=self.leaders.append,
        )
        self.task = spawn(self.elector.run(), f"candidate {identity}")
        self.leading_cancelled = Event()

    async def _lead(self) -> None:
        self.started.append(now())
        try:
            await sleep(1e9)
        finally:
            self.leading_cancelled.set()


def test_a_lone_candidate_acquires_at_once_and_renews() -> None:
    async def main(client: Client) -> None:
        a = Candidate(client, "a")
        await sleep(0.5)
        assert a.started == [0.0]
        assert a.elector.is_leader
        lease = await client.get(Lease, "my-controller", namespace="kube-system")
        assert lease.spec.holder_identity == "a"
        assert lease.spec.lease_duration_seconds == 15
        assert lease.spec.lease_transitions == 0
        first_renewal = lease.spec.renew_time
        await sleep(5)
        lease = await client.get(Lease, "my-controller", namespace="kube-system")
        assert lease.spec.renew_time is not None
        assert first_renewal is not None
        assert (lease.spec.renew_time - first_renewal).total_seconds() == pytest.approx(4.0)
        assert lease.spec.acquire_time == first_renewal

    run(main)


@pytest.mark.parametrize("seed", range(3))
def test_two_candidates_never_lead_at_once(seed: int) -> None:
    async def main(client: Client) -> None:
        a, b = Candidate(client, "a"), Candidate(client, "b")
        for _ in range(200):  # a minute, sampled every 0.3 s
            await sleep(0.3)
            assert a.elector.is_leader + b.elector.is_leader == 1
        assert len(a.started) + len(b.started) == 1
        assert a.leaders == b.leaders == [a.elector.leader]

    run(main, seed)


def test_the_other_takes_over_once_the_lease_expires() -> None:
    async def main(client: Client) -> None:
        a = Candidate(client, "a", release_on_cancel=False)
        await sleep(1)
        b = Candidate(client, "b")
        await sleep(5)
        assert not b.elector.is_leader
        a.task.cancel()  # the leader vanishes without a word
        vanished = now()
        while not b.started:
            await sleep(0.1)
        waited = b.started[0] - vanished
        # b last saw the lease change at a's last renewal (at most 2 s before it vanished),
        # and notices expiry on one of its jittered retries (2 s * (1 + up to 1.2)).
        assert 15 - 2 <= waited <= 15 + 2 * 2.2 + 0.2
        lease = await client.get(Lease, "my-controller", namespace="kube-system")
        assert lease.spec.holder_identity == "b"
        assert lease.spec.lease_transitions == 1

    run(main)


def test_stopping_releases_the_lease_for_a_quick_handover() -> None:
    async def main(client: Client) -> None:
        a = Candidate(client, "a")
        await sleep(1)
        b = Candidate(client, "b")
        await sleep(3)
        a.elector.stop()
        stopped = now()
        await a.task.join()
        assert a.stopped == [stopped]
        assert a.leading_cancelled.is_set()
        while not b.started:
            await sleep(0.1)
        # The released lease lasts 1 s: b takes it on its next retry or the one after.
        assert b.started[0] - stopped <= 2 * 2 * 2.2 + 1

    run(main)


class FlakyClient(LocalClient):
    """A client whose API calls fail from ``broken_at`` on (the API server out of reach)."""

    def __init__(self, server: APIServer, broken_at: float) -> None:
        super().__init__(server)
        self.broken_at = broken_at

    def _check(self) -> None:
        if now() >= self.broken_at:
            raise ServiceUnavailable("the API server is unreachable")

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return await super().get(*args, **kwargs)

    async def update(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return await super().update(*args, **kwargs)


def test_a_leader_that_cannot_renew_stops_leading_within_the_renew_deadline() -> None:
    async def main() -> None:
        server = await APIServer.start()
        a = Candidate(FlakyClient(server, broken_at=10.0), "a")
        b = Candidate(LocalClient(server), "b")
        await a.task.join()
        # a's last renewal was at 10 s at the latest; it gives up 10 s (renew_deadline) into
        # a renewal round that cannot succeed, and stops its leading task.
        assert a.started == [0.0]
        assert 18.0 <= a.stopped[0] <= 20.0 + 0.1
        assert a.leading_cancelled.is_set()
        # b takes over only after the lease expired as b observed it, so never two leaders.
        while not b.started:
            await sleep(0.1)
        assert b.started[0] >= a.stopped[0]

    simulate(main, seed=0)


def test_config_rejects_inconsistent_timing() -> None:
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElectionConfig(lease_name="x", lease_duration=10, renew_deadline=10)
    with pytest.raises(ValueError, match="renew_deadline"):
        LeaderElectionConfig(lease_name="x", renew_deadline=2, retry_period=2)
    assert (CONFIG.lease_duration, CONFIG.renew_deadline, CONFIG.retry_period) == (15, 10, 2)
