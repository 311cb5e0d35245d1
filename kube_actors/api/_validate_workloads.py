"""Validation of workload kinds: Deployment, ReplicaSet, ReplicationController, DaemonSet,
StatefulSet, Job and CronJob (upstream apps, core and batch validation)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping

from kube_actors.api import names
from kube_actors.api._paths import join
from kube_actors.api._validate_pod import validate_pod_template
from kube_actors.api.apps import DaemonSet, Deployment, ReplicaSet, StatefulSet
from kube_actors.api.batch import CronJob, Job, JobSpec
from kube_actors.api.core import ReplicationController
from kube_actors.api.cron import CronError, parse_cron
from kube_actors.api.intstr import IntOrString, is_percent, percent_value
from kube_actors.api.meta import LabelSelector
from kube_actors.api.pod import PodTemplateSpec
from kube_actors.api.selectors import SelectorError, selector_from_label_selector
from kube_actors.api.validation import (
    FieldError,
    check_enum,
    check_label_selector,
    check_labels,
    check_name,
    check_non_negative,
    check_positive,
    forbidden,
    invalid,
    not_supported,
    register_validator,
    required,
)

_PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)

# CronJob names leave room for the 11-character suffix of the Jobs they create.
CRONJOB_NAME_MAX = 52


def _check_int_or_percent(path: str, value: IntOrString | None) -> list[FieldError]:
    if value is None:
        return []
    if isinstance(value, str):
        if not is_percent(value):
            return [
                invalid(
                    path,
                    value,
                    _PERCENT_MSG,
                )
            ]
        return []
    return check_non_negative(path, value)


def _check_not_over_100(path: str, value: IntOrString | None) -> list[FieldError]:
    pct = percent_value(value) if value is not None else None
    if pct is not None and pct > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


def _is_zero(value: IntOrString | None) -> bool:
    return value == 0 or (isinstance(value, str) and percent_value(value) == 0)


def check_rolling_update(
    path: str, max_unavailable: IntOrString | None, max_surge: IntOrString | None
) -> list[FieldError]:
    """maxUnavailable/maxSurge: ints >= 0 or percentages, maxUnavailable <= 100%, not both 0."""
    errors = _check_int_or_percent(join(path, "maxUnavailable"), max_unavailable)
    errors += _check_int_or_percent(join(path, "maxSurge"), max_surge)
    errors += _check_not_over_100(join(path, "maxUnavailable"), max_unavailable)
    if _is_zero(max_unavailable) and _is_zero(max_surge):
        errors.append(
            invalid(
                join(path, "maxUnavailable"), max_unavailable, "may not be 0 when `maxSurge` is 0"
            )
        )
    return errors


def check_selector_and_template(
    path: str,
    selector: LabelSelector | None,
    template: PodTemplateSpec,
    *,
    restart_policies: tuple[str, ...] = ("Always",),
    extra_volumes: tuple[str, ...] = (),
) -> list[FieldError]:
    """A non-empty valid selector that matches the template's labels, and a valid template."""
    errors: list[FieldError] = []
    sel_path = join(path, "selector")
    if selector is None:
        errors.append(required(sel_path))
    elif not selector.match_labels and not selector.match_expressions:
        errors.append(invalid(sel_path, "", "empty selector is invalid for deployment"))
    else:
        errors += check_label_selector(sel_path, selector)
        if not errors:
            errors += _check_template_matches(path, selector, template)
    errors += validate_pod_template(join(path, "template"), template, extra_volumes=extra_volumes)
    errors += _check_restart_policy(path, template, restart_policies)
    return errors


def _check_template_matches(
    path: str, selector: LabelSelector, template: PodTemplateSpec
) -> list[FieldError]:
    try:
        matches = selector_from_label_selector(selector).matches(template.metadata.labels)
    except SelectorError as exc:
        return [invalid(join(path, "selector"), "", str(exc))]
    if matches:
        return []
    return [
        invalid(
            join(join(join(path, "template"), "metadata"), "labels"),
            template.metadata.labels,
            "`selector` does not match template `labels`",
        )
    ]


def _check_restart_policy(
    path: str, template: PodTemplateSpec, allowed: tuple[str, ...]
) -> list[FieldError]:
    policy = template.spec.restart_policy
    if policy in allowed:
        return []
    return [
        not_supported(join(join(join(path, "template"), "spec"), "restartPolicy"), policy, allowed)
    ]


def _check_history(spec_path: str, limit: int | None, min_ready: int) -> list[FieldError]:
    errors = check_non_negative(join(spec_path, "revisionHistoryLimit"), limit)
    return errors + check_non_negative(join(spec_path, "minReadySeconds"), min_ready)


@register_validator(Deployment)
def validate_deployment(d: Deployment) -> list[FieldError]:
    """Replicas, selector vs template, strategy (maxSurge/maxUnavailable), deadlines."""
    spec, p = d.spec, "spec"
    errors = check_non_negative(join(p, "replicas"), spec.replicas)
    errors += check_selector_and_template(p, spec.selector, spec.template)
    strategy = spec.strategy
    if strategy is not None:
        sp = join(p, "strategy")
        errors += check_enum(join(sp, "type"), strategy.type, ("Recreate", "RollingUpdate"))
        ru = strategy.rolling_update
        if strategy.type == "Recreate" and ru is not None:
            errors.append(
                forbidden(
                    join(sp, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            )
        elif ru is not None:
            errors += check_rolling_update(
                join(sp, "rollingUpdate"), ru.max_unavailable, ru.max_surge
            )
    errors += _check_history(p, spec.revision_history_limit, spec.min_ready_seconds)
    deadline = spec.progress_deadline_seconds
    if deadline is not None:
        errors += check_positive(join(p, "progressDeadlineSeconds"), deadline)
        if deadline <= spec.min_ready_seconds:
            errors.append(
                invalid(
                    join(p, "progressDeadlineSeconds"),
                    deadline,
                    "must be greater than minReadySeconds",
                )
            )
    return errors


@register_validator(ReplicaSet)
def validate_replica_set(rs: ReplicaSet) -> list[FieldError]:
    """Replicas and selector vs template."""
    errors = check_non_negative("spec.replicas", rs.spec.replicas)
    errors += check_non_negative("spec.minReadySeconds", rs.spec.min_ready_seconds)
    return errors + check_selector_and_template("spec", rs.spec.selector, rs.spec.template)


@register_validator(ReplicationController)
def validate_replication_controller(rc: ReplicationController) -> list[FieldError]:
    """An equality selector that the template's labels satisfy."""
    spec = rc.spec
    errors = check_non_negative("spec.replicas", spec.replicas)
    errors += check_non_negative("spec.minReadySeconds", spec.min_ready_seconds)
    if not spec.selector:
        errors.append(required("spec.selector"))
    else:
        errors += check_labels("spec.selector", spec.selector)
    if spec.template is None:
        errors.append(required("spec.template"))
        return errors
    labels: Mapping[str, str] = spec.template.metadata.labels
    if spec.selector and any(labels.get(k) != v for k, v in spec.selector.items()):
        errors.append(
            invalid(
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        )
    errors += validate_pod_template("spec.template", spec.template)
    return errors + _check_restart_policy("spec", spec.template, ("Always",))


@register_validator(DaemonSet)
def validate_daemon_set(ds: DaemonSet) -> list[FieldError]:
    """Selector vs template and the update strategy."""
    spec = ds.spec
    errors = check_selector_and_template("spec", spec.selector, spec.template)
    strategy = spec.update_strategy
    errors += check_enum("spec.updateStrategy.type", strategy.type, ("OnDelete", "RollingUpdate"))
    ru = strategy.rolling_update
    if strategy.type == "RollingUpdate" and ru is not None:
        errors += check_rolling_update(
            "spec.updateStrategy.rollingUpdate", ru.max_unavailable, ru.max_surge
        )
    return errors + _check_history("spec", spec.revision_history_limit, spec.min_ready_seconds)


@register_validator(StatefulSet)
def validate_stateful_set(sts: StatefulSet) -> list[FieldError]:
    """Replicas, selector vs template, pod management and update strategy, claim templates."""
    spec = sts.spec
    errors = check_non_negative("spec.replicas", spec.replicas)
    claims = tuple(c.metadata.name for c in spec.volume_claim_templates)
    errors += check_selector_and_template(
        "spec", spec.selector, spec.template, extra_volumes=claims
    )
    errors += check_enum(
        "spec.podManagementPolicy", spec.pod_management_policy, ("OrderedReady", "Parallel")
    )
    strategy = spec.update_strategy
    errors += check_enum("spec.updateStrategy.type", strategy.type, ("OnDelete", "RollingUpdate"))
    ru = strategy.rolling_update
    if ru is not None:
        if strategy.type != "RollingUpdate":
            errors.append(
                forbidden(
                    "spec.updateStrategy.rollingUpdate",
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
        errors += check_non_negative("spec.updateStrategy.rollingUpdate.partition", ru.partition)
        if ru.max_unavailable is not None:
            errors += _check_int_or_percent(
                "spec.updateStrategy.rollingUpdate.maxUnavailable", ru.max_unavailable
            )
            if _is_zero(ru.max_unavailable):
                errors.append(
                    invalid(
                        "spec.updateStrategy.rollingUpdate.maxUnavailable",
                        ru.max_unavailable,
                        "must be greater than 0",
                    )
                )
    policy = spec.persistent_volume_claim_retention_policy
    if policy is not None:
        for field, value in (
            ("whenDeleted", policy.when_deleted),
            ("whenScaled", policy.when_scaled),
        ):
            errors += check_enum(
                join("spec.persistentVolumeClaimRetentionPolicy", field),
                value,
                ("Retain", "Delete"),
            )
    seen: set[str] = set()
    for i, claim in enumerate(spec.volume_claim_templates):
        p = join("spec.volumeClaimTemplates", i)
        name = claim.metadata.name
        if not name:
            errors.append(required(join(p, "metadata.name")))
        else:
            errors += check_name(join(p, "metadata.name"), name, names.is_dns1123_subdomain)
            if name in seen:
                errors.append(invalid(join(p, "metadata.name"), name, "must be unique"))
            seen.add(name)
    if spec.ordinals is not None:
        errors += check_non_negative("spec.ordinals.start", spec.ordinals.start)
    return errors + _check_history("spec", spec.revision_history_limit, spec.min_ready_seconds)


def validate_job_spec(path: str, spec: JobSpec) -> list[FieldError]:
    """Counts and deadlines, completion mode, and a template that restarts OnFailure or Never."""
    errors: list[FieldError] = []
    for field, value in (
        ("parallelism", spec.parallelism),
        ("completions", spec.completions),
        ("backoffLimit", spec.backoff_limit),
        ("ttlSecondsAfterFinished", spec.ttl_seconds_after_finished),
    ):
        errors += check_non_negative(join(path, field), value)
    errors += check_positive(join(path, "activeDeadlineSeconds"), spec.active_deadline_seconds)
    errors += check_non_negative(join(path, "backoffLimitPerIndex"), spec.backoff_limit_per_index)
    if spec.completion_mode is not None:
        errors += check_enum(
            join(path, "completionMode"), spec.completion_mode, ("NonIndexed", "Indexed")
        )
        if spec.completion_mode == "Indexed" and spec.completions is None:
            errors.append(required(join(path, "completions"), "when completion mode is Indexed"))
    if spec.backoff_limit_per_index is not None and spec.completion_mode != "Indexed":
        errors.append(
            invalid(
                join(path, "backoffLimitPerIndex"),
                spec.backoff_limit_per_index,
                "requires indexed completion mode",
            )
        )
    if spec.pod_replacement_policy is not None:
        errors += check_enum(
            join(path, "podReplacementPolicy"),
            spec.pod_replacement_policy,
            ("TerminatingOrFailed", "Failed"),
        )
    if spec.selector is not None:
        errors += check_label_selector(join(path, "selector"), spec.selector)
        if spec.selector.match_labels or spec.selector.match_expressions:
            errors += _check_template_matches(path, spec.selector, spec.template)
    errors += validate_pod_template(join(path, "template"), spec.template)
    return errors + _check_restart_policy(path, spec.template, ("OnFailure", "Never"))


@register_validator(Job)
def validate_job(job: Job) -> list[FieldError]:
    """A Job's spec."""
    return validate_job_spec("spec", job.spec)


@register_validator(CronJob)
def validate_cron_job(cj: CronJob) -> list[FieldError]:
    """Name length, schedule, time zone, policies, history limits and the job template."""
    spec = cj.spec
    errors: list[FieldError] = []
    if len(cj.metadata.name) > CRONJOB_NAME_MAX:
        errors.append(
            invalid(
                "metadata.name",
                cj.metadata.name,
                f"must be no more than {CRONJOB_NAME_MAX} characters",
            )
        )
    if not spec.schedule:
        errors.append(required("spec.schedule"))
    else:
        try:
            parse_cron(spec.schedule)
        except CronError as exc:
            errors.append(invalid("spec.schedule", spec.schedule, str(exc)))
    if spec.time_zone is not None:
        errors += _check_time_zone("spec.timeZone", spec.time_zone)
    errors += check_enum(
        "spec.concurrencyPolicy", spec.concurrency_policy, ("Allow", "Forbid", "Replace")
    )
    errors += check_non_negative("spec.startingDeadlineSeconds", spec.starting_deadline_seconds)
    errors += check_non_negative(
        "spec.successfulJobsHistoryLimit", spec.successful_jobs_history_limit
    )
    errors += check_non_negative("spec.failedJobsHistoryLimit", spec.failed_jobs_history_limit)
    errors += check_labels("spec.jobTemplate.metadata.labels", spec.job_template.metadata.labels)
    return errors + validate_job_spec("spec.jobTemplate.spec", spec.job_template.spec)


def _check_time_zone(path: str, tz: str) -> list[FieldError]:
    if tz == "" or tz.lower() == "local" or " " in tz:
        return [invalid(path, tz, "unknown time zone")]
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [invalid(path, tz, "unknown time zone")]
    return []
