"""Memos of pure functions of immutable objects: by identity and by shape."""

from __future__ import annotations

import attrs

from kube_actors.api import Container, PodSpec, Toleration
from kube_actors.api._default_pod import default_pod_spec
from kube_actors.api._memo import ShapeMemo


@attrs.frozen
class _One:
    only: object


def test_specs_built_around_shared_parts_get_one_defaulted_object():
    container = Container(name="c", image="nginx")
    first = default_pod_spec(PodSpec(containers=(container,)))
    again = default_pod_spec(PodSpec(containers=(container,)))  # a new spec and a new tuple
    assert again is first
    assert first.restart_policy == "Always"
    # Other parts, or an equal but distinct container, are other shapes: defaulted anew.
    other = default_pod_spec(PodSpec(containers=(Container(name="c", image="nginx"),)))
    assert other == first
    assert other is not first
    tolerant = PodSpec(containers=(container,), tolerations=(Toleration(operator="Exists"),))
    assert default_pod_spec(tolerant).tolerations == tolerant.tolerations


def test_shape_memo_keys():
    memo: ShapeMemo[str] = ShapeMemo(size=2)
    part = object()
    memo.put(_One(part), "a")
    assert memo.get(_One(part)) == "a"
    assert memo.get(_One(object())) is None
    memo.put(_One(("x", part)), "tuple")
    assert memo.get(_One(("x", part))) == "tuple"  # a new tuple of the same elements
    memo.put(_One("s"), "string")  # full: starts over
    assert memo.get(_One("".join(["s"]))) == "string"  # strings by value
    assert memo.get(_One(part)) is None
