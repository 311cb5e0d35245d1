"""IndexedCache: keys, the namespace index, user indexes kept up to date incrementally."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kube_actors.api import ConfigMap, Namespace, ObjectMeta
from kube_actors.informers import (
    CACHES,
    NAMESPACE_INDEX,
    Cache,
    IndexedCache,
    namespace_key,
    object_key,
)


def cm(name: str, namespace: str = "default", **labels: str) -> ConfigMap:
    return ConfigMap(metadata=ObjectMeta(name=name, namespace=namespace, labels=labels))


def by_app(obj: Any) -> list[str]:
    app = obj.metadata.labels.get("app")
    return [app] if app else []


def by_labels(obj: Any) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(obj.metadata.labels.items())]


def names(objects: list[Any]) -> list[str]:
    return [o.metadata.name for o in objects]


def test_keys_are_namespace_slash_name_or_name() -> None:
    assert object_key(cm("a", "dev")) == "dev/a"
    assert object_key(Namespace(metadata=ObjectMeta(name="dev"))) == "dev"
    assert namespace_key("dev", "a") == "dev/a"
    assert namespace_key("", "node-1") == "node-1"


def test_upsert_and_delete_return_what_they_replaced() -> None:
    cache: Cache[ConfigMap] = IndexedCache()
    a1, a2 = cm("a"), cm("a", app="web")
    assert cache.upsert("default/a", a1) is None
    assert cache.upsert("default/a", a2) is a1
    assert cache.get_by_key("default/a") is a2  # stored as is: never copied
    assert cache.delete("default/a") is a2
    assert cache.delete("default/a") is None
    assert cache.get_by_key("default/a") is None
    assert len(cache) == 0


def test_namespace_index() -> None:
    cache = IndexedCache[ConfigMap]()
    for obj in (cm("a", "dev"), cm("b", "dev"), cm("c", "prod")):
        cache.upsert(object_key(obj), obj)
    assert names(cache.list_namespace("dev")) == ["a", "b"]
    assert names(cache.by_index(NAMESPACE_INDEX, "prod")) == ["c"]
    assert names(cache.list_namespace("")) == ["a", "b", "c"]
    assert cache.list_namespace("none") == []
    assert cache.index_values(NAMESPACE_INDEX) == ["dev", "prod"]
    cache.delete("prod/c")
    assert cache.index_values(NAMESPACE_INDEX) == ["dev"]  # empty entries do not linger
    assert cache.keys() == ["dev/a", "dev/b"]


def test_cluster_scoped_objects_are_in_no_namespace() -> None:
    cache = IndexedCache[Namespace]()
    ns = Namespace(metadata=ObjectMeta(name="dev"))
    cache.upsert(object_key(ns), ns)
    assert cache.get_by_key("dev") is ns
    assert cache.index_values(NAMESPACE_INDEX) == []
    assert cache.list() == [ns]


def test_user_indexes_follow_updates_and_deletes() -> None:
    cache = IndexedCache[ConfigMap]({"app": by_app})
    cache.upsert("default/a", cm("a", app="web"))
    cache.upsert("default/b", cm("b", app="web"))
    cache.upsert("default/c", cm("c"))  # filed under nothing
    assert names(cache.by_index("app", "web")) == ["a", "b"]
    cache.upsert("default/a", cm("a", app="db"))
    assert names(cache.by_index("app", "web")) == ["b"]
    assert names(cache.by_index("app", "db")) == ["a"]
    cache.delete("default/b")
    assert cache.by_index("app", "web") == []
    assert cache.index_values("app") == ["db"]
    assert cache.index_keys("app", "db") == ["default/a"]
    with pytest.raises(KeyError):
        cache.by_index("nope", "x")


def test_multi_valued_index_and_indexers_added_later() -> None:
    cache = IndexedCache[ConfigMap]()
    cache.upsert("default/a", cm("a", app="web", tier="front"))
    cache.upsert("default/b", cm("b", app="web"))
    cache.add_indexers({"labels": by_labels})  # indexes what is there
    assert names(cache.by_index("labels", "app=web")) == ["a", "b"]
    assert names(cache.by_index("labels", "tier=front")) == ["a"]
    with pytest.raises(ValueError, match="already exists"):
        cache.add_indexers({"labels": by_labels})
    with pytest.raises(ValueError, match="already exists"):
        cache.add_indexers({NAMESPACE_INDEX: by_labels})


def test_replace_rebuilds_every_index() -> None:
    cache = IndexedCache[ConfigMap]({"app": by_app})
    cache.upsert("dev/old", cm("old", "dev", app="web"))
    fresh = {"prod/a": cm("a", "prod", app="db")}
    cache.replace(fresh)
    assert cache.keys() == ["prod/a"]
    assert cache.by_index("app", "web") == []
    assert names(cache.by_index("app", "db")) == ["a"]
    assert cache.list_namespace("dev") == []
    assert names(cache.list_namespace("prod")) == ["a"]


def test_the_registry_names_the_default_cache() -> None:
    assert CACHES.get("indexed") is IndexedCache


ops = st.lists(
    st.tuples(
        st.sampled_from(["upsert", "delete"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["dev", "prod", ""]),
        st.dictionaries(st.sampled_from(["app", "tier"]), st.sampled_from(["x", "y"])),
    ),
    max_size=40,
)


@given(ops)
def test_incremental_indexes_equal_indexes_built_from_scratch(ops: list[Any]) -> None:
    cache = IndexedCache[ConfigMap]({"labels": by_labels, "app": by_app})
    model: dict[str, ConfigMap] = {}
    for op, name, namespace, labels in ops:
        obj = cm(name, namespace, **labels)
        key = object_key(obj)
        if op == "upsert":
            assert cache.upsert(key, obj) is model.get(key)
            model[key] = obj
        else:
            assert cache.delete(key) is model.pop(key, None)
    fresh = IndexedCache[ConfigMap]({"labels": by_labels, "app": by_app})
    fresh.replace(model)
    assert sorted(cache.keys()) == sorted(model)
    for index in ("labels", "app", NAMESPACE_INDEX):
        assert sorted(cache.index_values(index)) == sorted(fresh.index_values(index))
        for value in fresh.index_values(index):
            assert sorted(cache.index_keys(index, value)) == sorted(fresh.index_keys(index, value))
