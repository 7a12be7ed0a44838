"""The final OS's NoCloud-style seed: single-use secrets, the documents it serves, and the kernel
parameter that hands its URL to each OS family. Pure: no store, no HTTP.

`/api/v1/seed/<ns>/<host>/<secret>/` serves two documents, each at most once per secret:

- `user-data`: the Machine's bootstrap data (the Secret's `value`), typed by its `format`.
- `meta-data`: `instance-id`, `local-hostname`, `provider-id` (`b7://<ns>/<host>`, also as
  `providerid` for templates written like Metal3's), `name`, and where and with which token the
  final OS reports (`beskar7-report-url`, `beskar7-report-token`).

Only the SHA-256 of the secret is stored (annotation `seed-token`), with the documents already
served; the secret lives only in the URL handed to the inspector, which puts it on the final OS's
command line, where it is worthless once fetched or after `SEED_LIFETIME`.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from beskar7.api.machine import format_provider_id
from beskar7.api.meta import format_time
from beskar7.callback import boot
from beskar7.callback.tokens import mint_token

SEED_PATH = ("api", "v1", "seed")
DEFAULT_FORMAT = "cloud-config"
_NO_HASH = "-" * 64


class SeedDocument(StrEnum):
    USER_DATA = "user-data"
    META_DATA = "meta-data"


class DataFormat(StrEnum):
    """The `format` of a CAPI bootstrap data Secret."""

    CLOUD_CONFIG = "cloud-config"
    IGNITION = "ignition"


CONTENT_TYPES = {
    DataFormat.CLOUD_CONFIG: "text/cloud-config; charset=utf-8",
    DataFormat.IGNITION: "application/vnd.coreos.ignition+json",
}
META_DATA_TYPE = "text/yaml; charset=utf-8"


class FormatError(ValueError):
    """The bootstrap Secret's `format` is not one beskar7 can serve."""


def data_format(value: bytes | None) -> DataFormat:
    """The Secret's `format` (absent: cloud-config, CAPI's default); FormatError otherwise."""
    text = (value or DEFAULT_FORMAT.encode()).decode(errors="replace").strip()
    try:
        return DataFormat(text)
    except ValueError:
        known = ", ".join(f.value for f in DataFormat)
        raise FormatError(f"bootstrap data format must be one of {known}") from None


@dataclass(frozen=True)
class SeedRecord:
    hash: str
    issued_at: datetime
    expires_at: datetime
    served: tuple[str, ...] = field(default=())

    def to_annotation(self) -> str:
        return json.dumps(
            {
                "hash": self.hash,
                "issuedAt": format_time(self.issued_at),
                "expiresAt": format_time(self.expires_at),
                "served": list(self.served),
            },
            separators=(",", ":"),
        )

    def serving(self, document: SeedDocument) -> "SeedRecord":
        return SeedRecord(self.hash, self.issued_at, self.expires_at, (*self.served, document))


def issue(now: datetime, lifetime: float) -> tuple[str, SeedRecord]:
    """A fresh secret (43 characters, URL-safe) and the record to store for it."""
    secret = mint_token()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return secret, SeedRecord(digest, now, now + timedelta(seconds=lifetime))


def parse_record(text: str | None) -> SeedRecord | None:
    """The record in a `seed-token` annotation; None when absent or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
        served = tuple(str(item) for item in data.get("served", []))
        record = SeedRecord(
            str(data["hash"]),
            datetime.fromisoformat(data["issuedAt"]),
            datetime.fromisoformat(data["expiresAt"]),
            served,
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if record.expires_at.tzinfo is None or record.issued_at.tzinfo is None:
        return None
    return record


def may_serve(
    secret: str, record: SeedRecord | None, document: SeedDocument, now: datetime
) -> bool:
    """Whether `secret` is the record's, unexpired, and `document` was not served for it yet.
    Compares digests in constant time whatever is wrong."""
    presented = hashlib.sha256(secret.encode()).hexdigest().encode()
    expected = (record.hash if record is not None else _NO_HASH).encode()
    same = hmac.compare_digest(presented, expected)
    return (
        same
        and record is not None
        and now < record.expires_at
        and document.value not in record.served
    )


def seed_url(base: str, namespace: str, host: str, secret: str) -> str:
    """`<base>/api/v1/seed/<ns>/<host>/<secret>/` (NoCloud wants the trailing slash)."""
    return boot.path_url(base, *SEED_PATH, namespace, host, secret) + "/"


@dataclass(frozen=True)
class MetaData:
    instance_id: str
    namespace: str
    host: str
    report_url: str
    report_token: str

    def render(self) -> str:
        """YAML (every value a JSON string, which YAML reads as the same string)."""
        pid = format_provider_id(self.namespace, self.host)
        values = {
            "instance-id": self.instance_id,
            "local-hostname": self.host,
            "name": self.host,
            "provider-id": pid,
            "providerid": pid,
            "beskar7-report-url": self.report_url,
            "beskar7-report-token": self.report_token,
        }
        return "".join(f"{key}: {json.dumps(value)}\n" for key, value in values.items())
