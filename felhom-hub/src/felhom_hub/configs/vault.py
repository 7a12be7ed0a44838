"""Sealing secrets at rest with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The keys come from ``configs.secret_keys`` in hub.yaml (or ``FELHOM_HUB_CONFIGS_SECRET_KEYS``,
comma-separated). With none configured the hub keeps one key in ``configs.secret_key_file``
(default ``<data_dir>/config.key``, created mode 0600 on first start), so a dump of the
database alone reveals no secret. The first key seals; every key opens (MultiFernet), which is
how a key is rotated: put the new key first, start the hub (it re-seals everything it holds
with the new key, see :func:`felhom_hub.configs.reseal.reseal_all`), then drop the old key.
A value sealed with a key the hub no longer has cannot be opened: :class:`SealedError`.
"""

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from felhom_hub.config import Settings

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte 0x80 in base64


class SealedError(Exception):
    """A sealed value cannot be opened with the configured keys (never shows the value)."""


class Vault:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("the vault needs at least one key")
        self._fernets = [Fernet(key) for key in keys]
        self._multi = MultiFernet(self._fernets)
        # Which key sealed a value, stored beside it so rotation finds the old ones without
        # decrypting everything; a digest of a 256-bit random key reveals nothing of it.
        self.key_id = hashlib.sha256(keys[0]).hexdigest()[:16]

    def seal(self, plain: bytes) -> str:
        return self._multi.encrypt(plain).decode("ascii")

    def open(self, token: str) -> bytes:
        try:
            return self._multi.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise SealedError("sealed with a key this hub does not have") from None

    def seal_text(self, plain: str) -> str:
        return self.seal(plain.encode())

    def open_text(self, token: str) -> str:
        return self.open(token).decode()

    def rotate(self, token: str) -> str:
        """``token`` re-sealed with the first key; SealedError when no key opens it."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise SealedError("sealed with a key this hub does not have") from None


def is_sealed(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX)


def open_stored(vault: Vault, body: str) -> str:
    """A stored body: opened when sealed, as it is when stored in plaintext before sealing."""
    return vault.open_text(body) if is_sealed(body) else body


def load_or_create_key(path: Path) -> bytes:
    """The Fernet key in ``path``; a fresh one (mode 0600) when the file is missing."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key + b"\n")
        return key
    Fernet(key)  # ValueError when the file does not hold a Fernet key
    return key


def vault_for(settings: Settings) -> Vault:
    configured = settings.configs.secret_keys
    if configured:
        return Vault([key.encode() for key in configured])
    path = settings.configs.secret_key_file or settings.server.data_dir / "config.key"
    return Vault([load_or_create_key(path)])
