"""Leader election on ``coordination.k8s.io/v1`` Lease objects, as client-go does it.

Several replicas of a manager run the same controllers; only the holder of a Lease runs them.
The holder renews the lease every ``retry_period``; if it cannot renew for ``renew_deadline``
it stops leading; another candidate takes over once the lease has not changed for
``lease_duration`` as *it* observed it (its own clock, so clocks need not agree). Defaults are
controller-runtime's: 15 s, 10 s, 2 s. Everything goes through the :class:`Client`, so it works
on any API server, and every wait through the runtime's clock, so it runs in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import attrs
import structlog

from kube_actors.api import Lease, LeaseSpec, ObjectMeta, replace
from kube_actors.client import Client
from kube_actors.runtime import (
    Scope,
    TaskHandle,
    cancel_scope,
    move_on_after,
    new_uid,
    now,
    rng,
    sleep,
    spawn,
    wall_time,
)
from kube_actors.store import APIError, NotFound

__all__ = ["LeaderElectionConfig", "LeaderElector"]

_log = structlog.get_logger("kube_actors.leaderelection")

#: client-go's jitter for the acquire loop: waits are retry_period * (1 + U[0, 1.2)).
JITTER_FACTOR = 1.2


@attrs.frozen(kw_only=True)
class LeaderElectionConfig:
    """Which Lease to hold, as whom, and the timing (controller-runtime's defaults)."""

    lease_name: str
    namespace: str = "kube-system"
    #: This candidate's name in ``holderIdentity`` (a fresh unique one if empty).
    identity: str = ""
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    #: Give the lease up when leading ends, so a successor need not wait for it to expire.
    release_on_cancel: bool = True

    def __attrs_post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if not self.renew_deadline > JITTER_FACTOR * self.retry_period:
            raise ValueError("renew_deadline must be greater than retry_period * 1.2")
        if self.retry_period <= 0:
            raise ValueError("retry_period must be positive")


class LeaderElector:
    """Campaigns for a Lease and runs ``on_started_leading`` while holding it.

    :meth:`run` waits until this candidate acquires the lease, starts ``on_started_leading``
    as a task, renews until renewing fails for ``renew_deadline`` (or :meth:`stop` is called),
    then cancels that task, calls ``on_stopped_leading`` and returns. ``on_new_leader`` is told
    of every change of holder it observes (including itself).
    """

    def __init__(
        self,
        client: Client,
        config: LeaderElectionConfig,
        *,
        on_started_leading: Callable[[], Coroutine[Any, Any, Any]] | None = None,
        on_stopped_leading: Callable[[], Any] | None = None,
        on_new_leader: Callable[[str], Any] | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.identity = config.identity or f"candidate-{new_uid()}"
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._on_new_leader = on_new_leader
        # What this candidate last saw in the lease, and when (on its own clock).
        self._observed: LeaseSpec | None = None
        self._observed_version = ""
        self._observed_at = 0.0
        self._reported_leader: str | None = None
        self._leading = False
        self._stop_requested = False
        self._scope: Scope | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this candidate holds the lease (as of its last successful renewal)."""
        return self._leading

    @property
    def leader(self) -> str:
        """The holder this candidate last observed (empty if none)."""
        return (self._observed.holder_identity or "") if self._observed else ""

    def stop(self) -> None:
        """End the campaign: :meth:`run` stops leading (releasing the lease) and returns."""
        self._stop_requested = True
        if self._scope is not None:
            self._scope.cancel()

    async def run(self) -> None:
        """Acquire, lead while renewals succeed, then stop leading and return."""
        if self._stop_requested:
            return
        with cancel_scope() as self._scope:
            await self._acquire()
        if not self._leading:
            return  # stopped before acquiring
        task: TaskHandle | None = None
        try:
            if self._on_started is not None:
                task = spawn(self._on_started(), f"leading {self.config.lease_name}")
            if not self._stop_requested:
                with cancel_scope() as self._scope:
                    await self._renew()
        finally:
            self._scope = None
            self._leading = False
            if task is not None:
                task.cancel()
            if self.config.release_on_cancel:
                await self._release()
            _log.info("stopped leading", lease=self.config.lease_name, identity=self.identity)
            if self._on_stopped is not None:
                self._on_stopped()

    async def _acquire(self) -> None:
        config = self.config
        while True:
            if await self._try_acquire_or_renew():
                self._leading = True
                _log.info("acquired lease", lease=config.lease_name, identity=self.identity)
                return
            await sleep(config.retry_period * (1 + rng().random() * JITTER_FACTOR))

    async def _renew(self) -> None:
        config = self.config
        while True:
            renewed = False
            deadline = now() + config.renew_deadline
            with move_on_after(config.renew_deadline):
                while not renewed:
                    renewed = await self._try_acquire_or_renew()
                    if not renewed and now() + config.retry_period < deadline:
                        await sleep(config.retry_period)
                    elif not renewed:
                        await sleep(max(0.0, deadline - now()))
            if not renewed:
                _log.warning(
                    "failed to renew lease", lease=config.lease_name, identity=self.identity
                )
                return
            await sleep(config.retry_period)

    async def _try_acquire_or_renew(self) -> bool:
        """One attempt (client-go ``tryAcquireOrRenew``); False when another holds the lease
        or the write lost a race."""
        config = self.config
        stamp = wall_time()
        try:
            lease: Lease | None = await self.client.get(
                Lease, config.lease_name, namespace=config.namespace
            )
        except NotFound:
            lease = None
        except APIError as error:
            _log.info("error reading lease", lease=config.lease_name, error=str(error))
            return False
        if lease is None:
            spec = self._record(stamp, acquire=stamp, transitions=0)
            try:
                made = await self.client.create(
                    Lease(
                        metadata=ObjectMeta(name=config.lease_name, namespace=config.namespace),
                        spec=spec,
                    )
                )
            except APIError:
                return False
            self._observe(made)
            return True
        if lease.spec != self._observed or lease.metadata.resource_version != (
            self._observed_version
        ):
            self._observe(lease)
        holder = lease.spec.holder_identity or ""
        if holder and holder != self.identity:
            duration = lease.spec.lease_duration_seconds or config.lease_duration
            if self._observed_at + duration > now():
                return False  # held, and not expired as far as this candidate has seen
        old = lease.spec
        if holder == self.identity:
            spec = self._record(
                stamp, acquire=old.acquire_time or stamp, transitions=old.lease_transitions or 0
            )
        else:
            spec = self._record(stamp, acquire=stamp, transitions=(old.lease_transitions or 0) + 1)
        try:
            updated = await self.client.update(replace(lease, spec=spec))
        except APIError:
            return False
        self._observe(updated)
        return True

    def _record(self, stamp: datetime, *, acquire: datetime, transitions: int) -> LeaseSpec:
        return LeaseSpec(
            holder_identity=self.identity,
            lease_duration_seconds=int(self.config.lease_duration),
            acquire_time=acquire,
            renew_time=stamp,
            lease_transitions=transitions,
        )

    def _observe(self, lease: Lease) -> None:
        self._observed = lease.spec
        self._observed_version = lease.metadata.resource_version
        self._observed_at = now()
        holder = lease.spec.holder_identity or ""
        if holder != self._reported_leader:
            self._reported_leader = holder
            if holder and self._on_new_leader is not None:
                self._on_new_leader(holder)

    async def _release(self) -> None:
        """Give the lease up if this candidate still holds it (holder emptied, 1 s duration)."""
        config = self.config
        with move_on_after(config.retry_period, shield=True):
            try:
                lease = await self.client.get(Lease, config.lease_name, namespace=config.namespace)
            except APIError:
                return
            if lease.spec.holder_identity != self.identity:
                return
            stamp = wall_time()
            spec = LeaseSpec(
                holder_identity="",
                lease_duration_seconds=1,
                acquire_time=stamp,
                renew_time=stamp,
                lease_transitions=lease.spec.lease_transitions,
            )
            try:
                self._observe(await self.client.update(replace(lease, spec=spec)))
            except APIError:
                return
