"""Defaults for workload kinds: Deployment, ReplicaSet, ReplicationController, DaemonSet,
StatefulSet, Job and CronJob (upstream ``SetDefaults_*`` of apps/v1, core/v1 and batch/v1)."""

from __future__ import annotations

from kube_actors.api._default_pod import default_pod_template
from kube_actors.api._replace import replace as evolve
from kube_actors.api.apps import (
    DaemonSet,
    Deployment,
    DeploymentStrategy,
    ReplicaSet,
    RollingUpdateDaemonSet,
    RollingUpdateDeployment,
    RollingUpdateStatefulSetStrategy,
    StatefulSet,
    StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetUpdateStrategy,
)
from kube_actors.api.batch import CronJob, Job, JobSpec
from kube_actors.api.core import ReplicationController
from kube_actors.api.defaults import register_defaulter

_MAX_INT32 = 2**31 - 1


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


@register_defaulter(Deployment)
def default_deployment(d: Deployment) -> Deployment:
    """Replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600."""
    spec = d.spec
    strategy = spec.strategy or DeploymentStrategy()
    if not strategy.type:
        strategy = evolve(strategy, type="RollingUpdate")
    if strategy.type == "RollingUpdate":
        ru = strategy.rolling_update or RollingUpdateDeployment()
        ru = evolve(
            ru,
            max_unavailable="25%" if ru.max_unavailable is None else ru.max_unavailable,
            max_surge="25%" if ru.max_surge is None else ru.max_surge,
        )
        strategy = evolve(strategy, rolling_update=ru)
    return evolve(
        d,
        spec=evolve(
            spec,
            replicas=_or(spec.replicas, 1),
            strategy=strategy,
            revision_history_limit=_or(spec.revision_history_limit, 10),
            progress_deadline_seconds=_or(spec.progress_deadline_seconds, 600),
            template=default_pod_template(spec.template),
        ),
    )


@register_defaulter(ReplicaSet)
def default_replica_set(rs: ReplicaSet) -> ReplicaSet:
    """Replicas 1."""
    spec = rs.spec
    return evolve(
        rs,
        spec=evolve(
            spec, replicas=_or(spec.replicas, 1), template=default_pod_template(spec.template)
        ),
    )


@register_defaulter(ReplicationController)
def default_replication_controller(rc: ReplicationController) -> ReplicationController:
    """Replicas 1; selector and object labels default to the template's labels."""
    spec = rc.spec
    template = spec.template
    selector = spec.selector
    meta = rc.metadata
    if template is not None:
        template_labels = template.metadata.labels
        if not selector:
            selector = template_labels
        if not meta.labels:
            meta = evolve(meta, labels=template_labels)
        template = default_pod_template(template)
    return evolve(
        rc,
        metadata=meta,
        spec=evolve(spec, replicas=_or(spec.replicas, 1), selector=selector, template=template),
    )


@register_defaulter(DaemonSet)
def default_daemon_set(ds: DaemonSet) -> DaemonSet:
    """RollingUpdate with maxUnavailable 1 and maxSurge 0; revisionHistoryLimit 10."""
    spec = ds.spec
    strategy = spec.update_strategy
    if not strategy.type:
        strategy = evolve(strategy, type="RollingUpdate")
    if strategy.type == "RollingUpdate":
        ru = strategy.rolling_update or RollingUpdateDaemonSet()
        ru = evolve(
            ru,
            max_unavailable=1 if ru.max_unavailable is None else ru.max_unavailable,
            max_surge=0 if ru.max_surge is None else ru.max_surge,
        )
        strategy = evolve(strategy, rolling_update=ru)
    return evolve(
        ds,
        spec=evolve(
            spec,
            update_strategy=strategy,
            revision_history_limit=_or(spec.revision_history_limit, 10),
            template=default_pod_template(spec.template),
        ),
    )


@register_defaulter(StatefulSet)
def default_stateful_set(sts: StatefulSet) -> StatefulSet:
    """Replicas 1, OrderedReady, RollingUpdate from partition 0, PVCs retained."""
    spec = sts.spec
    strategy: StatefulSetUpdateStrategy = spec.update_strategy
    if not strategy.type:
        strategy = evolve(strategy, type="RollingUpdate")
    if strategy.type == "RollingUpdate":
        ru = strategy.rolling_update or RollingUpdateStatefulSetStrategy()
        strategy = evolve(strategy, rolling_update=evolve(ru, partition=_or(ru.partition, 0)))
    policy = spec.persistent_volume_claim_retention_policy or (
        StatefulSetPersistentVolumeClaimRetentionPolicy()
    )
    policy = evolve(
        policy,
        when_deleted=policy.when_deleted or "Retain",
        when_scaled=policy.when_scaled or "Retain",
    )
    return evolve(
        sts,
        spec=evolve(
            spec,
            replicas=_or(spec.replicas, 1),
            pod_management_policy=spec.pod_management_policy or "OrderedReady",
            update_strategy=strategy,
            revision_history_limit=_or(spec.revision_history_limit, 10),
            persistent_volume_claim_retention_policy=policy,
            template=default_pod_template(spec.template),
        ),
    )


def default_job_spec(spec: JobSpec) -> JobSpec:
    """Completions/parallelism 1/1 when both unset, backoffLimit 6, NonIndexed, not suspended."""
    completions, parallelism = spec.completions, spec.parallelism
    if completions is None and parallelism is None:
        completions = parallelism = 1
    elif parallelism is None:
        parallelism = 1
    backoff = spec.backoff_limit
    if backoff is None:
        # With a per-index limit the global one is effectively off (upstream: MaxInt32).
        backoff = _MAX_INT32 if spec.backoff_limit_per_index is not None else 6
    replacement = spec.pod_replacement_policy or (
        "Failed" if spec.pod_failure_policy is not None else "TerminatingOrFailed"
    )
    return evolve(
        spec,
        completions=completions,
        parallelism=parallelism,
        backoff_limit=backoff,
        completion_mode=spec.completion_mode or "NonIndexed",
        suspend=False if spec.suspend is None else spec.suspend,
        pod_replacement_policy=replacement,
        template=default_pod_template(spec.template),
    )


@register_defaulter(Job)
def default_job(job: Job) -> Job:
    """A Job with its spec defaulted."""
    return evolve(job, spec=default_job_spec(job.spec))


@register_defaulter(CronJob)
def default_cron_job(cj: CronJob) -> CronJob:
    """Allow concurrency, not suspended, keep 3 successful and 1 failed job."""
    spec = cj.spec
    return evolve(
        cj,
        spec=evolve(
            spec,
            concurrency_policy=spec.concurrency_policy or "Allow",
            suspend=False if spec.suspend is None else spec.suspend,
            successful_jobs_history_limit=_or(spec.successful_jobs_history_limit, 3),
            failed_jobs_history_limit=_or(spec.failed_jobs_history_limit, 1),
            job_template=evolve(spec.job_template, spec=default_job_spec(spec.job_template.spec)),
        ),
    )
