"""Dashboard sessions: a signed, stateless cookie; CSRF tokens derived from it.

The cookie carries a random nonce, whether the holder logged in, and a fingerprint of the
password hash it logged in against; it is signed with a per-hub key (``session.key`` in the
data directory, made on first start) and expires after seven days. Changing
``auth.password_hash`` changes the fingerprint, which ends every session at once. The CSRF
token of a form is an HMAC of the cookie's nonce, so a page from another origin cannot know it.
"""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "felhom_session"
LIFETIME = timedelta(days=7)
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class Session:
    nonce: str
    logged_in: bool


def load_or_create_key(path: Path) -> bytes:
    """The signing key in ``path``; a fresh random one (mode 0600) when the file is missing."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path}: the session key must hold at least {KEY_BYTES} bytes")
    return key


class SessionCodec:
    """Signs and checks session cookies for one key and one password hash."""

    def __init__(self, key: bytes, password_hash: str) -> None:
        self._key = key
        self._signer = URLSafeTimedSerializer(key, salt="felhom-hub session")
        digest = hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()
        self._fingerprint = digest[:32]

    def new(self, *, logged_in: bool) -> Session:
        return Session(secrets.token_urlsafe(16), logged_in)

    def dump(self, session: Session) -> str:
        fingerprint = self._fingerprint if session.logged_in else ""
        return self._signer.dumps([session.nonce, fingerprint])

    def load(self, cookie: str | None) -> Session | None:
        """The session in a cookie; None when absent, forged, expired or malformed. A login made
        against another password hash counts as logged out."""
        if not cookie:
            return None
        try:
            nonce, fingerprint = self._signer.loads(cookie, max_age=int(LIFETIME.total_seconds()))
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(nonce, str) or not isinstance(fingerprint, str):
            return None
        return Session(
            nonce, bool(fingerprint) and hmac.compare_digest(fingerprint, self._fingerprint)
        )

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._key, b"csrf:" + session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session), token)
