"""Errors every store raises, whatever its backend (mirroring the Kubernetes API's reasons).

They live in api/ because validation (api/validation.py) raises `InvalidError` itself and api
imports nothing above it; the stores (store/) raise the rest.
"""

from dataclasses import dataclass


class StoreError(Exception):
    """Base of all store errors; `reason` is the Kubernetes Status reason."""

    reason = "InternalError"


class NotFoundError(StoreError):
    reason = "NotFound"


class AlreadyExistsError(StoreError):
    reason = "AlreadyExists"


class ConflictError(StoreError):
    """The object changed since the resourceVersion the caller read (optimistic concurrency)."""

    reason = "Conflict"


class GoneError(StoreError):
    """A watch asked for a resourceVersion older than the change log keeps; re-list."""

    reason = "Expired"


@dataclass(frozen=True)
class FieldIssue:
    path: str  # e.g. "spec.redfishConnection.address"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidError(StoreError):
    """The object failed validation; nothing was written."""

    reason = "Invalid"

    def __init__(self, what: str, issues: list[FieldIssue]) -> None:
        self.what = what
        self.issues = issues
        detail = "; ".join(str(i) for i in issues)
        super().__init__(f"{what} is invalid: {detail}")


class UnavailableError(StoreError):
    """The backend could not be reached or answered something unusable."""

    reason = "ServiceUnavailable"
