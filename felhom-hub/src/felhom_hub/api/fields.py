"""Field types shared by the request models."""

from typing import Annotated

from pydantic import Field, StringConstraints

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

CustomerId = Annotated[
    str,
    StringConstraints(pattern=CUSTOMER_ID_PATTERN),
    Field(description="Customer identifier: letters, digits, '.', '_', '-'; at most 64"),
]
ShortText = Annotated[str, StringConstraints(max_length=255)]
NonNegative = Annotated[float, Field(ge=0)]
Percent = Annotated[float, Field(ge=0, le=100)]
Count = Annotated[int, Field(ge=0)]
