"""Serialization: camelCase wire names, omitted defaults, strict types, paths in errors, round trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given

from kube_actors.api import (
    REGISTRY,
    Container,
    ContainerPort,
    ObjectMeta,
    Pod,
    PodSpec,
    PodStatus,
    Secret,
    SerializationError,
    dump_manifest,
    from_dict,
    load_manifests,
    parse_quantity,
    to_dict,
)
from kube_actors.testing.strategies import objects, registered_kinds


@pytest.mark.parametrize("cls", registered_kinds(), ids=lambda c: c.kind)
def test_every_kind_round_trips_through_yaml_and_json(cls: type[Any]) -> None:
    @given(objects(cls))
    def check(obj: Any) -> None:
        assert load_manifests(dump_manifest(obj), validate=False) == [obj]
        wire = json.loads(json.dumps(to_dict(obj)))
        assert from_dict(wire) == obj

    check()


def test_every_spec_kind_is_registered() -> None:
    kinds = {(info.api_version, info.kind) for info in REGISTRY}
    expected = {
        ("v1", k)
        for k in (
            "Namespace Node Pod Service Endpoints ConfigMap Secret Event "
            "ReplicationController PersistentVolume PersistentVolumeClaim"
        ).split()
    }
    expected |= {
        ("apps/v1", k)
        for k in "Deployment ReplicaSet DaemonSet StatefulSet ControllerRevision".split()
    }
    expected |= {("batch/v1", "Job"), ("batch/v1", "CronJob")}
    expected |= {("autoscaling/v2", "HorizontalPodAutoscaler")}
    expected |= {("discovery.k8s.io/v1", "EndpointSlice"), ("coordination.k8s.io/v1", "Lease")}
    assert expected <= kinds


def test_wire_names_are_camel_case_with_upstream_acronyms() -> None:
    pod = Pod(
        metadata=ObjectMeta(name="web"),
        spec=PodSpec(
            containers=[
                Container(name="c", ports=[ContainerPort(container_port=80, host_ip="1.2.3.4")])
            ],
            host_pid=True,
        ),
        status=PodStatus(pod_ip="10.0.0.1", host_ip="192.168.0.1", qos_class="BestEffort"),
    )
    data = to_dict(pod)
    assert data["spec"]["containers"][0]["ports"][0] == {"containerPort": 80, "hostIP": "1.2.3.4"}
    assert data["spec"]["hostPID"] is True
    assert data["status"] == {
        "hostIP": "192.168.0.1",
        "podIP": "10.0.0.1",
        "qosClass": "BestEffort",
    }


def test_pointer_fields_keep_explicit_zero_and_false() -> None:
    d = from_dict(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"replicas": 0, "paused": False},
        }
    )
    assert to_dict(d)["spec"] == {"replicas": 0}


def test_timestamps_are_utc_and_print_as_rfc3339_z() -> None:
    when = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    meta = ObjectMeta(name="x", creation_timestamp=when)
    assert meta.creation_timestamp == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert meta.creation_timestamp is not None
    assert meta.creation_timestamp.tzinfo is UTC
    data = to_dict(Pod(metadata=meta))
    assert data["metadata"]["creationTimestamp"] == "2024-05-01T12:00:00Z"
    micro = ObjectMeta(name="x", creation_timestamp=when.replace(microsecond=5))
    assert (
        to_dict(Pod(metadata=micro))["metadata"]["creationTimestamp"]
        == "2024-05-01T12:00:00.000005Z"
    )


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        ObjectMeta(creation_timestamp=datetime(2024, 1, 1))
    with pytest.raises(SerializationError) as caught:
        from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"creationTimestamp": "2024-01-01T00:00:00"},
            }
        )
    assert caught.value.errors[0].path == "metadata.creationTimestamp"


def test_secret_data_is_base64_on_the_wire_and_hidden_in_repr() -> None:
    secret = from_dict(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"password": "aHVudGVyMg=="},
        }
    )
    assert isinstance(secret, Secret)
    assert secret.data["password"] == b"hunter2"
    assert to_dict(secret)["data"] == {"password": "aHVudGVyMg=="}
    assert "hunter2" not in repr(secret)
    assert "aHVudGVyMg" not in repr(secret)


def test_bad_base64_names_the_key() -> None:
    with pytest.raises(SerializationError) as caught:
        from_dict(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "!!"}}
        )
    assert str(caught.value) == "data.k: illegal base64 data"


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"replicas": "3"}, "spec.replicas", "expected an integer, got str '3'"),
        ({"replicas": True}, "spec.replicas", "expected an integer, got bool True"),
        ({"paused": "yes"}, "spec.paused", "expected true or false, got str 'yes'"),
        (
            {"selector": {"matchLabels": {"app": 1}}},
            "spec.selector.matchLabels.app",
            "expected a string, got int 1",
        ),
        (
            {"template": {"spec": {"containers": {"name": "c"}}}},
            "spec.template.spec.containers",
            "expected a list, got a mapping",
        ),
        (
            {"template": {"spec": {"containers": [{"image": "x"}]}}},
            "spec.template.spec.containers[0].name",
            "Required value",
        ),
        (
            {"template": {"spec": {"containers": [{"name": "c", "args": ["a", 1]}]}}},
            "spec.template.spec.containers[0].args[1]",
            "expected a string, got int 1",
        ),
        (
            {"strategy": {"rollingUpdate": {"maxSurge": 1.5}}},
            "spec.strategy.rollingUpdate.maxSurge",
            "expected an integer or a string, got float 1.5",
        ),
        (
            {"template": {"metadata": {"labels": {"app.kubernetes.io/name": None}}}},
            "spec.template.metadata.labels[app.kubernetes.io/name]",
            "expected a string, got NoneType None",
        ),
    ],
)
def test_type_errors_name_the_field_path(spec: dict[str, Any], path: str, message: str) -> None:
    data = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}
    with pytest.raises(SerializationError) as caught:
        from_dict(data)
    assert [(e.path, e.message) for e in caught.value.errors] == [(path, message)]


def test_all_errors_are_reported_at_once() -> None:
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": 1, "nmae": "x"},
        "spec": {"nodeName": 2},
    }
    with pytest.raises(SerializationError) as caught:
        from_dict(data)
    assert sorted(e.path for e in caught.value.errors) == [
        "metadata.name",
        "metadata.nmae",
        "spec.nodeName",
    ]
    assert 'unknown field "nmae" (did you mean metadata.name?)' in str(caught.value)


def test_missing_or_unknown_kind() -> None:
    with pytest.raises(
        SerializationError, match=r"apiVersion: Required value; kind: Required value"
    ):
        from_dict({"metadata": {"name": "x"}})
    with pytest.raises(SerializationError, match="kind Pod is not registered for apps/v1"):
        from_dict({"apiVersion": "apps/v1", "kind": "Pod"})


def test_explicit_class_must_match_the_documents_kind() -> None:
    with pytest.raises(SerializationError, match="expected v1 Pod, got v1 Service"):
        from_dict({"apiVersion": "v1", "kind": "Service"}, Pod)
    assert from_dict({"metadata": {"name": "p"}}, Pod).metadata.name == "p"


def test_quantities_accept_yaml_numbers_and_print_canonically() -> None:
    node = from_dict(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n"},
            "status": {"capacity": {"cpu": 4, "memory": "0.5Gi", "pods": "110"}},
        }
    )
    assert node.status.capacity["cpu"] == parse_quantity("4")
    assert to_dict(node)["status"]["capacity"] == {"cpu": "4", "memory": "512Mi", "pods": "110"}


def test_int_or_string_keeps_its_type() -> None:
    svc = from_dict(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s"},
            "spec": {
                "ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]
            },
        }
    )
    assert [p.target_port for p in svc.spec.ports] == ["http", 8081]
