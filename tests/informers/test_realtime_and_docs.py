"""The informer in real time on both anyio backends, and the package's documented examples."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from kube_actors.api import ConfigMap, ObjectMeta
from kube_actors.client import LocalClient
from kube_actors.informers import SharedInformerFactory
from kube_actors.runtime import run, sleep
from kube_actors.store import APIServer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "informers.md"
MODULES = ["__init__", "cache", "factory", "handlers", "informer", "reflector"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_informer_in_real_time(backend: str) -> None:
    async def main() -> list[str]:
        client = LocalClient(await APIServer.start(admission=[]))
        factory = SharedInformerFactory(client, resync_period=0.05)
        seen: list[str] = []
        informer = factory.informer(ConfigMap)
        informer.add_handler(on_add=lambda obj, initial: seen.append(obj.metadata.name))
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=5)
        await client.create(ConfigMap(metadata=ObjectMeta(name="cfg")))
        for _ in range(200):
            if seen:
                break
            await sleep(0.01)
        await factory.shutdown()
        return seen

    assert run(main, backend=backend) == ["cfg"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    name = "kube_actors.informers" + ("" if module == "__init__" else f".{module}")
    failures, _ = doctest.testmod(importlib.import_module(name))
    assert failures == 0


def test_the_usage_example_in_the_docs_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(blocks[0], str(DOCS), "exec"), namespace)  # it asserts what it shows
