"""The fast copy and construction helpers give exactly what attrs would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs

from kube_actors.api import Event, ObjectMeta, ObjectReference, Pod, PodStatus
from kube_actors.api._replace import constructor, replace, replacer


def test_constructor_equals_init_with_defaults_keywords_and_converters() -> None:
    make = constructor(Event)
    local = datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))
    kwargs = {
        "metadata": ObjectMeta(name="e", namespace="default"),
        "involved_object": ObjectReference(kind="Pod", name="web"),
        "reason": "Scheduled",
        "first_timestamp": local,
        "count": 1,
    }
    built = make(**kwargs)
    assert type(built) is Event
    assert built == Event(**kwargs)  # type: ignore[arg-type]
    assert built.first_timestamp is not None
    assert built.first_timestamp.tzinfo is UTC
    assert constructor(ObjectReference)("Pod", "default", "web") == ObjectReference(
        kind="Pod", namespace="default", name="web"
    )


def test_constructor_falls_back_to_the_class_when_init_does_more() -> None:
    @attrs.frozen
    class Checked:
        value: int = attrs.field(validator=attrs.validators.instance_of(int))

    assert constructor(Checked) is Checked


def test_replacer_equals_replace_and_keeps_subclasses() -> None:
    set_both = replacer(ObjectMeta, "namespace", "resource_version")
    meta = ObjectMeta(name="web", labels={"a": "b"})
    assert set_both(meta, "default", "7") == replace(
        meta, namespace="default", resource_version="7"
    )

    class Sub(ObjectMeta):
        pass

    copied = set_both(Sub(name="web"), "default", "7")
    assert type(copied) is Sub
    assert copied.resource_version == "7"
    pod = Pod(metadata=meta)
    status = PodStatus(phase="Running")
    assert replacer(Pod, "status")(pod, status) == attrs.evolve(pod, status=status)
