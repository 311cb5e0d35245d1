"""The runtime's errors; each message names the actor or channel it is about."""

from __future__ import annotations

__all__ = [
    "ActorCrashed",
    "ActorStopped",
    "AskTimeout",
    "ChannelClosed",
    "ChannelEmpty",
    "ChannelFull",
    "DuplicateActorName",
    "MailboxFull",
    "NoRuntime",
    "RequestRejected",
    "RestartIntensityExceeded",
]


class NoRuntime(RuntimeError):
    """A runtime helper was called outside ``simulate()``, ``run()`` or ``open_runtime()``."""


class ChannelFull(Exception):
    """``send_nowait`` on a full channel: wait with ``send`` or back off."""


class ChannelEmpty(Exception):
    """``receive_nowait`` on an empty channel."""


class ChannelClosed(Exception):
    """The channel was closed (and, for receivers, everything queued was received)."""


class MailboxFull(ChannelFull):
    """``send_nowait`` to an actor whose mailbox is at capacity."""

    def __init__(self, actor: str, capacity: int) -> None:
        super().__init__(f"mailbox of actor {actor!r} is full ({capacity} messages)")
        self.actor = actor
        self.capacity = capacity


class ActorStopped(Exception):
    """The actor was stopped (or stopped before it answered an ``ask``)."""

    def __init__(self, actor: str, detail: str = "") -> None:
        super().__init__(f"actor {actor!r} is stopped" + (f": {detail}" if detail else ""))
        self.actor = actor


class ActorCrashed(Exception):
    """The actor raised while handling an ``ask``; the original error is ``__cause__``."""

    def __init__(self, actor: str, message_type: str, error: BaseException) -> None:
        super().__init__(
            f"actor {actor!r} crashed handling {message_type}: {type(error).__name__}: {error}"
        )
        self.actor = actor


class AskTimeout(TimeoutError):
    """No answer to an ``ask`` within its timeout."""

    def __init__(self, actor: str, message_type: str, timeout: float) -> None:
        super().__init__(f"ask {message_type} to actor {actor!r} got no answer in {timeout:g}s")
        self.actor = actor
        self.timeout = timeout


class RequestRejected(Exception):
    """Raise (a subclass of) this in a handler to refuse a request without crashing: an asker
    gets the error itself; for a plain message it is logged as a warning."""


class DuplicateActorName(RequestRejected, ValueError):
    """Two live actors may not share a name."""


class RestartIntensityExceeded(RuntimeError):
    """A supervisor restarted its children too often and gave up (it escalates to its parent)."""
