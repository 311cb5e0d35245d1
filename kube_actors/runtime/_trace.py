"""The ordered trace of a run: deliveries, timer firings, faults and lifecycle events.

The trace is hashed as it grows (in blocks, so a long simulation needs no memory for it); the
events themselves are kept only when asked for.
"""

from __future__ import annotations

import hashlib
import operator
from array import array
from typing import IO, NamedTuple

__all__ = ["Trace", "TraceEvent"]

_TIME = operator.itemgetter(0)
_KEY = operator.itemgetter(1, 2, 3)


class _Codes(dict[tuple[str, str, object], int]):
    """Numbers (kind, actor, detail) keys as they first appear; ``new`` lists new meanings."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list[str] = []

    def __missing__(self, key: tuple[str, str, object]) -> int:
        number = len(self)
        self[key] = number
        kind, actor, detail = key
        self.new.append(f"{number}\x1f{kind}\x1f{actor}\x1f{_name(detail)}")
        return number


def _name(detail: object) -> str:
    if isinstance(detail, tuple):  # a run of deliveries: (message class, count)
        return f"{_name(detail[0])} x{detail[1]}"
    return getattr(detail, "__qualname__", None) or str(detail)


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
    """Collects events, folds them into a BLAKE2b digest, optionally keeps them.

    Hot paths append ``(time, kind, actor, detail)`` tuples to :attr:`buffer` directly (the
    detail may be a class, named at flush time) and call :meth:`maybe_flush` now and then.
    """

    def __init__(self, *, keep: bool = False) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self.buffer: list[tuple[float, str, str, object]] = []
        self._kept: list[TraceEvent] | None = [] if keep else None
        self._count = 0
        self._codes = _Codes()

    def __len__(self) -> int:
        return self._count + len(self.buffer)

    def record(self, time: float, kind: str, actor: str, detail: object = "") -> None:
        """Append an event (cheap: one tuple and a list append)."""
        buffer = self.buffer
        buffer.append((time, kind, actor, detail))
        if len(buffer) >= _BLOCK:
            self._flush()

    def maybe_flush(self) -> None:
        """Fold the buffer into the digest once it is big enough."""
        if len(self.buffer) >= _BLOCK:
            self._flush()

    def _flush(self) -> None:
        buffer = self.buffer
        if not buffer:
            return
        self._count += len(buffer)
        # Each distinct (kind, actor, detail) gets a number in first-seen order (the same in
        # every process); the digest covers the times, the numbers and each number's meaning.
        codes = self._codes
        numbers = array("q", map(codes.__getitem__, map(_KEY, buffer)))
        self._hash.update(array("d", map(_TIME, buffer)).tobytes())
        self._hash.update(numbers.tobytes())
        if codes.new:
            self._hash.update("\x1e".join(codes.new).encode())
            codes.new.clear()
        if self._kept is not None:
            self._kept.extend(
                TraceEvent(t, k, a, d if isinstance(d, str) else _name(d)) for t, k, a, d in buffer
            )
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
