"""Bootstrap tokens: minted when a boot script is rendered, checked on every callback.

Only the SHA-256 of a token is stored (annotation `bootstrap-token`, JSON {hash, issuedAt,
expiresAt}); the token itself lives only in the boot script handed to the server. Checks compare
digests in constant time and answer the same False whatever is wrong.
"""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from beskar7.api.meta import format_time

TOKEN_BYTES = 32
_NO_HASH = "-" * 64
"""Compared against when there is no record: never equal to a hex digest."""


@dataclass(frozen=True)
class TokenRecord:
    hash: str
    """SHA-256 of the token, lowercase hex."""
    issued_at: datetime
    expires_at: datetime

    def to_annotation(self) -> str:
        return json.dumps(
            {
                "hash": self.hash,
                "issuedAt": format_time(self.issued_at),
                "expiresAt": format_time(self.expires_at),
            },
            separators=(",", ":"),
        )


def mint_token() -> str:
    """32 random bytes, base64url without padding (43 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(now: datetime, lifetime: float) -> tuple[str, TokenRecord]:
    """A fresh token and the record to store for it."""
    token = mint_token()
    record = TokenRecord(hash_token(token), now, now + timedelta(seconds=lifetime))
    return token, record


def parse_record(text: str | None) -> TokenRecord | None:
    """The record in a `bootstrap-token` annotation; None when absent or unreadable."""
    if not text:
        return None
    try:
        data = json.loads(text)
        record = TokenRecord(
            str(data["hash"]),
            datetime.fromisoformat(data["issuedAt"]),
            datetime.fromisoformat(data["expiresAt"]),
        )
    except (ValueError, TypeError, KeyError):
        return None
    if record.expires_at.tzinfo is None or record.issued_at.tzinfo is None:
        return None
    return record


def verify(token: str | None, record: TokenRecord | None, now: datetime) -> bool:
    """Whether `token` is the one `record` describes and has not expired."""
    presented = hash_token(token or "").encode()
    expected = (record.hash if record is not None else _NO_HASH).encode()
    same = hmac.compare_digest(presented, expected)
    return same and token is not None and record is not None and now < record.expires_at


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for anything else."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value
