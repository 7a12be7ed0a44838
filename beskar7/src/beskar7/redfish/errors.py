"""Redfish errors as the controllers see them: a small closed set of kinds, sanitized messages.

Every failure of sushy, requests or urllib3 is translated here into a `RedfishError` whose
message names the BMC and what went wrong, and never carries credentials.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from enum import StrEnum

import requests
from sushy import exceptions as sushy_exc

_DETAIL_MAX = 200


class ErrorType(StrEnum):
    """How a Redfish call failed: the closed set of `RedfishError.error_type` values."""

    AUTH = "auth"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    PROTOCOL = "protocol"
    UNSUPPORTED = "unsupported"
    NOT_FOUND = "not_found"


REACHING_THE_BMC = frozenset({ErrorType.AUTH, ErrorType.CONNECTION, ErrorType.TIMEOUT})
"""Failures on the way to the BMC (condition RedfishConnectionFailed); the others happened
while querying a BMC that answered (RedfishQueryFailed)."""


class RedfishError(Exception):
    """A Redfish call failed; `error_type` says how (for conditions, events and retries)."""

    error_type: ErrorType = ErrorType.PROTOCOL

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class RedfishAuthError(RedfishError):
    """The BMC refused the credentials (HTTP 401/403)."""

    error_type = ErrorType.AUTH


class RedfishConnectionError(RedfishError):
    """The BMC could not be reached: refused, unresolvable, TLS failure, invalid address."""

    error_type = ErrorType.CONNECTION


class RedfishTimeoutError(RedfishError):
    """The BMC did not accept the connection or answer in time."""

    error_type = ErrorType.TIMEOUT


class RedfishProtocolError(RedfishError):
    """The BMC answered something unusable: non-JSON, wrong shape, an HTTP error."""

    error_type = ErrorType.PROTOCOL


class RedfishUnsupportedError(RedfishError):
    """The BMC does not offer the action or value beskar7 needs."""

    error_type = ErrorType.UNSUPPORTED


class RedfishNotFoundError(RedfishError):
    """The system (or resource) the address names does not exist, or cannot be chosen."""

    error_type = ErrorType.NOT_FOUND


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced, shortened to an operator-sized line."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, contexts, `reason`s and exception args (bounded walk)."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 32:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        linked = [cur.__cause__, cur.__context__, getattr(cur, "reason", None), *cur.args]
        todo.extend(x for x in linked if isinstance(x, BaseException))


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def _tls_error(exc: BaseException, bmc: str) -> RedfishError:
    cert = _find(exc, ssl.SSLCertVerificationError)
    if isinstance(cert, ssl.SSLCertVerificationError):
        why = cert.verify_message or "certificate verify failed"
        return RedfishConnectionError(
            f"BMC at {bmc} presented a TLS certificate that failed verification ({why}); "
            "trust its CA or set insecureSkipVerify"
        )
    return RedfishConnectionError(f"TLS handshake with BMC at {bmc} failed")


def transport_error(exc: BaseException, bmc: str, timeout: float) -> RedfishError:
    """A network-level failure (requests/urllib3/socket) as a RedfishError."""
    if _find(exc, requests.exceptions.SSLError) or _find(exc, ssl.SSLError):
        return _tls_error(exc, bmc)
    if _find(exc, requests.exceptions.ConnectTimeout):
        return RedfishTimeoutError(f"BMC at {bmc} did not accept a connection within {timeout:g}s")
    if _find(exc, requests.exceptions.Timeout) or _find(exc, TimeoutError):
        return RedfishTimeoutError(f"BMC at {bmc} did not answer within {timeout:g}s")
    if _find(exc, ConnectionRefusedError):
        return RedfishConnectionError(f"BMC at {bmc} refused the connection")
    if _find(exc, socket.gaierror):
        return RedfishConnectionError(f"cannot resolve the host of BMC at {bmc}")
    if _find(exc, requests.exceptions.ChunkedEncodingError):
        return RedfishProtocolError(f"BMC at {bmc} sent a truncated or malformed answer")
    return RedfishConnectionError(f"cannot reach BMC at {bmc} (connection failed or was closed)")


def http_error(
    exc: sushy_exc.HTTPError, bmc: str, doing: str, secrets: tuple[str, ...]
) -> RedfishError:
    """An HTTP error status from the BMC as a RedfishError."""
    code = int(exc.status_code or 0)
    detail = scrub(str(exc.detail), secrets) if exc.detail else ""
    suffix = f" (HTTP {code}: {detail})" if detail else f" (HTTP {code})"
    if code in (401, 403):
        return RedfishAuthError(
            f"BMC at {bmc} refused the credentials (HTTP {code})", status_code=code
        )
    if code == 404:
        return RedfishNotFoundError(
            f"BMC at {bmc}: not found while {doing}{suffix}", status_code=code
        )
    if code in (405, 501):
        return RedfishUnsupportedError(
            f"BMC at {bmc} does not support {doing}{suffix}", status_code=code
        )
    if code >= 500:
        return RedfishProtocolError(f"BMC at {bmc} failed while {doing}{suffix}", status_code=code)
    return RedfishProtocolError(f"BMC at {bmc} rejected {doing}{suffix}", status_code=code)


class MalformedError(ValueError):
    """Raised by readers for a document of the wrong shape; the text names the field."""


_GARBAGE = (
    sushy_exc.MissingAttributeError,
    sushy_exc.MalformedAttributeError,
    sushy_exc.MissingHeaderError,
    requests.exceptions.InvalidJSONError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
)


def translate(
    exc: BaseException, bmc: str, doing: str, *, timeout: float, secrets: tuple[str, ...]
) -> RedfishError:
    """Any failure against `bmc` as a sanitized RedfishError; `doing` is a gerund phrase."""
    if isinstance(exc, RedfishError):
        return exc
    if isinstance(exc, sushy_exc.HTTPError):
        return http_error(exc, bmc, doing, secrets)
    if isinstance(exc, sushy_exc.MissingActionError | sushy_exc.InvalidParameterValueError):
        return RedfishUnsupportedError(f"BMC at {bmc} does not offer what is needed for {doing}")
    if isinstance(exc, MalformedError):
        return RedfishProtocolError(
            f"BMC at {bmc} answered a malformed document while {doing}: {exc}"
        )
    if isinstance(exc, _GARBAGE):
        return RedfishProtocolError(
            f"BMC at {bmc} answered something that is not valid Redfish while {doing}"
        )
    if isinstance(exc, sushy_exc.ConnectionError | requests.exceptions.RequestException | OSError):
        return transport_error(exc, bmc, timeout)
    return RedfishError(f"unexpected {type(exc).__name__} talking to BMC at {bmc} ({doing})")
