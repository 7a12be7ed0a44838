"""Pull: a controller's live controller.yaml back into a stored config.

Identity, notification preferences, legacy UUIDs, infrastructure tokens and the session secret
come from their keys; every other value that differs from the template becomes an override.
The API key stays the hub's (the node keeps reporting with whatever key the hub accepts).
"""

from typing import Any

from pydantic import ValidationError

from felhom_hub.configs.diff import flatten
from felhom_hub.configs.merge import load, plain
from felhom_hub.configs.model import MANAGED, Credentials, ManagedConfig, StoredConfig


class PullError(ValueError):
    """The live file cannot become this customer's config; the message says why."""


def _section(tree: dict[str, Any], name: str) -> dict[str, Any]:
    value = tree.get(name)
    return value if isinstance(value, dict) else {}


def _managed(path: str) -> bool:
    return any(path == key or path.startswith(key + ".") for key in MANAGED)


def overrides_from(live: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """The live values that differ from the template, outside the managed keys, nested."""
    defaults = flatten(template)
    overrides: dict[str, Any] = {}
    for path, value in flatten(live).items():
        if _managed(path) or (path in defaults and defaults[path] == value):
            continue
        target = overrides
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return overrides


def extract(live_text: str, template_text: str, current: StoredConfig) -> StoredConfig:
    live = plain(load(live_text, "the controller's config"))
    identity = _section(live, "identity")
    customer = identity.get("customer_id")
    if customer != current.config.customer_id:
        raise PullError(f"the controller's config is for customer {customer!r}, not this one")
    notifications = _section(live, "notifications")
    infrastructure = _section(live, "infrastructure")
    fields = {
        **current.config.model_dump(),
        "display_name": identity.get("display_name") or current.config.display_name,
        "hostname": identity.get("hostname") or current.config.hostname,
        "notification_email": notifications.get("email", ""),
        "enabled_events": notifications.get("enabled_events", []),
        "cooldown_hours": notifications.get("cooldown_hours", 6),
        "legacy_uuids": _section(live, "monitoring").get("legacy_uuids", {}),
        "tokens": infrastructure.get("tokens", {}),
        "overrides": overrides_from(live, plain(load(template_text))),
    }
    try:
        config = ManagedConfig.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PullError(f"the controller's config has a bad {where}: {first['msg']}") from None
    secret = infrastructure.get("session_secret")
    credentials = current.credentials
    if isinstance(secret, str) and secret:
        credentials = Credentials(
            credentials.api_key, secret, previous_api_key=credentials.previous_api_key
        )
    return StoredConfig(config, credentials)
