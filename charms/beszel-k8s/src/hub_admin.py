"""Desired hub settings and the admin operations that apply them. No charm concerns."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from typing import Any

from beszel_api import HubClient, HubError, HubInfo

logger = logging.getLogger(__name__)

AGENT_OWNER_EMAIL = "agents@beszel.charm"
OIDC_PROVIDER = "oidc"


@dataclasses.dataclass(frozen=True)
class S3Target:
    """Where PocketBase writes backups (settings.backups.s3)."""

    endpoint: str
    bucket: str
    region: str
    access_key: str
    secret_key: str
    force_path_style: bool

    def as_settings(self) -> dict[str, Any]:
        """The ``backups.s3`` settings document."""
        return {
            "enabled": True,
            "endpoint": self.endpoint,
            "bucket": self.bucket,
            "region": self.region,
            "accessKey": self.access_key,
            "secret": self.secret_key,
            "forcePathStyle": self.force_path_style,
        }


@dataclasses.dataclass(frozen=True)
class OidcProvider:
    """An OIDC client registered with the identity provider (hydra)."""

    client_id: str
    client_secret: str
    auth_url: str
    token_url: str
    userinfo_url: str
    jwks_url: str
    issuer: str

    def as_provider(self) -> dict[str, Any]:
        """The PocketBase ``oauth2.providers[]`` entry."""
        return {
            "name": OIDC_PROVIDER,
            "displayName": "Identity Platform",
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "authURL": self.auth_url,
            "tokenURL": self.token_url,
            "userInfoURL": self.userinfo_url,
            "pkce": True,
            "extra": {"jwksURL": self.jwks_url, "issuers": [self.issuer]},
        }


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """Everything the charm owns inside the hub's PocketBase settings."""

    log_level: int
    s3: S3Target | None = None
    oidc: OidcProvider | None = None


@dataclasses.dataclass(frozen=True)
class AgentToken:
    """A universal token that agents can enrol with, plus the hub key they need."""

    token: str
    hub_key: str


def apply_settings(client: HubClient, desired: HubSettings) -> None:
    """Make the hub match ``desired``; safe to repeat."""
    s3: dict[str, Any] = desired.s3.as_settings() if desired.s3 else {"enabled": False}
    client.update_settings({"logs": {"minLevel": desired.log_level}, "backups": {"s3": s3}})
    oauth2 = client.get_collection("users").get("oauth2") or {}
    patch = plan_oauth2(oauth2, desired.oidc)
    if patch is not None:
        client.update_collection("users", {"oauth2": patch})


def plan_oauth2(current: dict[str, Any], oidc: OidcProvider | None) -> dict[str, Any] | None:
    """The ``oauth2`` patch that puts the charm's provider in place, or None to leave it be.

    PocketBase hides ``clientSecret`` when it lists providers, and 0.39 (the version Beszel
    0.18 embeds) merges a written list into the stored one *by position*: an entry sent
    without a secret keeps whatever secret its slot held. So the list is never reordered:
    the charm's entry is replaced where it stands, appended when new, and removed only when
    it is last. Removing it from before a hand-added provider would shift that provider
    into the charm's slot and hand it the charm's secret; it is left in place instead.
    """
    providers = [dict(p) for p in current.get("providers") or []]
    names = [p.get("name") for p in providers]
    index = names.index(OIDC_PROVIDER) if OIDC_PROVIDER in names else None
    if oidc is not None:
        if index is None:
            providers.append(oidc.as_provider())
        else:
            providers[index] = oidc.as_provider()
        return {"enabled": True, "providers": providers}
    if index is None:
        return None  # nothing of the charm's to remove: leave hand-made settings untouched
    if index != len(providers) - 1:
        logger.warning(
            "the oidc OAuth2 provider stays: removing it would shift the providers "
            "after it onto its stored secret (PocketBase 0.39 merges by position)"
        )
        return None
    providers.pop()
    return {"enabled": bool(current.get("enabled")) and bool(providers), "providers": providers}


def ensure_first_user(client: HubClient, email: str, password: str) -> bool:
    """Create the hub's first Beszel user (role admin) unless people already have accounts.

    Beszel's own first-run page only works while its placeholder superuser is the only
    one, which the charm's superuser ends; this user takes its place. Returns True when
    the user was created. A hub with users of its own (other than the charm's agents
    account) is left alone, so a user deleted on purpose is not brought back then.
    """
    if client.find_user(email) is not None:
        return False
    if client.count_users(except_email=AGENT_OWNER_EMAIL) > 0:
        return False
    client.create_user(email, password, "admin")
    return True


def issue_agent_token(client: HubClient, owner: str = "") -> AgentToken:
    """Register a fresh permanent universal token and return it with the hub key.

    Superusers may not call /api/beszel/universal-token, so the charm impersonates a
    ``users`` record: ``owner`` (an existing hub user, who then owns the systems agents
    register) or else the charm's own agents account. Replaces that user's earlier token.
    """
    if owner:
        user_id = client.find_user(owner)
        if user_id is None:
            raise HubError(f"no hub user with e-mail {owner}; create it in the hub first")
    else:
        user_id = client.find_user(AGENT_OWNER_EMAIL) or client.create_user(
            AGENT_OWNER_EMAIL, secrets.token_urlsafe(24), "admin"
        )
    user_token = client.impersonate(user_id)
    token = client.enable_universal_token(user_token, secrets.token_hex(16))
    info: HubInfo = client.info()
    return AgentToken(token=token, hub_key=info.key)
