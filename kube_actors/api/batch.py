"""batch/v1 Job and CronJob."""

from __future__ import annotations

from datetime import datetime

import attrs

from kube_actors.api._fields import seq, time_field
from kube_actors.api.core import ObjectReference
from kube_actors.api.meta import LabelSelector, ObjectMeta, Resource
from kube_actors.api.pod import PodTemplateSpec
from kube_actors.api.registry import kind

# --- Job --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PodFailurePolicyOnExitCodesRequirement:
    """Matches a failed pod by its containers' exit codes (In or NotIn ``values``)."""

    container_name: str | None = None
    operator: str
    values: tuple[int, ...] = seq()


@attrs.frozen(kw_only=True)
class PodFailurePolicyOnPodConditionsPattern:
    """Matches a failed pod by one of its conditions (``status`` defaults to True)."""

    type: str
    status: str = ""


@attrs.frozen(kw_only=True)
class PodFailurePolicyRule:
    """What to do with a failed pod that matches: FailJob, FailIndex, Ignore or Count."""

    action: str
    on_exit_codes: PodFailurePolicyOnExitCodesRequirement | None = None
    on_pod_conditions: tuple[PodFailurePolicyOnPodConditionsPattern, ...] = seq()


@attrs.frozen(kw_only=True)
class PodFailurePolicy:
    """Rules, checked in order, deciding how pod failures count against the job."""

    rules: tuple[PodFailurePolicyRule, ...] = seq()


@attrs.frozen(kw_only=True)
class JobSpec:
    """How many pods to run to completion, how in parallel, and when to give up."""

    parallelism: int | None = None
    completions: int | None = None
    active_deadline_seconds: int | None = None
    pod_failure_policy: PodFailurePolicy | None = None
    backoff_limit: int | None = None
    backoff_limit_per_index: int | None = None
    max_failed_indexes: int | None = None
    selector: LabelSelector | None = None
    manual_selector: bool | None = None
    template: PodTemplateSpec = PodTemplateSpec()
    ttl_seconds_after_finished: int | None = None
    completion_mode: str | None = None
    suspend: bool | None = None
    pod_replacement_policy: str | None = None
    managed_by: str | None = None


@attrs.frozen(kw_only=True)
class JobCondition:
    """Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet."""

    type: str
    status: str
    last_probe_time: datetime | None = time_field()
    last_transition_time: datetime | None = time_field()
    reason: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class UncountedTerminatedPods:
    """UIDs of finished pods not yet counted in the status (finalizer tracking)."""

    succeeded: tuple[str, ...] = seq()
    failed: tuple[str, ...] = seq()


@attrs.frozen(kw_only=True)
class JobStatus:
    """Observed progress of a job."""

    conditions: tuple[JobCondition, ...] = seq()
    start_time: datetime | None = time_field()
    completion_time: datetime | None = time_field()
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    terminating: int | None = None
    completed_indexes: str = ""
    failed_indexes: str | None = None
    uncounted_terminated_pods: UncountedTerminatedPods | None = None
    ready: int | None = None


@kind("batch", "v1", "jobs")
@attrs.frozen(kw_only=True)
class Job(Resource):
    """batch/v1 Job."""

    spec: JobSpec = JobSpec()
    status: JobStatus = JobStatus()


# --- CronJob ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class JobTemplateSpec:
    """The job a CronJob creates on each run."""

    metadata: ObjectMeta = ObjectMeta()
    spec: JobSpec = JobSpec()


@attrs.frozen(kw_only=True)
class CronJobSpec:
    """When to run jobs (a cron ``schedule``), how they may overlap, and how many to keep."""

    schedule: str
    time_zone: str | None = None
    starting_deadline_seconds: int | None = None
    concurrency_policy: str = ""
    suspend: bool | None = None
    job_template: JobTemplateSpec = JobTemplateSpec()
    successful_jobs_history_limit: int | None = None
    failed_jobs_history_limit: int | None = None


@attrs.frozen(kw_only=True)
class CronJobStatus:
    """Running jobs and when the schedule last fired and last succeeded."""

    active: tuple[ObjectReference, ...] = seq()
    last_schedule_time: datetime | None = time_field()
    last_successful_time: datetime | None = time_field()


@kind("batch", "v1", "cronjobs", short_names=("cj",))
@attrs.frozen(kw_only=True)
class CronJob(Resource):
    """batch/v1 CronJob (``spec.schedule`` is required, so ``spec`` has no default)."""

    spec: CronJobSpec
    status: CronJobStatus = CronJobStatus()
