"""Metadata validation's quick yes/no pass agrees with the full walk on valid and invalid
metadata, and the memos behind it keep answers apart per check and per path."""

from __future__ import annotations

from typing import Any

import pytest

from kube_actors.api import ObjectMeta, OwnerReference, names
from kube_actors.api import validation as v
from kube_actors.api.validation import check_annotations, check_object_meta

OWNER = OwnerReference(api_version="apps/v1", kind="ReplicaSet", name="web", uid="u-1")

VALID = [
    ObjectMeta(name="web"),
    ObjectMeta(name="web-7d4b9", generate_name="web-", namespace="default"),
    ObjectMeta(generate_name="web-", namespace="default"),
    ObjectMeta(
        name="a.b-c",
        namespace="kube-system",
        labels={"app": "web", "app.kubernetes.io/name": "x"},
        annotations={"note": "hello"},
        owner_references=(OWNER,),
        finalizers=("example.com/cleanup", "other"),
    ),
]

INVALID = [
    ObjectMeta(),
    ObjectMeta(name="Web_Server"),
    ObjectMeta(name="x" * 254),
    ObjectMeta(generate_name="Web_", namespace="default"),
    ObjectMeta(name="web", generate_name="-"),
    ObjectMeta(name="web", namespace="Not_A_Label"),
    ObjectMeta(name="web", namespace="a.b"),
    ObjectMeta(name="web", generation=-1),
    ObjectMeta(name="web", labels={"bad key!": "v"}),
    ObjectMeta(name="web", labels={"k": "bad value!"}),
    ObjectMeta(name="web", annotations={"bad key!": "v"}),
    ObjectMeta(name="web", annotations={"k": "v" * (256 * 1024)}),
    ObjectMeta(
        name="web", owner_references=(OwnerReference(api_version="v1", kind="X", name="", uid=""),)
    ),
    ObjectMeta(
        name="web",
        owner_references=(
            OwnerReference(api_version="v1", kind="X", name="a", uid="1", controller=True),
            OwnerReference(api_version="v1", kind="X", name="b", uid="2", controller=True),
        ),
    ),
    ObjectMeta(name="web", finalizers=("a", "a")),
    ObjectMeta(name="web", finalizers=("bad finalizer!",)),
]


def _full_walk(meta: ObjectMeta, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[str]:
    with monkeypatch.context() as m:
        m.setattr(v, "_object_meta_ok", lambda *args: False)
        return [str(e) for e in check_object_meta(meta, **kwargs)]


@pytest.mark.parametrize("meta", VALID, ids=lambda m: m.name or m.generate_name)
def test_valid_metadata_passes_both_ways(meta: ObjectMeta, monkeypatch: pytest.MonkeyPatch) -> None:
    assert v._object_meta_ok(meta, True, names.is_dns1123_subdomain, "metadata")
    assert check_object_meta(meta, namespaced=True) == []
    assert _full_walk(meta, monkeypatch, namespaced=True) == []


@pytest.mark.parametrize("meta", INVALID, ids=str)
def test_invalid_metadata_takes_the_full_walk(
    meta: ObjectMeta, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not v._object_meta_ok(meta, True, names.is_dns1123_subdomain, "metadata")
    errors = [str(e) for e in check_object_meta(meta, namespaced=True)]
    assert errors
    assert errors == _full_walk(meta, monkeypatch, namespaced=True)


def test_namespace_on_a_cluster_scoped_kind_is_refused() -> None:
    meta = ObjectMeta(name="web", namespace="default")
    [error] = check_object_meta(meta, namespaced=False)
    assert error.path == "metadata.namespace"


def test_name_checks_are_remembered_per_check() -> None:
    # A valid subdomain prefix is not a valid DNS-1035 label prefix (it starts with a digit).
    meta = ObjectMeta(generate_name="1web-", namespace="default")
    assert check_object_meta(meta, namespaced=True) == []
    errors = check_object_meta(meta, namespaced=True, name_check=names.is_dns1035_label)
    assert [e.path for e in errors] == ["metadata.generateName"]
    # A label name check refuses the dots a subdomain allows, for the name itself too.
    dotted = ObjectMeta(name="a.b")
    assert check_object_meta(dotted, namespaced=True) == []
    errors = check_object_meta(dotted, namespaced=True, name_check=names.is_dns1123_label)
    assert [e.path for e in errors] == ["metadata.name"]


def test_other_name_checks_are_called() -> None:
    calls: list[str] = []

    def check(value: str) -> list[str]:
        calls.append(value)
        return [] if value.startswith("ok") else ["nope"]

    assert check_object_meta(ObjectMeta(name="ok-1"), namespaced=True, name_check=check) == []
    errors = check_object_meta(ObjectMeta(name="bad"), namespaced=True, name_check=check)
    assert [(e.path, e.detail) for e in errors] == [("metadata.name", "nope")]
    assert "ok-1" in calls


def test_remembered_annotation_errors_keep_their_path() -> None:
    annotations = ObjectMeta(annotations={"bad key!": "v"}).annotations
    first = check_annotations("metadata.annotations", annotations)
    second = check_annotations("spec.template.metadata.annotations", annotations)
    assert [e.path for e in first] == ["metadata.annotations"]
    assert [e.path for e in second] == ["spec.template.metadata.annotations"]
    assert check_annotations("metadata.annotations", {"bad key!": "v"}) == first
