"""The ordered trace of a run: deliveries, timer firings, faults and lifecycle events.

The trace is hashed as it grows (in blocks, so a long simulation needs no memory for it); the
events themselves are kept only when asked for.
"""

from __future__ import annotations

import hashlib
from typing import IO, NamedTuple

__all__ = ["Trace", "TraceEvent"]

_BLOCK = 4096


class TraceEvent(NamedTuple):
    """One event: virtual (or wall) time, kind, the actor or timer it concerns, and a detail."""

    time: float
    kind: str
    actor: str
    detail: str

    def __str__(self) -> str:
        return f"{self.time:.6f} {self.kind} {self.actor} {self.detail}"


class Trace:
    """Collects events, folds them into a BLAKE2b digest, optionally keeps them."""

    def __init__(self, *, keep: bool = False) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self._buffer: list[tuple[float, str, str, str]] = []
        self._kept: list[TraceEvent] | None = [] if keep else None
        self.count = 0

    def record(self, time: float, kind: str, actor: str, detail: str = "") -> None:
        """Append an event (cheap: one tuple and a list append)."""
        buffer = self._buffer
        buffer.append((time, kind, actor, detail))
        if len(buffer) >= _BLOCK:
            self._flush()

    def _flush(self) -> None:
        buffer = self._buffer
        if not buffer:
            return
        self.count += len(buffer)
        # repr() of a float is exact and the same in every process.
        self._hash.update(
            "".join(f"{t!r}\x1f{k}\x1f{a}\x1f{d}\x1e" for t, k, a, d in buffer).encode()
        )
        if self._kept is not None:
            self._kept.extend(TraceEvent(*event) for event in buffer)
        buffer.clear()

    def digest(self) -> str:
        """Hex digest of every event so far."""
        self._flush()
        return self._hash.hexdigest()

    def events(self) -> tuple[TraceEvent, ...]:
        """The kept events (empty unless the trace was created with ``keep=True``)."""
        self._flush()
        return tuple(self._kept or ())

    def dump(self, out: IO[str]) -> None:
        """Write the kept events, one per line."""
        for event in self.events():
            out.write(f"{event}\n")
