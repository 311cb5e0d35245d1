"""discovery.k8s.io/v1 EndpointSlice: the scalable successor of core/v1 Endpoints."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from kube_actors.api._fields import mapping, seq
from kube_actors.api.core import ObjectReference
from kube_actors.api.meta import Resource
from kube_actors.api.registry import kind


@attrs.frozen(kw_only=True)
class EndpointConditions:
    """Ready, serving and terminating state of an endpoint (unset means unknown)."""

    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


@attrs.frozen(kw_only=True)
class ForZone:
    """A zone that should consume an endpoint (topology-aware routing)."""

    name: str


@attrs.frozen(kw_only=True)
class ForNode:
    """A node that should consume an endpoint (PreferSameNode traffic distribution)."""

    name: str


@attrs.frozen(kw_only=True)
class EndpointHints:
    """Where an endpoint should be consumed from."""

    for_zones: tuple[ForZone, ...] = seq()
    for_nodes: tuple[ForNode, ...] = seq()


@attrs.frozen(kw_only=True)
class Endpoint:
    """One backend of a slice: its addresses (usually one pod IP), state and location."""

    addresses: tuple[str, ...] = seq()
    conditions: EndpointConditions = EndpointConditions()
    hostname: str | None = None
    target_ref: ObjectReference | None = None
    deprecated_topology: Mapping[str, str] = mapping()
    node_name: str | None = None
    zone: str | None = None
    hints: EndpointHints | None = None


@attrs.frozen(kw_only=True)
class EndpointSlicePort:
    """A port of an EndpointSlice (upstream ``discovery/v1.EndpointPort``)."""

    name: str | None = None
    protocol: str | None = None
    port: int | None = None
    app_protocol: str | None = None


@kind("discovery.k8s.io", "v1", "endpointslices")
@attrs.frozen(kw_only=True)
class EndpointSlice(Resource):
    """discovery.k8s.io/v1 EndpointSlice (no spec: fields sit beside ``metadata``)."""

    address_type: str
    endpoints: tuple[Endpoint, ...] = seq()
    ports: tuple[EndpointSlicePort, ...] = seq()
