"""Request bodies of the callbacks: inspection reports and deploy-failure reasons.

A report is checked against the upstream schema (`InspectionReport`) the way the API server
decodes JSON: no coercion (`"cores": "many"` and `"cores": "8"` fail), no unknown top-level
field, no negative counts or sizes. Errors name the field, never echo the value. A report in the
architecture seed's shape is accepted too and normalized first (report_shapes.py).
"""

import json
from datetime import datetime
from typing import Any

from beskar7.api.issues import strict_check
from beskar7.api.meta import prune
from beskar7.api.physicalhost import InspectionReport
from beskar7.callback import report_shapes

ENVELOPE_FIELDS = ("namespace", "hostName")
"""Where the upstream v0.4 body names its host; ignored by the per-host endpoint."""
FAILURE_PREFIX = "inspector reported deploy failure: "
MAX_REASON_CHARS = 256
_REPORT_FIELDS = frozenset(
    field.alias or name for name, field in InspectionReport.model_fields.items()
)
_NON_NEGATIVE = (("cpus", ("cores", "threads")), ("disks", ("sizeGB",)))


class BodyError(ValueError):
    """The body is unacceptable; the message names the field."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BodyError("body: must be JSON") from None


def parse_object(body: bytes) -> dict[str, Any]:
    data = parse_json(body)
    if not isinstance(data, dict):
        raise BodyError("body: must be a JSON object")
    return data


def envelope(data: dict[str, Any]) -> tuple[str, str]:
    """(namespace, hostName) of an upstream v0.4 report body."""
    values = [data.get(key) for key in ENVELOPE_FIELDS]
    for key, value in zip(ENVELOPE_FIELDS, values, strict=True):
        if not isinstance(value, str) or not value:
            raise BodyError(f"{key}: required")
    return values[0], values[1]  # type: ignore[return-value]


def validate_report(data: dict[str, Any], received: datetime) -> InspectionReport:
    """The report in `data` (envelope fields dropped), stamped with the receive time. The
    architecture seed's shape is normalized first (report_shapes)."""
    if report_shapes.is_seed_shape(data):
        try:
            data = report_shapes.normalize(data)
        except report_shapes.ShapeError as e:
            raise BodyError(str(e)) from None
    fields = {k: v for k, v in data.items() if k not in ENVELOPE_FIELDS}
    unknown = sorted(set(fields) - _REPORT_FIELDS)
    if unknown:
        raise BodyError(f"{unknown[0]}: unknown field")
    fields.pop("timestamp", None)  # set by the server: when the report was received
    report, issues = strict_check(InspectionReport, fields)
    if report is None:
        raise BodyError(str(issues[0]))
    _check_non_negative(fields)
    return report.model_copy(update={"timestamp": received})


def _check_non_negative(fields: dict[str, Any]) -> None:
    for section, keys in _NON_NEGATIVE:
        for index, item in enumerate(fields.get(section) or []):
            for key in keys:
                value = item.get(key)
                if isinstance(value, int) and value < 0:
                    raise BodyError(f"{section}[{index}].{key}: must not be negative")


def report_json(report: InspectionReport) -> str:
    """The report as stored in the ConfigMap (`report.json`)."""
    data = prune(report.model_dump(mode="json", by_alias=True, exclude_none=True))
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def failure_reason(body: bytes) -> str:
    """The sanitized annotation value for a provision-failed body (`{"reason": "..."}`;
    an empty body gives no reason)."""
    if not body.strip():
        return sanitize_reason("")
    reason = parse_object(body).get("reason", "")
    if not isinstance(reason, str):
        raise BodyError("reason: must be a string")
    return sanitize_reason(reason)


def sanitize_reason(reason: str) -> str:
    """Printable, single-line, prefixed, at most `MAX_REASON_CHARS` characters in all."""
    printable = "".join(c if c.isprintable() else " " for c in reason)
    cleaned = " ".join(printable.split()) or "no reason given"
    return (FAILURE_PREFIX + cleaned)[:MAX_REASON_CHARS].rstrip()


def provisioned_message(body: bytes) -> str | None:
    """The final OS's optional `{"message": "..."}` in a provisioned call, sanitized like a
    failure reason (printable, single line, at most `MAX_REASON_CHARS`); None when absent."""
    if not body.strip():
        return None
    message = parse_object(body).get("message")
    if message is None:
        return None
    if not isinstance(message, str):
        raise BodyError("message: must be a string")
    printable = "".join(c if c.isprintable() else " " for c in message)
    return " ".join(printable.split())[:MAX_REASON_CHARS] or None
