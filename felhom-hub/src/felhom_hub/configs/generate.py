"""A customer's controller.yaml: the template, then the overrides, then the managed keys."""

from typing import Any

from felhom_hub.configs.merge import deep_merge, load, render
from felhom_hub.configs.model import StoredConfig


def managed_values(stored: StoredConfig, hub_url: str) -> dict[str, Any]:
    """The keys the hub owns (model.MANAGED), from the stored config."""
    config = stored.config
    hub: dict[str, Any] = {"api_key": stored.credentials.api_key}
    if hub_url:
        hub = {"url": hub_url, **hub}
    return {
        "identity": {
            "customer_id": config.customer_id,
            "hostname": config.hostname,
            "display_name": config.display_name,
        },
        "hub": hub,
        "notifications": {
            "email": config.notification_email,
            "enabled_events": [str(event) for event in config.enabled_events],
            "cooldown_hours": config.cooldown_hours,
        },
        "monitoring": {"legacy_uuids": dict(config.legacy_uuids)},
        "infrastructure": {
            "tokens": dict(config.tokens),
            "session_secret": stored.credentials.session_secret,
        },
    }


def generate(template: str, stored: StoredConfig, *, hub_url: str) -> str:
    """The full file; TemplateError when the template is not a YAML mapping."""
    document = load(template)
    deep_merge(document, stored.config.overrides)
    deep_merge(document, managed_values(stored, hub_url))
    return render(document)
