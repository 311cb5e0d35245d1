"""Shared helpers for the informer tests: quiet logs, a recording handler, a client wrapper."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import structlog

from kube_actors.informers import Tombstone, object_key


@pytest.fixture(autouse=True, scope="module")
def quiet_logs() -> Iterator[None]:
    """Drop log output below CRITICAL: the reflector logs every watch it retries and crashes
    log tracebacks, which is slow. (Tests that check logs use ``capture_logs``.)"""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    yield
    structlog.configure(**saved)


class Recorder:
    """A handler that replays its notifications onto a dict and notes every violation of
    "each change exactly once, in order"."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []
        self.state: dict[str, Any] = {}
        self.versions: set[tuple[str, str]] = set()
        self.violations: list[str] = []
        self.tombstones: list[Tombstone[Any]] = []

    def _seen(self, key: str, obj: Any) -> None:
        version = (key, obj.metadata.resource_version)
        if version in self.versions:
            self.violations.append(f"{key} delivered twice at {version[1]}")
        self.versions.add(version)

    def on_add(self, obj: Any, in_initial_list: bool) -> None:
        key = object_key(obj)
        self.calls.append(("add", obj, in_initial_list))
        if key in self.state:
            self.violations.append(f"add of {key}, which is there")
        self._seen(key, obj)
        self.state[key] = obj

    def on_update(self, old: Any, new: Any) -> None:
        key = object_key(new)
        self.calls.append(("update", old, new))
        if self.state.get(key) is not old:
            self.violations.append(f"update of {key} from a state the handler did not have")
        if old is not new:
            self._seen(key, new)
            if int(new.metadata.resource_version) <= int(old.metadata.resource_version):
                self.violations.append(f"update of {key} goes back in time")
        self.state[key] = new

    def on_delete(self, obj: Any) -> None:
        self.calls.append(("delete", obj, None))
        if isinstance(obj, Tombstone):
            key = obj.key
            self.tombstones.append(obj)
            if self.state.get(key) is not obj.obj:
                self.violations.append(f"tombstone of {key} is not its last known state")
        else:
            key = object_key(obj)
        if key not in self.state:
            self.violations.append(f"delete of {key}, which is not there")
        self.state.pop(key, None)

    def kinds(self) -> list[str]:
        """The sequence of notification kinds (``add``, ``update``, ``delete``)."""
        return [kind for kind, _, _ in self.calls]


class InterleavingClient:
    """A client whose list runs queued writes between pages: later pages then show objects
    newer than the list's resourceVersion, as a paged list on a busy server does."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.between_pages: list[Callable[[], Awaitable[Any]]] = []
        self.lists = 0
        self.interleaved = 0

    async def list(self, cls: type[Any], **kw: Any) -> Any:
        if kw.get("continue_") and self.between_pages:
            writes, self.between_pages = self.between_pages, []
            self.interleaved += 1
            for write in writes:
                await write()
        else:
            self.lists += 1
        return await self.client.list(cls, **kw)

    async def watch(self, cls: type[Any], **kw: Any) -> Any:
        return await self.client.watch(cls, **kw)
