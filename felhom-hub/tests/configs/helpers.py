"""A managed config for tests, and the felhom-controller example it is generated from."""

from typing import Any

from felhom_hub.configs.model import Credentials, ManagedConfig, StoredConfig
from felhom_hub.configs.template import package_example

API_KEY = "acme-api-key-0123456789abcdef-XYZ"
SESSION_SECRET = "session-secret-0123456789"
TOKEN = "cloudflare-token-very-secret-42"


def managed(**fields: Any) -> ManagedConfig:
    values: dict[str, Any] = {
        "customer_id": "acme",
        "display_name": "Acme Kft.",
        "contact_email": "ops@acme.example",
        "hostname": "acme-node-1",
        "notification_email": "alerts@acme.example",
        "enabled_events": ["backup_failed"],
        "tokens": {"cloudflare": TOKEN},
        **fields,
    }
    return ManagedConfig.model_validate(values)


def stored(**fields: Any) -> StoredConfig:
    return StoredConfig(managed(**fields), Credentials(API_KEY, SESSION_SECRET))


def example() -> str:
    text = package_example()
    assert text is not None, "the felhom-controller package's example must be found"
    return text
