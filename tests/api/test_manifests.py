"""Manifests: every shared manifest loads, every invalid one fails naming its field, dumps reload."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from kube_actors.api import (
    ConfigMap,
    Deployment,
    ManifestError,
    Namespace,
    Pod,
    Service,
    dump_manifest,
    dump_manifests,
    load_manifests,
)
from tests.conftest import SHARED_MANIFESTS

VALID = sorted(SHARED_MANIFESTS.glob("*.yaml"))
INVALID = sorted((SHARED_MANIFESTS / "invalid").glob("*.yaml"))

EXPECTED_KINDS = {
    "batch.yaml": ["Job", "CronJob"],
    "daemonset-statefulset.yaml": ["DaemonSet", "Service", "StatefulSet"],
    "hpa.yaml": ["Deployment", "HorizontalPodAutoscaler"],
    "init-container-pod.yaml": ["Pod"],
    "multi-container-pod.yaml": ["Pod"],
    "namespace-dev.yaml": ["Namespace"],
    "nginx-pod.yaml": ["Pod"],
    "pc-deployment-recreate.yaml": ["Deployment"],
    "pc-deployment.yaml": ["Deployment"],
    "rc-and-nodeport-service.yaml": ["ReplicationController", "Service"],
    "scheduling.yaml": ["Node", "Node", "Pod", "Pod", "Pod"],
    "services.yaml": ["Service"] * 5,
}


def test_every_shared_manifest_is_covered() -> None:
    assert {p.name for p in VALID} == set(EXPECTED_KINDS)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_shared_manifest_loads(path: Path) -> None:
    objects = load_manifests(path)
    assert [type(o).kind for o in objects] == EXPECTED_KINDS[path.name]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_shared_manifest_round_trips_through_dump(path: Path) -> None:
    objects = load_manifests(path)
    assert load_manifests(dump_manifests(objects)) == objects
    for obj in objects:
        assert load_manifests(dump_manifest(obj)) == [obj]


def _first_comment(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# invalid: "), first
    return first.removeprefix("# invalid: ")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_manifest_names_what_its_comment_names(path: Path) -> None:
    comment = _first_comment(path)
    with pytest.raises(ManifestError) as caught:
        load_manifests(path)
    err = caught.value
    assert err.source == str(path)
    assert err.document == 1
    assert str(err).startswith(f"{path} doc 1: ")
    named = comment.split()[0]
    if "." in named:  # the comment starts with a field path: the error names exactly that field
        assert err.path == named, str(err)
    elif named == "kind":  # "kind Deploymnet is not registered for apps/v1"
        assert err.path == "kind"
        assert "kind Deploymnet is not registered for apps/v1" in err.message
    else:  # "not valid YAML (bad indentation on line 6)"
        line = re.search(r"line (\d+)", comment)
        assert line is not None
        assert "invalid YAML" in err.message
        assert f"line {line.group(1)}," in err.message


def test_invalid_values_are_quoted_in_messages() -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests(SHARED_MANIFESTS / "invalid" / "bad-quantity.yaml")
    assert caught.value.message.startswith('invalid quantity "12x"')
    with pytest.raises(ManifestError) as caught:
        load_manifests(SHARED_MANIFESTS / "invalid" / "unknown-field.yaml")
    assert caught.value.message == 'unknown field "replica" (did you mean spec.replicas?)'


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: nginx
"""


def test_sources_text_bytes_path_str_stream_directory(tmp_path: Path) -> None:
    file = tmp_path / "pod.yaml"
    file.write_text(POD)
    (tmp_path / "notes.txt").write_text("not a manifest")
    expected = load_manifests(POD)
    assert [o.metadata.name for o in expected] == ["web"]
    assert load_manifests(POD.encode()) == expected
    assert load_manifests(file) == expected
    assert load_manifests(str(file)) == expected
    assert load_manifests(io.StringIO(POD)) == expected
    assert load_manifests(tmp_path) == expected


def test_directory_is_not_recursive_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pod.yaml").write_text(POD)
    assert load_manifests(tmp_path) == []
    assert len(load_manifests(tmp_path, recursive=True)) == 1


def test_missing_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests(tmp_path / "nope.yaml")
    assert caught.value.source.endswith("nope.yaml")
    assert caught.value.document is None


def test_empty_documents_are_skipped_and_numbering_counts_them() -> None:
    bad = "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\n"
    text = "---\n" + POD + "---\n---\n" + bad
    with pytest.raises(ManifestError) as caught:
        load_manifests(text)
    assert caught.value.document == 3
    assert caught.value.path == "metadata.name"
    assert len(load_manifests("---\n" + POD + "---\n---\n")) == 1


def test_every_bad_document_is_reported_and_nothing_is_returned() -> None:
    text = (
        POD
        + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n"
        + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: x}]}\n"
        + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: three}\n"
    )
    with pytest.raises(ManifestError) as caught:
        load_manifests(text)
    problems = caught.value.problems
    assert [(p.document, p.path) for p in problems][:2] == [
        (3, "metadata.name"),
        (4, "spec.replicas"),
    ]
    assert problems[1].message == "expected an integer, got str 'three'"


def test_list_kind_is_expanded() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
    [ns] = load_manifests(text)
    assert isinstance(ns, Namespace)


def test_lenient_mode_ignores_unknown_fields() -> None:
    path = SHARED_MANIFESTS / "invalid" / "unknown-field.yaml"
    [deployment] = load_manifests(path, strict=False)
    assert isinstance(deployment, Deployment)
    assert deployment.spec.replicas is None


def test_validate_false_skips_server_side_checks() -> None:
    [pod] = load_manifests(SHARED_MANIFESTS / "invalid" / "bad-name.yaml", validate=False)
    assert pod.metadata.name == "Web_Server"


def test_objects_come_back_as_written_not_defaulted() -> None:
    [pod] = load_manifests(POD)
    assert pod.spec.restart_policy == ""
    assert pod.spec.containers[0].image_pull_policy == ""


def test_timestamps_in_yaml_stay_strings_where_strings_are_expected() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {released: 2024-01-01}\ndata: {day: 2024-01-01}\n"
    [cm] = load_manifests(text)
    assert isinstance(cm, ConfigMap)
    assert cm.metadata.labels["released"] == "2024-01-01"


def test_dump_omits_defaults_and_keeps_explicit_zeroes() -> None:
    text = dump_manifest(load_manifests(POD)[0])
    assert text == POD
    svc = load_manifests(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, nodePort: 0}]}\n"
    )[0]
    assert isinstance(svc, Service)
    assert "status" not in dump_manifest(svc)


def test_dumped_yaml_keeps_strings_that_look_like_numbers() -> None:
    [pod] = load_manifests(
        POD.replace("image: nginx", "image: nginx\n    args: ['80', 'yes', '1e3']")
    )
    assert isinstance(pod, Pod)
    assert load_manifests(dump_manifest(pod)) == [pod]
    assert pod.spec.containers[0].args == ("80", "yes", "1e3")
