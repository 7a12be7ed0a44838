"""The Beszel user the charm creates so that its operator can log in to a fresh hub.

Its e-mail and password live in a Juju application secret (label ``beszel-user``);
``get-admin-url`` returns the secret's id. The user is an ordinary Beszel ``users``
record with the ``admin`` role: it logs in on the hub's own login page.
"""

from __future__ import annotations

import secrets

import ops

import admin_secret
import hub_admin
from admin_secret import AdminCredentials
from beszel_api import HubClient

LABEL = "beszel-user"
EMAIL = "operator@beszel.charm"


def read(model: ops.Model) -> AdminCredentials | None:
    """The first user's credentials, or None before the leader created them."""
    return admin_secret.read(model, LABEL)


def ensure(model: ops.Model, client: HubClient) -> None:
    """Leader only: store the credentials (once), then create the user if the hub needs it."""
    credentials = read(model)
    if credentials is None:
        content = {"email": EMAIL, "password": secrets.token_urlsafe(24)}
        model.app.add_secret(content, label=LABEL, description="Beszel Hub first user")
        credentials = AdminCredentials(content["email"], content["password"], None)
    hub_admin.ensure_first_user(client, credentials.email, credentials.password)
