"""Creating a managed config and (re)issuing its credentials, which are shown exactly once.

A customer without a ``customer_configs`` row (manual, reporting with the global key) gets
one; a customer created earlier (``felhom-hub create-customer``) keeps its row, but as the hub
holds only its key's hash, a fresh API key and retrieval password are issued.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from felhom_hub.configs import records
from felhom_hub.configs.model import HOSTNAME_PATTERN, Credentials, ManagedConfig, StoredConfig
from felhom_hub.configs.vault import Vault
from felhom_hub.secrets import new_token, token_hash
from felhom_hub.store import configs, customers


class ConfigExistsError(Exception):
    pass


class Credential(StrEnum):
    API_KEY = "api-key"
    RETRIEVAL_PASSWORD = "retrieval-password"


@dataclass(frozen=True, slots=True)
class Issued:
    """Plaintext credentials just issued, for the one page that shows them."""

    customer_id: str
    api_key: str | None
    retrieval_password: str | None


def create(conn: Connection, vault: Vault, config: ManagedConfig, *, now: datetime) -> Issued:
    """ConfigExistsError when the customer already has a config."""
    customer_id = config.customer_id
    if configs.exists(conn, customer_id=customer_id):
        raise ConfigExistsError(customer_id)
    issued = Issued(customer_id, new_token(), new_token())
    assert issued.api_key is not None and issued.retrieval_password is not None
    hashes = {
        "api_key_hash": token_hash(issued.api_key),
        "retrieval_password_hash": token_hash(issued.retrieval_password),
    }
    if customers.get(conn, customer_id=customer_id) is None:
        customers.create(conn, customer_id=customer_id, now=now, **hashes)
    else:
        configs.set_credential_hashes(conn, customer_id=customer_id, now=now, **hashes)
    stored = StoredConfig(config, Credentials(issued.api_key, new_token()))
    records.save(conn, vault, stored, now=now)
    return issued


def regenerate(
    conn: Connection, vault: Vault, customer_id: str, which: Credential, *, now: datetime
) -> Issued | None:
    """A new API key (the old one kept as ``previous_api_key`` until a push hands the new one
    to the node) or retrieval password; None when the customer has no config."""
    stored = records.load(conn, vault, customer_id)
    if stored is None:
        return None
    fresh = new_token()
    if which is Credential.RETRIEVAL_PASSWORD:
        configs.set_credential_hashes(
            conn, customer_id=customer_id, now=now, retrieval_password_hash=token_hash(fresh)
        )
        return Issued(customer_id, None, fresh)
    old = stored.credentials
    held = old.previous_api_key or old.api_key  # what the node still has
    credentials = Credentials(fresh, old.session_secret, previous_api_key=held)
    records.update_credentials(conn, vault, customer_id, credentials, now=now)
    configs.set_credential_hashes(
        conn, customer_id=customer_id, now=now, api_key_hash=token_hash(fresh)
    )
    return Issued(customer_id, fresh, None)


def from_report(customer_id: str, report: dict[str, Any]) -> ManagedConfig:
    """A first config from a manual customer's latest report, to edit from there."""
    hostname = report.get("hostname")
    if not isinstance(hostname, str) or not re.fullmatch(HOSTNAME_PATTERN, hostname):
        hostname = "node-1"
    return ManagedConfig(customer_id=customer_id, display_name=customer_id, hostname=hostname)
