"""coordination.k8s.io/v1 Lease: leader election and node heartbeats."""

from __future__ import annotations

from datetime import datetime

import attrs

from kube_actors.api._fields import time_field
from kube_actors.api.meta import Resource
from kube_actors.api.registry import kind


@attrs.frozen(kw_only=True)
class LeaseSpec:
    """Who holds the lease, for how long, and since when."""

    holder_identity: str | None = None
    lease_duration_seconds: int | None = None
    acquire_time: datetime | None = time_field()  # MicroTime
    renew_time: datetime | None = time_field()  # MicroTime
    lease_transitions: int | None = None
    strategy: str | None = None
    preferred_holder: str | None = None


@kind("coordination.k8s.io", "v1", "leases")
@attrs.frozen(kw_only=True)
class Lease(Resource):
    """coordination.k8s.io/v1 Lease."""

    spec: LeaseSpec = LeaseSpec()
