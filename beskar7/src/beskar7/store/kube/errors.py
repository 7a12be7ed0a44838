"""Kubernetes API answers mapped to the store errors of api/errors.py.

Messages come from the server's `Status` (or from the status code alone); request and response
bodies are never quoted, since either may carry Secret data.
"""

import json
from typing import Any

from beskar7.api.errors import (
    AlreadyExistsError,
    ConflictError,
    FieldIssue,
    GoneError,
    InvalidError,
    NotFoundError,
    StoreError,
    UnavailableError,
)

Status = dict[str, Any]


def parse_status(body: bytes) -> Status | None:
    """The `Status` object an error answer carries, or None when the body is anything else."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("kind") == "Status":
        return data
    return None


def _issues(status: Status, message: str) -> list[FieldIssue]:
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    issues = [
        FieldIssue(str(c.get("field") or ""), str(c.get("message") or c.get("reason") or ""))
        for c in causes or []
        if isinstance(c, dict)
    ]
    return issues or [FieldIssue("", message)]


def error_from_status(status: Status, code: int, what: str) -> StoreError:
    """The store error for a failure `Status` (HTTP code `code`) about `what`."""
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or f"{what}: {code} {reason}".rstrip())
    if code == 404 or reason == "NotFound":
        return NotFoundError(message)
    if code == 409:
        return AlreadyExistsError(message) if reason == "AlreadyExists" else ConflictError(message)
    if code == 410 or reason in ("Expired", "Gone"):
        return GoneError(message)
    if code == 422 or reason == "Invalid":
        return InvalidError(what, _issues(status, message))
    if code >= 500 or code == 429:
        return UnavailableError(message)
    return StoreError(f"{message} ({code} {reason})" if reason else f"{message} ({code})")


def error_from_response(code: int, body: bytes, what: str) -> StoreError:
    """The store error for an HTTP error answer; one without a `Status` body did not come from
    a working API server, so it is `UnavailableError` whatever its code."""
    status = parse_status(body)
    if status is None:
        return UnavailableError(f"{what}: HTTP {code} without a Kubernetes Status body")
    return error_from_status(status, code, what)
