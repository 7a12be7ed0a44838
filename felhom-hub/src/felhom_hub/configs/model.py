"""A managed customer's config (seed "Config Form"): what the operator edits, validated.

Secrets — the infrastructure tokens here, the API key and session secret in
:class:`Credentials` — are sealed at rest (configs/vault.py) and masked on pages.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from felhom_hub.api.fields import CUSTOMER_ID_PATTERN
from felhom_hub.events import EventType

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
HOSTNAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$"

Name = Annotated[str, StringConstraints(pattern=_NAME)]
Text = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class ManagedConfig(BaseModel):
    """Everything the form edits; ``overrides`` is free-form YAML over the template's other
    keys (e.g. ``api: {public_url: …}``), the keys managed here are refused in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: Annotated[str, StringConstraints(pattern=CUSTOMER_ID_PATTERN)]
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    contact_email: Text = ""
    hostname: Annotated[str, StringConstraints(max_length=253, pattern=HOSTNAME_PATTERN)]
    stale_threshold_minutes: int | None = Field(default=None, ge=1, le=10080)
    expect_restic: bool | None = None
    expect_dbdump: bool | None = None
    notification_email: Text = ""
    enabled_events: list[EventType] = []
    cooldown_hours: int = Field(default=6, ge=0, le=720)
    legacy_uuids: dict[Name, Annotated[str, StringConstraints(max_length=64)]] = {}
    tokens: dict[Name, Secret] = {}
    overrides: dict[str, Any] = {}

    @field_validator("contact_email", "notification_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("overrides")
    @classmethod
    def _not_managed(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path in managed_paths_in(value):
            raise ValueError(f"{path} is set by the form's own fields, not by overrides")
        return value


# The controller.yaml keys the hub owns; everything else comes from the template or overrides.
MANAGED = (
    "identity.customer_id",
    "identity.hostname",
    "identity.display_name",
    "hub.url",
    "hub.api_key",
    "notifications.email",
    "notifications.enabled_events",
    "notifications.cooldown_hours",
    "monitoring.legacy_uuids",
    "infrastructure.tokens",
    "infrastructure.session_secret",
)


def managed_paths_in(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """The managed dotted paths that ``tree`` sets (or sets inside)."""
    found = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path in MANAGED:
            found.append(path)
        elif isinstance(value, dict):
            found.extend(managed_paths_in(value, path + "."))
    return found


@dataclass(frozen=True, slots=True)
class Credentials:
    """The secrets the hub generates for a customer. ``previous_api_key`` is the key the node
    still holds after a regeneration, until a push hands it the new one."""

    api_key: str
    session_secret: str
    previous_api_key: str = ""

    def keys_to_try(self) -> list[str]:
        return [key for key in (self.previous_api_key, self.api_key) if key]


@dataclass(frozen=True, slots=True)
class StoredConfig:
    config: ManagedConfig
    credentials: Credentials


def sealed_document(config: ManagedConfig, credentials: Credentials) -> dict[str, Any]:
    """What the sealed column holds: every field but the plain identity columns."""
    plain = {"customer_id", "display_name", "contact_email", "hostname"}
    plain |= {"expect_restic", "expect_dbdump"}
    document = config.model_dump(mode="json", exclude=plain)
    document["credentials"] = {
        "api_key": credentials.api_key,
        "session_secret": credentials.session_secret,
        "previous_api_key": credentials.previous_api_key,
    }
    return document


def from_document(plain: dict[str, Any], document: dict[str, Any]) -> StoredConfig:
    secrets = dict(document)
    credentials = Credentials(**secrets.pop("credentials"))
    return StoredConfig(ManagedConfig.model_validate({**plain, **secrets}), credentials)
