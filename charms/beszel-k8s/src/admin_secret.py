"""The hub superuser's credentials, kept in a Juju application secret."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

import ops

LABEL = "beszel-admin"
EMAIL = "admin@beszel.charm"


@dataclasses.dataclass(frozen=True)
class AdminCredentials:
    """Superuser e-mail and password, plus the Juju secret holding them."""

    email: str
    password: str
    secret_id: str | None


def _new_password() -> str:
    return secrets.token_urlsafe(24)


def read(model: ops.Model, label: str = LABEL) -> AdminCredentials | None:
    """The credentials stored under ``label``, or None before the leader created them."""
    try:
        secret = model.get_secret(label=label)
        content = secret.get_content(refresh=True)
    except (ops.SecretNotFoundError, ops.ModelError):
        return None
    return AdminCredentials(content["email"], content["password"], _secret_id(secret))


def _secret_id(secret: ops.Secret) -> str | None:
    if secret.id:
        return secret.id
    try:
        return secret.get_info().id  # a secret looked up by label may not know its id
    except (ops.SecretNotFoundError, ops.ModelError):
        return None


def ensure(model: ops.Model) -> AdminCredentials:
    """Leader only: the stored credentials, creating the secret on first use."""
    existing = read(model)
    if existing is not None:
        return existing
    content = {"email": EMAIL, "password": _new_password()}
    secret = model.app.add_secret(content, label=LABEL, description="Beszel Hub superuser")
    return AdminCredentials(content["email"], content["password"], secret.id)


def rotate(model: ops.Model, apply: Callable[[AdminCredentials], None]) -> AdminCredentials:
    """Leader only: apply a new password to the hub, then store it.

    The secret changes only after ``apply`` succeeded, so a failed rotation leaves
    the stored password valid.
    """
    current = ensure(model)
    fresh = dataclasses.replace(current, password=_new_password())
    apply(fresh)
    secret = model.get_secret(label=LABEL)
    secret.set_content({"email": fresh.email, "password": fresh.password})
    return dataclasses.replace(fresh, secret_id=_secret_id(secret))
