"""OIDC login through the hydra ``oauth`` interface (charmlibs-interfaces-oauth)."""

from __future__ import annotations

import logging

import ops
from charmlibs.interfaces import oauth

from endpoint import Endpoint
from hub_admin import OidcProvider

logger = logging.getLogger(__name__)

SCOPE = "openid email profile"


class OAuthClient(Endpoint):
    """Registers the hub as an OIDC client and reads the provider's endpoints."""

    def __init__(self, charm: ops.CharmBase, relation_name: str = "oauth") -> None:
        super().__init__(charm, relation_name)
        self.requirer = oauth.OAuthRequirer(charm, None, relation_name)

    @property
    def related(self) -> bool:
        """True while an oauth relation exists."""
        return self.relation is not None

    def register(self, redirect_uri: str) -> None:
        """Publish (or refresh) the client registration; the library writes only as leader."""
        config = oauth.ClientConfig(
            redirect_uri=redirect_uri, scope=SCOPE, grant_types=["authorization_code"]
        )
        try:
            self.requirer.update_client_config(config)
        except oauth.ClientConfigError as exc:
            logger.error("oauth client config rejected: %s", exc)

    def provider(self) -> OidcProvider | None:
        """The registered client and provider endpoints, once hydra created the client."""
        if not self.related or not self.requirer.is_client_created():
            return None
        try:
            info = self.requirer.get_provider_info()
        except (ops.SecretNotFoundError, ops.ModelError, oauth.DataValidationError) as exc:
            logger.warning("oauth provider data not usable yet: %s", type(exc).__name__)
            return None
        if info is None or not info.client_id or not info.client_secret:
            return None
        return OidcProvider(
            client_id=info.client_id,
            client_secret=info.client_secret,
            auth_url=info.authorization_endpoint,
            token_url=info.token_endpoint,
            userinfo_url=info.userinfo_endpoint,
            jwks_url=info.jwks_endpoint,
            issuer=info.issuer_url,
        )
