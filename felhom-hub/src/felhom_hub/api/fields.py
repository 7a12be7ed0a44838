"""Field types shared by the request models."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

CustomerId = Annotated[
    str,
    StringConstraints(pattern=CUSTOMER_ID_PATTERN),
    Field(description="Customer identifier: letters, digits, '.', '_', '-'; at most 64"),
]
ShortText = Annotated[str, StringConstraints(max_length=255)]
# Upper bounds keep every number storable as a SQLite integer (int64), scaled ones included.
NonNegative = Annotated[float, Field(ge=0, le=1e12)]
Percent = Annotated[float, Field(ge=0, le=100)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    # Far dates overflow once converted between zones; nothing real is outside these years.
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between the years 1970 and 2999")
    return value.astimezone(UTC)


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(description="RFC 3339 with a time zone (e.g. 2026-11-22T12:00:00Z), years 1970 to 2999"),
]
