"""Typed charm configuration, loaded with ``CharmBase.load_config``."""

from __future__ import annotations

import enum
import re

import pydantic

# The image the charm is tested with; it runs whatever the ``beszel-image`` resource holds
# (``juju refresh beszel --resource beszel-image=henrygd/beszel:0.18.8``).
EXPECTED_IMAGE = "henrygd/beszel:0.18.8"

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class LogLevel(str, enum.Enum):
    """Hub log levels, mapped onto PocketBase's slog ``logs.minLevel``."""

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"

    @property
    def slog_level(self) -> int:
        """The numeric slog level PocketBase stores in ``logs.minLevel``."""
        return {"debug": -4, "info": 0, "warn": 4, "error": 8}[self.value]


class BeszelConfig(pydantic.BaseModel):
    """The charm's Juju config options (dashes become underscores)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="ignore")

    port: int = pydantic.Field(default=8090, ge=1, le=65535)
    external_hostname: str = ""
    s3_backup_enabled: bool = False
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    log_level: LogLevel = LogLevel.INFO

    @pydantic.field_validator("external_hostname")
    @classmethod
    def _hostname_is_bare(cls, value: str) -> str:
        if value and not _HOSTNAME.match(value):
            raise ValueError("must be a bare DNS name such as beszel.example.com")
        return value

    @pydantic.field_validator("s3_endpoint")
    @classmethod
    def _endpoint_is_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @pydantic.field_validator("s3_region")
    @classmethod
    def _region_is_set(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


def describe_error(error: ValueError) -> str:
    """A one-line message naming the offending Juju option, for a Blocked status."""
    if isinstance(error, pydantic.ValidationError) and error.errors():
        first = error.errors()[0]
        option = str(first["loc"][0]).replace("_", "-") if first["loc"] else "config"
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"invalid config {option}: {message}"
    return f"invalid config: {error}"
