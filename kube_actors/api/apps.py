"""apps/v1 workloads: Deployment, ReplicaSet, DaemonSet, StatefulSet and ControllerRevision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from kube_actors.api._fields import seq, time_field
from kube_actors.api._frozen import freeze_json
from kube_actors.api.core import PersistentVolumeClaimSpec, PersistentVolumeClaimStatus
from kube_actors.api.intstr import IntOrString
from kube_actors.api.meta import LabelSelector, ObjectMeta, Resource
from kube_actors.api.pod import PodTemplateSpec
from kube_actors.api.registry import kind

# --- Deployment -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RollingUpdateDeployment:
    """How far a rolling update may go below (``max_unavailable``) and above (``max_surge``)."""

    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None


@attrs.frozen(kw_only=True)
class DeploymentStrategy:
    """Recreate or RollingUpdate."""

    type: str = ""
    rolling_update: RollingUpdateDeployment | None = None


@attrs.frozen(kw_only=True)
class DeploymentSpec:
    """Desired pods of a deployment and how to roll out changes to them."""

    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    strategy: DeploymentStrategy | None = None
    min_ready_seconds: int = 0
    revision_history_limit: int | None = None
    paused: bool = False
    progress_deadline_seconds: int | None = None


@attrs.frozen(kw_only=True)
class DeploymentCondition:
    """Available, Progressing or ReplicaFailure."""

    type: str
    status: str
    last_update_time: datetime | None = time_field()
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class DeploymentStatus:
    """Observed state of a deployment, summed over its replica sets."""

    observed_generation: int = 0
    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    unavailable_replicas: int = 0
    terminating_replicas: int | None = None
    conditions: tuple[DeploymentCondition, ...] = seq()
    collision_count: int | None = None


@kind("apps", "v1", "deployments", short_names=("deploy",))
@attrs.frozen(kw_only=True)
class Deployment(Resource):
    """apps/v1 Deployment."""

    spec: DeploymentSpec = DeploymentSpec()
    status: DeploymentStatus = DeploymentStatus()


# --- ReplicaSet -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReplicaSetSpec:
    """Desired number of pods matching a selector, stamped from a template."""

    replicas: int | None = None
    min_ready_seconds: int = 0
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()


@attrs.frozen(kw_only=True)
class ReplicaSetCondition:
    """A replica set condition, e.g. ReplicaFailure."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class ReplicaSetStatus:
    """Observed replica counts of a replica set."""

    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    terminating_replicas: int | None = None
    observed_generation: int = 0
    conditions: tuple[ReplicaSetCondition, ...] = seq()


@kind("apps", "v1", "replicasets", short_names=("rs",))
@attrs.frozen(kw_only=True)
class ReplicaSet(Resource):
    """apps/v1 ReplicaSet."""

    spec: ReplicaSetSpec = ReplicaSetSpec()
    status: ReplicaSetStatus = ReplicaSetStatus()


# --- DaemonSet --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RollingUpdateDaemonSet:
    """How many nodes may lack (``max_unavailable``) or double up (``max_surge``) a daemon pod."""

    max_unavailable: IntOrString | None = None
    max_surge: IntOrString | None = None


@attrs.frozen(kw_only=True)
class DaemonSetUpdateStrategy:
    """RollingUpdate or OnDelete."""

    type: str = ""
    rolling_update: RollingUpdateDaemonSet | None = None


@attrs.frozen(kw_only=True)
class DaemonSetSpec:
    """One pod per eligible node, stamped from a template."""

    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    update_strategy: DaemonSetUpdateStrategy = DaemonSetUpdateStrategy()
    min_ready_seconds: int = 0
    revision_history_limit: int | None = None


@attrs.frozen(kw_only=True)
class DaemonSetCondition:
    """A daemon set condition."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class DaemonSetStatus:
    """Observed scheduling counts of a daemon set."""

    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    desired_number_scheduled: int = 0
    number_ready: int = 0
    observed_generation: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0
    number_unavailable: int = 0
    collision_count: int | None = None
    conditions: tuple[DaemonSetCondition, ...] = seq()


@kind("apps", "v1", "daemonsets", short_names=("ds",))
@attrs.frozen(kw_only=True)
class DaemonSet(Resource):
    """apps/v1 DaemonSet."""

    spec: DaemonSetSpec = DaemonSetSpec()
    status: DaemonSetStatus = DaemonSetStatus()


# --- StatefulSet ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PersistentVolumeClaimTemplate:
    """A claim stamped out per stateful pod (upstream a full PersistentVolumeClaim)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PersistentVolumeClaimSpec = PersistentVolumeClaimSpec()
    status: PersistentVolumeClaimStatus = PersistentVolumeClaimStatus()


@attrs.frozen(kw_only=True)
class RollingUpdateStatefulSetStrategy:
    """Only ordinals >= ``partition`` are updated; ``max_unavailable`` bounds the pace."""

    partition: int | None = None
    max_unavailable: IntOrString | None = None


@attrs.frozen(kw_only=True)
class StatefulSetUpdateStrategy:
    """RollingUpdate or OnDelete."""

    type: str = ""
    rolling_update: RollingUpdateStatefulSetStrategy | None = None


@attrs.frozen(kw_only=True)
class StatefulSetPersistentVolumeClaimRetentionPolicy:
    """Whether claims are kept or deleted when the set is deleted or scaled down."""

    when_deleted: str = ""
    when_scaled: str = ""


@attrs.frozen(kw_only=True)
class StatefulSetOrdinals:
    """The first ordinal of the set's pods."""

    start: int = 0


@attrs.frozen(kw_only=True)
class StatefulSetSpec:
    """Pods with stable names and storage, created and updated in order."""

    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    volume_claim_templates: tuple[PersistentVolumeClaimTemplate, ...] = seq()
    service_name: str = ""
    pod_management_policy: str = ""
    update_strategy: StatefulSetUpdateStrategy = StatefulSetUpdateStrategy()
    revision_history_limit: int | None = None
    min_ready_seconds: int = 0
    persistent_volume_claim_retention_policy: (
        StatefulSetPersistentVolumeClaimRetentionPolicy | None
    ) = None
    ordinals: StatefulSetOrdinals | None = None


@attrs.frozen(kw_only=True)
class StatefulSetCondition:
    """A stateful set condition."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class StatefulSetStatus:
    """Observed replica counts and revisions of a stateful set."""

    observed_generation: int = 0
    replicas: int = 0
    ready_replicas: int = 0
    current_replicas: int = 0
    updated_replicas: int = 0
    current_revision: str = ""
    update_revision: str = ""
    collision_count: int | None = None
    conditions: tuple[StatefulSetCondition, ...] = seq()
    available_replicas: int = 0


@kind("apps", "v1", "statefulsets", short_names=("sts",))
@attrs.frozen(kw_only=True)
class StatefulSet(Resource):
    """apps/v1 StatefulSet."""

    spec: StatefulSetSpec = StatefulSetSpec()
    status: StatefulSetStatus = StatefulSetStatus()


# --- ControllerRevision -----------------------------------------------------------------------


@kind("apps", "v1", "controllerrevisions")
@attrs.frozen(kw_only=True)
class ControllerRevision(Resource):
    """apps/v1 ControllerRevision: an immutable snapshot of a DaemonSet or StatefulSet template."""

    # Arbitrary JSON (runtime.RawExtension), frozen so the object stays immutable.
    data: Any = attrs.field(default=None, converter=freeze_json)
    revision: int
