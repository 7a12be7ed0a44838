"""Beszel Hub workload facts: Pebble layer, commands, URLs. No charm concerns.

Usable outside a charm: every function takes plain values and returns plain data.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

CONTAINER = "beszel"
SERVICE = "beszel"
CHECK = "beszel-health"
LAYER = "beszel"
BINARY = "/beszel"
DATA_DIR = "/beszel_data"
STORAGE = "beszel-data"
VERSION_COMMAND = [BINARY, "--version"]
OAUTH_REDIRECT_PATH = "/api/oauth2-redirect"
ADMIN_UI_PATH = "/_/"

_VERSION = re.compile(r"version\s+v?(\S+)")


def hub_environment(app_url: str | None, oauth_enabled: bool) -> dict[str, str]:
    """The hub environment variables the charm manages (only ones the hub reads)."""
    env: dict[str, str] = {}
    if app_url:
        env["APP_URL"] = app_url
    if oauth_enabled:
        # OAuth users are created on first login; password login stays for superusers only.
        env["USER_CREATION"] = "true"
        env["DISABLE_PASSWORD_AUTH"] = "true"
    return env


def pebble_layer(port: int, environment: dict[str, str], serve: bool = True) -> dict[str, Any]:
    """The Pebble layer: the hub on 0.0.0.0:<port>, restarted when /api/health fails.

    ``serve=False`` is the standby layer of a non-leader unit: the service is not started
    and its ready-level check keeps failing, so Kubernetes takes the pod out of the
    Service's endpoints and users only ever reach the leader's hub.
    """
    return {
        "summary": "Beszel Hub",
        "services": {
            SERVICE: {
                "override": "replace",
                "summary": "Beszel Hub (PocketBase)",
                "command": f"{BINARY} serve --http=0.0.0.0:{port} --dir={DATA_DIR}",
                "startup": "enabled" if serve else "disabled",
                "working-dir": "/",
                "environment": dict(environment),
                "on-check-failure": {CHECK: "restart" if serve else "ignore"},
            }
        },
        "checks": {
            CHECK: {
                "override": "replace",
                "level": "ready",
                "period": "30s",
                "timeout": "5s",
                "threshold": 3,
                "http": {"url": f"http://localhost:{port}/api/health"},
            }
        },
    }


def superuser_upsert_command(email: str, password: str) -> list[str]:
    """CLI that creates or updates the PocketBase superuser (runs via Pebble exec)."""
    return [BINARY, "superuser", "upsert", email, password, "--dir", DATA_DIR]


def parse_version(output: str) -> str | None:
    """Extract X.Y.Z from ``beszel version X.Y.Z``."""
    match = _VERSION.search(output)
    return match.group(1) if match else None


def public_url(ingress_url: str | None, external_hostname: str) -> str | None:
    """The URL users reach the hub at: ingress first, then the external hostname."""
    if ingress_url:
        return ingress_url.rstrip("/")
    if external_hostname:
        return f"https://{external_hostname}"
    return None


def service_url(app: str, model: str, port: int) -> str:
    """The in-cluster Kubernetes Service URL of the hub."""
    return f"http://{app}.{model}.svc.cluster.local:{port}"


def oauth_redirect_uri(url: str | None) -> str | None:
    """PocketBase's OAuth2 redirect URI, only for an HTTPS public URL."""
    if not url or not url.startswith("https://"):
        return None
    return url + OAUTH_REDIRECT_PATH


def backup_name(now: datetime.datetime) -> str:
    """A PocketBase-valid backup name (``^[a-z0-9_-]+\\.zip$``) for a UTC time."""
    return f"beszel_charm_{now.astimezone(datetime.timezone.utc):%Y%m%d%H%M%S}.zip"


def backup_path(name: str, s3_bucket: str | None) -> str:
    """Where PocketBase writes a backup: the S3 bucket's root, else ``<data dir>/backups``."""
    if s3_bucket:
        return f"s3://{s3_bucket}/{name}"
    return f"{DATA_DIR}/backups/{name}"


def agent_instructions(hub_url: str, key: str, token: str) -> str:
    """How to start an agent that enrols itself with a universal token."""
    return (
        "Run the agent (henrygd/beszel-agent) with the environment "
        f'HUB_URL="{hub_url}" TOKEN="{token}" KEY="{key}". '
        "Agents connect to <HUB_URL>/api/beszel/agent-connect over WebSocket and "
        "register themselves; set SYSTEM_NAME to choose the system name."
    )
