"""Models: frozen, immutable collections, hashable, registry lookups, custom kinds."""

from __future__ import annotations

import attrs
import pytest

from kube_actors.api import (
    EMPTY,
    REGISTRY,
    Container,
    Deployment,
    FrozenDict,
    KindRegistry,
    ManifestError,
    ObjectMeta,
    Pod,
    PodSpec,
    Resource,
    UnknownKindError,
    default_object,
    dump_manifest,
    load_manifests,
    register_kind,
    validate_object,
)
from kube_actors.api.validation import FieldError, invalid


def test_objects_are_frozen_and_slotted() -> None:
    pod = Pod(metadata=ObjectMeta(name="web"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        pod.metadata = ObjectMeta(name="other")  # type: ignore[misc]
    assert not hasattr(pod, "__dict__")
    changed = attrs.evolve(pod, metadata=attrs.evolve(pod.metadata, name="other"))
    assert (pod.metadata.name, changed.metadata.name) == ("web", "other")


def test_collections_given_as_lists_and_dicts_become_immutable() -> None:
    meta = ObjectMeta(name="x", labels={"app": "web"}, finalizers=["a"])
    assert isinstance(meta.labels, FrozenDict)
    assert meta.finalizers == ("a",)
    with pytest.raises(TypeError, match="read-only"):
        meta.labels["app"] = "db"  # type: ignore[index]
    with pytest.raises(TypeError, match="read-only"):
        meta.labels.update(x="y")  # type: ignore[attr-defined]
    spec = PodSpec(containers=[Container(name="c")])
    assert isinstance(spec.containers, tuple)


def test_empty_collections_are_shared() -> None:
    assert ObjectMeta().labels is EMPTY
    assert ObjectMeta(labels={}).annotations is EMPTY


def test_objects_are_hashable_and_compare_by_value() -> None:
    a = Pod(metadata=ObjectMeta(name="x", labels={"k": "v"}))
    b = Pod(metadata=ObjectMeta(name="x", labels=FrozenDict({"k": "v"})))
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_kind_and_api_version_are_class_attributes() -> None:
    assert (Pod.api_version, Pod.kind) == ("v1", "Pod")
    assert (Deployment.api_version, Deployment.kind) == ("apps/v1", "Deployment")
    info = REGISTRY.for_class(Deployment)
    assert (info.resource, info.namespaced, info.short_names) == (
        "deployments.apps",
        True,
        ("deploy",),
    )
    assert REGISTRY.for_resource("pods").cls is Pod
    assert not REGISTRY.lookup("v1", "Node").namespaced


def test_unknown_kind_suggests_close_names() -> None:
    with pytest.raises(UnknownKindError) as caught:
        REGISTRY.lookup("apps/v1", "Deploymnet")
    assert "did you mean Deployment" in str(caught.value)
    with pytest.raises(UnknownKindError, match="did you mean Deployment in apps/v1"):
        REGISTRY.lookup("v1", "deployment")


# --- custom kinds -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WebsiteSpec:
    domain: str
    replicas: int | None = None
    git_repo: str = ""


@attrs.frozen(kw_only=True)
class Website(Resource):
    spec: WebsiteSpec = WebsiteSpec(domain="")


def _default_website(site: Website) -> Website:
    if site.spec.replicas is not None:
        return site
    return attrs.evolve(site, spec=attrs.evolve(site.spec, replicas=2))


def _validate_website(site: Website) -> list[FieldError]:
    if not site.spec.domain:
        return [invalid("spec.domain", site.spec.domain, "must not be empty")]
    return []


@pytest.fixture
def registry() -> KindRegistry:
    # A private registry keeps the process-wide one free of test kinds.
    reg = KindRegistry()
    for info in REGISTRY:
        reg.register(info)
    register_kind(
        Website,
        group="example.com",
        version="v1alpha1",
        defaulter=_default_website,
        validator=_validate_website,
        registry=reg,
    )
    return reg


SITE = """\
apiVersion: example.com/v1alpha1
kind: Website
metadata:
  name: blog
spec:
  domain: blog.example.com
  gitRepo: https://example.com/blog.git
"""


def test_custom_kind_loads_dumps_defaults_and_validates(registry: KindRegistry) -> None:
    [site] = load_manifests(SITE, registry=registry)
    assert isinstance(site, Website)
    assert site.spec.git_repo == "https://example.com/blog.git"
    assert dump_manifest(site, registry=registry) == SITE
    assert default_object(site, registry=registry).spec.replicas == 2
    info = registry.for_class(Website)
    assert (info.plural, info.resource, info.api_version) == (
        "websites",
        "websites.example.com",
        "example.com/v1alpha1",
    )
    assert validate_object(site, registry=registry) == []


def test_custom_kind_errors_carry_paths(registry: KindRegistry) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests(SITE.replace("gitRepo", "gitrepo"), registry=registry)
    assert caught.value.path == "spec.gitrepo"
    assert "did you mean spec.gitRepo?" in caught.value.message
    with pytest.raises(ManifestError) as caught:
        load_manifests(SITE.replace("blog.example.com", "''"), registry=registry)
    assert (caught.value.path, caught.value.message) == (
        "spec.domain",
        'Invalid value: "": must not be empty',
    )
    with pytest.raises(ManifestError) as caught:
        load_manifests(SITE.replace("name: blog", "name: Blog"), registry=registry)
    assert caught.value.path == "metadata.name"


def test_custom_kind_needs_attrs_and_metadata() -> None:
    reg = KindRegistry()

    class Plain:
        pass

    with pytest.raises(TypeError, match="must be an attrs class"):
        register_kind(Plain, group="x.io", version="v1", registry=reg)

    @attrs.frozen
    class NoMeta:
        spec: str = ""

    with pytest.raises(TypeError, match="metadata: ObjectMeta"):
        register_kind(NoMeta, group="x.io", version="v1", registry=reg)


def test_a_kind_name_cannot_be_taken_twice() -> None:
    reg = KindRegistry()
    register_kind(Website, group="example.com", version="v1", registry=reg)

    @attrs.frozen(kw_only=True)
    class Other(Resource):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_kind(Other, group="example.com", version="v1", kind="Website", registry=reg)
