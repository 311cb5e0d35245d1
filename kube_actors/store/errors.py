"""API errors shaped like Kubernetes ``Status`` objects, with upstream reasons, codes and
messages (``deployments.apps "web" not found``).

Each error is an exception carrying a :class:`Status`; ``status.to_dict()`` is the wire form a
client of a real API server would receive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from kube_actors.api import KindInfo
from kube_actors.api.validation import ErrorType, FieldError
from kube_actors.runtime import RequestRejected

__all__ = [
    "APIError",
    "AlreadyExists",
    "BadRequest",
    "Conflict",
    "Expired",
    "Forbidden",
    "Invalid",
    "MethodNotAllowed",
    "NotFound",
    "ServiceUnavailable",
    "Status",
    "StatusCause",
    "StatusDetails",
    "TooManyRequests",
]

# upstream metav1.CauseType per field.ErrorType
_CAUSE_TYPES = {
    ErrorType.REQUIRED: "FieldValueRequired",
    ErrorType.INVALID: "FieldValueInvalid",
    ErrorType.NOT_SUPPORTED: "FieldValueNotSupported",
    ErrorType.DUPLICATE: "FieldValueDuplicate",
    ErrorType.FORBIDDEN: "FieldValueForbidden",
    ErrorType.TOO_LONG: "FieldValueTooLong",
    ErrorType.TOO_MANY: "FieldValueTooMany",
}


@attrs.frozen
class StatusCause:
    """One cause of a failure: a field error for ``Invalid``."""

    reason: str
    message: str
    field: str = ""


@attrs.frozen
class StatusDetails:
    """What the failure is about."""

    name: str = ""
    group: str = ""
    kind: str = ""
    causes: tuple[StatusCause, ...] = ()


@attrs.frozen
class Status:
    """A failed request, as the API server reports it."""

    reason: str
    code: int
    message: str
    details: StatusDetails | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire form (``kind: Status``)."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            details: dict[str, Any] = {}
            for key in ("name", "group", "kind"):
                if value := getattr(self.details, key):
                    details[key] = value
            if self.details.causes:
                details["causes"] = [
                    {
                        k: v
                        for k, v in (
                            ("reason", c.reason),
                            ("message", c.message),
                            ("field", c.field),
                        )
                        if v
                    }
                    for c in self.details.causes
                ]
            out["details"] = details
        return out


class APIError(RequestRejected):
    """A request the API server refused; ``status`` says why.

    A :class:`~kube_actors.runtime.RequestRejected`, so an actor answering an ``ask`` with it
    refuses the request without crashing, and the asker gets this error.
    """

    reason: ClassVar[str] = "InternalError"
    code: ClassVar[int] = 500

    def __init__(self, message: str, details: StatusDetails | None = None) -> None:
        super().__init__(message)
        self.status = Status(self.reason, self.code, message, details)

    @property
    def message(self) -> str:
        """The upstream-style message."""
        return self.status.message


def _details(info: KindInfo, name: str) -> StatusDetails:
    return StatusDetails(name=name, group=info.group, kind=info.plural)


class NotFound(APIError):
    """404: ``pods "web-1" not found``."""

    reason = "NotFound"
    code = 404

    @classmethod
    def of(cls, info: KindInfo, name: str) -> NotFound:
        """The object ``name`` of this kind does not exist."""
        return cls(f'{info.resource} "{name}" not found', _details(info, name))


class AlreadyExists(APIError):
    """409: ``pods "web-1" already exists``."""

    reason = "AlreadyExists"
    code = 409

    @classmethod
    def of(cls, info: KindInfo, name: str) -> AlreadyExists:
        """An object of this kind named ``name`` already exists."""
        return cls(f'{info.resource} "{name}" already exists', _details(info, name))


class Conflict(APIError):
    """409: a stale resourceVersion or a failed precondition."""

    reason = "Conflict"
    code = 409

    @classmethod
    def modified(cls, info: KindInfo, name: str) -> Conflict:
        """The object changed since the caller read it."""
        return cls(
            f'Operation cannot be fulfilled on {info.resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            _details(info, name),
        )

    @classmethod
    def precondition(
        cls, info: KindInfo, name: str, what: str, wanted: str, actual: str
    ) -> Conflict:
        """A delete/update precondition (uid or resourceVersion) does not hold."""
        return cls(
            f'Operation cannot be fulfilled on {info.resource} "{name}": Precondition failed: '
            f"{what} in precondition: {wanted}, {what} in object meta: {actual}",
            _details(info, name),
        )


class Invalid(APIError):
    """422: ``Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: ...``."""

    reason = "Invalid"
    code = 422

    def __init__(
        self,
        message: str,
        details: StatusDetails | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(message, details)
        self.errors = tuple(errors)

    @classmethod
    def of(cls, info: KindInfo, name: str, errors: Sequence[FieldError]) -> Invalid:
        """Every field error of the object, as upstream lists them."""
        qualified = f"{info.kind}.{info.group}" if info.group else info.kind
        listed = [str(e) for e in errors]
        body = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
        causes = tuple(
            StatusCause(_CAUSE_TYPES.get(e.type, "FieldValueInvalid"), e.message, e.path)
            for e in errors
        )
        details = StatusDetails(name=name, group=info.group, kind=info.kind, causes=causes)
        return cls(f'{qualified} "{name}" is invalid: {body}', details, errors)


class Expired(APIError):
    """410: a watch or list from a resourceVersion older than the server keeps."""

    reason = "Expired"
    code = 410

    @classmethod
    def too_old(cls, requested: int, oldest: int) -> Expired:
        """``too old resource version: 5 (10)``, as upstream words it."""
        return cls(f"too old resource version: {requested} ({oldest})")


class Forbidden(APIError):
    """403: e.g. creating in a namespace that is being terminated."""

    reason = "Forbidden"
    code = 403

    @classmethod
    def of(cls, info: KindInfo, name: str, why: str) -> Forbidden:
        """``pods "web-1" is forbidden: <why>``."""
        return cls(f'{info.resource} "{name}" is forbidden: {why}', _details(info, name))


class BadRequest(APIError):
    """400: a malformed request (bad patch, wrong kind for the endpoint, ...)."""

    reason = "BadRequest"
    code = 400


class MethodNotAllowed(APIError):
    """405: e.g. the scale subresource of a kind that has none."""

    reason = "MethodNotAllowed"
    code = 405


class TooManyRequests(APIError):
    """429: the server is throttling this client (retry after a while)."""

    reason = "TooManyRequests"
    code = 429


class ServiceUnavailable(APIError):
    """503: the API server cannot be reached or cannot serve now (retry)."""

    reason = "ServiceUnavailable"
    code = 503
