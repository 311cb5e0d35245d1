"""API errors: upstream reasons, codes, messages and the Status wire form."""

from __future__ import annotations

from kube_actors.api import REGISTRY, Deployment, Pod
from kube_actors.api.validation import invalid, required
from kube_actors.store.errors import (
    AlreadyExists,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    NotFound,
)

DEPLOYMENTS = REGISTRY.for_class(Deployment)
PODS = REGISTRY.for_class(Pod)


def test_not_found_and_already_exists_read_like_upstream() -> None:
    missing = NotFound.of(DEPLOYMENTS, "web")
    assert str(missing) == 'deployments.apps "web" not found'
    assert (missing.status.reason, missing.status.code) == ("NotFound", 404)
    assert str(AlreadyExists.of(PODS, "web-1")) == 'pods "web-1" already exists'


def test_conflict_messages() -> None:
    assert str(Conflict.modified(PODS, "p")) == (
        'Operation cannot be fulfilled on pods "p": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert str(Conflict.precondition(PODS, "p", "UID", "a", "b")) == (
        'Operation cannot be fulfilled on pods "p": Precondition failed: '
        "UID in precondition: a, UID in object meta: b"
    )


def test_invalid_lists_every_field_error_with_causes() -> None:
    one = Invalid.of(DEPLOYMENTS, "web", [invalid("spec.replicas", -1, "must be >= 0")])
    assert (
        str(one)
        == 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be >= 0'
    )
    two = Invalid.of(PODS, "p", [required("spec.containers"), invalid("metadata.name", "P", "bad")])
    assert str(two) == (
        'Pod "p" is invalid: [spec.containers: Required value, '
        'metadata.name: Invalid value: "P": bad]'
    )
    assert two.status.to_dict() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": str(two),
        "reason": "Invalid",
        "code": 422,
        "details": {
            "name": "p",
            "kind": "Pod",
            "causes": [
                {
                    "reason": "FieldValueRequired",
                    "message": "Required value",
                    "field": "spec.containers",
                },
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "P": bad',
                    "field": "metadata.name",
                },
            ],
        },
    }
    assert len(two.errors) == 2


def test_expired_and_forbidden() -> None:
    gone = Expired.too_old(5, 10)
    assert (str(gone), gone.status.code, gone.status.reason) == (
        "too old resource version: 5 (10)",
        410,
        "Expired",
    )
    forbidden = Forbidden.of(PODS, "p", "namespace ns is being terminated")
    assert str(forbidden) == 'pods "p" is forbidden: namespace ns is being terminated'
    assert forbidden.status.to_dict()["details"] == {"name": "p", "kind": "pods"}
