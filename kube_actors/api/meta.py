"""Object metadata shared by every kind: ObjectMeta, owner references, label selectors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import attrs

from kube_actors.api._fields import mapping, seq, time_field, wire


@attrs.frozen(kw_only=True)
class OwnerReference:
    """Points from a dependent to its owner (garbage collection, adoption)."""

    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


@attrs.frozen(kw_only=True)
class ObjectMeta:
    """Standard object metadata (``metadata:`` in every manifest)."""

    name: str = ""
    generate_name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: datetime | None = time_field()
    deletion_timestamp: datetime | None = time_field()
    deletion_grace_period_seconds: int | None = None
    labels: Mapping[str, str] = mapping()
    annotations: Mapping[str, str] = mapping()
    owner_references: tuple[OwnerReference, ...] = seq()
    finalizers: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class ListMeta:
    """Metadata of a list response: its resourceVersion and the continue token."""

    resource_version: str = ""
    continue_: str = wire("continue", "")
    remaining_item_count: int | None = None


@attrs.frozen(kw_only=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry: ``key`` ``operator`` (In, NotIn, Exists, DoesNotExist)."""

    key: str
    operator: str
    values: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class LabelSelector:
    """A label query: ``matchLabels`` ANDed with ``matchExpressions``.

    Use :func:`kube_actors.api.selector_from_label_selector` (or :meth:`to_selector`) to match.
    """

    match_labels: Mapping[str, str] = mapping()
    match_expressions: tuple[LabelSelectorRequirement, ...] = seq()


@attrs.frozen(kw_only=True)
class Condition:
    """The standard ``metav1.Condition`` (used by newer kinds and custom resources)."""

    type: str
    status: str
    observed_generation: int = 0
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class Resource:
    """Base class of every top-level kind.

    ``api_version`` and ``kind`` are class attributes set when the kind is registered; they are
    written to and read from manifests but never stored per object.
    """

    api_version: ClassVar[str] = ""
    kind: ClassVar[str] = ""

    metadata: ObjectMeta = ObjectMeta()

    @property
    def name(self) -> str:
        """Shortcut for ``metadata.name``."""
        return self.metadata.name

    @property
    def namespace(self) -> str:
        """Shortcut for ``metadata.namespace``."""
        return self.metadata.namespace
