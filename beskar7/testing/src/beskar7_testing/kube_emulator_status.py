"""Kubernetes `Status` answers for the API emulator: the codes, reasons, messages and details a
real API server sends, built from store errors or raised directly as `ApiStatusError`."""

from typing import Any

from beskar7.api.errors import (
    AlreadyExistsError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    StoreError,
    UnavailableError,
)
from beskar7.api.kinds import Kind, Obj

UNKNOWN_FORMAT = (
    "the body of the request was in an unknown format - accepted media types include:"
    " application/merge-patch+json"
)


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> Obj:
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return body


class ApiStatusError(Exception):
    """An error answer: raised by the emulator's handlers, sent as a `Status` body."""

    def __init__(
        self, code: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.body = status_body(code, reason, message, details)


def resource(kind: Kind) -> str:
    """`secrets` or `physicalhosts.infrastructure.cluster.x-k8s.io`, as messages name them."""
    return f"{kind.plural}.{kind.group}" if kind.group else kind.plural


def qualified_kind(kind: Kind) -> str:
    return f"{kind.kind}.{kind.group}" if kind.group else kind.kind


def not_found_path() -> ApiStatusError:
    return ApiStatusError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> ApiStatusError:
    return ApiStatusError(400, "BadRequest", message)


def _invalid(error: InvalidError, kind: Kind, name: str) -> ApiStatusError:
    fields = [f"{i.path}: {i.message}" if i.path else i.message for i in error.issues]
    summary = fields[0] if len(fields) == 1 else f"[{', '.join(fields)}]"
    causes = [
        {"reason": "FieldValueInvalid", "message": i.message, "field": i.path} for i in error.issues
    ]
    details = {"name": name, "group": kind.group, "kind": kind.kind, "causes": causes}
    message = f'{qualified_kind(kind)} "{name}" is invalid: {summary}'
    return ApiStatusError(422, "Invalid", message, details)


def from_store_error(error: StoreError, kind: Kind, name: str) -> ApiStatusError:
    """The answer a real API server gives for the situation `error` reports."""
    details = {"name": name, "group": kind.group, "kind": kind.plural}
    what = f'{resource(kind)} "{name}"'
    match error:
        case NotFoundError():
            return ApiStatusError(404, "NotFound", f"{what} not found", details)
        case AlreadyExistsError():
            return ApiStatusError(409, "AlreadyExists", f"{what} already exists", details)
        case ConflictError():
            message = (
                f"Operation cannot be fulfilled on {what}: the object has been modified;"
                " please apply your changes to the latest version and try again"
            )
            return ApiStatusError(409, "Conflict", message, details)
        case InvalidError():
            return _invalid(error, kind, name)
        case GoneError():
            return ApiStatusError(410, "Expired", f"too old resource version: {error}")
        case UnavailableError():
            return ApiStatusError(503, "ServiceUnavailable", str(error))
        case _:
            return ApiStatusError(500, "InternalError", f"Internal error occurred: {error}")
