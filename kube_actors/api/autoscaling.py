"""autoscaling/v2 HorizontalPodAutoscaler: metric sources, targets, scaling behaviour, status."""

from __future__ import annotations

from datetime import datetime

import attrs

from kube_actors.api._fields import seq, time_field
from kube_actors.api.meta import LabelSelector, Resource
from kube_actors.api.quantity import Quantity
from kube_actors.api.registry import kind

# --- targets and identifiers ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CrossVersionObjectReference:
    """The object an autoscaler scales or reads a metric from, by kind and name."""

    kind: str
    name: str
    api_version: str = ""


@attrs.frozen(kw_only=True)
class MetricIdentifier:
    """A metric by name, optionally narrowed by a label selector."""

    name: str
    selector: LabelSelector | None = None


@attrs.frozen(kw_only=True)
class MetricTarget:
    """The target of a metric: Utilization, Value or AverageValue."""

    type: str
    value: Quantity | None = None
    average_value: Quantity | None = None
    average_utilization: int | None = None


@attrs.frozen(kw_only=True)
class MetricValueStatus:
    """The current value of a metric."""

    value: Quantity | None = None
    average_value: Quantity | None = None
    average_utilization: int | None = None


# --- metric sources (spec) --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ObjectMetricSource:
    """A metric describing one Kubernetes object (e.g. an Ingress's hits per second)."""

    described_object: CrossVersionObjectReference
    target: MetricTarget
    metric: MetricIdentifier


@attrs.frozen(kw_only=True)
class PodsMetricSource:
    """A metric averaged over the target's pods."""

    metric: MetricIdentifier
    target: MetricTarget


@attrs.frozen(kw_only=True)
class ResourceMetricSource:
    """A resource (cpu, memory) of the target's pods, summed over each pod's containers."""

    name: str
    target: MetricTarget


@attrs.frozen(kw_only=True)
class ContainerResourceMetricSource:
    """A resource (cpu, memory) of one named container of the target's pods."""

    name: str
    target: MetricTarget
    container: str


@attrs.frozen(kw_only=True)
class ExternalMetricSource:
    """A metric from outside the cluster."""

    metric: MetricIdentifier
    target: MetricTarget


@attrs.frozen(kw_only=True)
class MetricSpec:
    """One metric to scale on; ``type`` says which source is set."""

    type: str
    object: ObjectMetricSource | None = None
    pods: PodsMetricSource | None = None
    resource: ResourceMetricSource | None = None
    container_resource: ContainerResourceMetricSource | None = None
    external: ExternalMetricSource | None = None


# --- behaviour --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HPAScalingPolicy:
    """At most ``value`` Pods (or Percent) of change per ``period_seconds``."""

    type: str
    value: int
    period_seconds: int


@attrs.frozen(kw_only=True)
class HPAScalingRules:
    """Scaling rules for one direction: stabilization window, policies, tolerance."""

    stabilization_window_seconds: int | None = None
    select_policy: str | None = None
    policies: tuple[HPAScalingPolicy, ...] = seq()
    tolerance: Quantity | None = None


@attrs.frozen(kw_only=True)
class HorizontalPodAutoscalerBehavior:
    """Scale-up and scale-down rules (defaults when unset)."""

    scale_up: HPAScalingRules | None = None
    scale_down: HPAScalingRules | None = None


@attrs.frozen(kw_only=True)
class HorizontalPodAutoscalerSpec:
    """What to scale, between which bounds, on which metrics."""

    scale_target_ref: CrossVersionObjectReference
    min_replicas: int | None = None
    max_replicas: int
    metrics: tuple[MetricSpec, ...] = seq()
    behavior: HorizontalPodAutoscalerBehavior | None = None


# --- metric statuses --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ObjectMetricStatus:
    """Current value of an object metric."""

    metric: MetricIdentifier
    current: MetricValueStatus = MetricValueStatus()
    described_object: CrossVersionObjectReference


@attrs.frozen(kw_only=True)
class PodsMetricStatus:
    """Current value of a pods metric."""

    metric: MetricIdentifier
    current: MetricValueStatus = MetricValueStatus()


@attrs.frozen(kw_only=True)
class ResourceMetricStatus:
    """Current value of a resource metric."""

    name: str
    current: MetricValueStatus = MetricValueStatus()


@attrs.frozen(kw_only=True)
class ContainerResourceMetricStatus:
    """Current value of a container resource metric."""

    name: str
    current: MetricValueStatus = MetricValueStatus()
    container: str


@attrs.frozen(kw_only=True)
class ExternalMetricStatus:
    """Current value of an external metric."""

    metric: MetricIdentifier
    current: MetricValueStatus = MetricValueStatus()


@attrs.frozen(kw_only=True)
class MetricStatus:
    """Current value of one metric; ``type`` says which is set."""

    type: str
    object: ObjectMetricStatus | None = None
    pods: PodsMetricStatus | None = None
    resource: ResourceMetricStatus | None = None
    container_resource: ContainerResourceMetricStatus | None = None
    external: ExternalMetricStatus | None = None


@attrs.frozen(kw_only=True)
class HorizontalPodAutoscalerCondition:
    """AbleToScale, ScalingActive or ScalingLimited."""

    type: str
    status: str
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class HorizontalPodAutoscalerStatus:
    """Observed state of an autoscaler: replicas, metric values, conditions."""

    observed_generation: int | None = None
    last_scale_time: datetime | None = time_field()
    current_replicas: int = 0
    desired_replicas: int = 0
    current_metrics: tuple[MetricStatus, ...] = seq()
    conditions: tuple[HorizontalPodAutoscalerCondition, ...] = seq()


@kind("autoscaling", "v2", "horizontalpodautoscalers", short_names=("hpa",))
@attrs.frozen(kw_only=True)
class HorizontalPodAutoscaler(Resource):
    """autoscaling/v2 HorizontalPodAutoscaler (``spec`` has required fields, so no default)."""

    spec: HorizontalPodAutoscalerSpec
    status: HorizontalPodAutoscalerStatus = HorizontalPodAutoscalerStatus()


# --- autoscaling/v1 Scale: the scale subresource's representation ---------------------------


@attrs.frozen(kw_only=True)
class ScaleSpec:
    """The desired number of replicas."""

    replicas: int = 0


@attrs.frozen(kw_only=True)
class ScaleStatus:
    """The observed replicas and the pod selector, in string form."""

    replicas: int = 0
    selector: str = ""


@kind("autoscaling", "v1", "scales")
@attrs.frozen(kw_only=True)
class Scale(Resource):
    """autoscaling/v1 Scale: what the ``scale`` subresource of a Deployment, ReplicaSet,
    StatefulSet or ReplicationController reads and writes. It is never stored itself."""

    spec: ScaleSpec = ScaleSpec()
    status: ScaleStatus = ScaleStatus()
