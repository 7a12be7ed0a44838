"""Containerd settings for MicroK8s: proxy environment and registry hosts (no charm concerns)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import util

ARGS = Path("var/snap/microk8s/current/args")
_FILE_FIELDS = {"ca_file": "ca.crt", "cert_file": "client.crt", "key_file": "client.key"}


@dataclass(frozen=True)
class Registry:
    """One entry of ``containerd_custom_registries``; file fields hold base64 PEM."""

    url: str
    host: str = ""
    username: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    skip_verify: bool = False
    override_path: bool = False

    def __post_init__(self) -> None:
        # Messages never quote values: they end up in the unit's status.
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("url must be http(s)://host[:port]")
        if parsed.username or parsed.password:
            raise ValueError("url must not hold credentials: use username and password")
        if not self.host:
            object.__setattr__(self, "host", parsed.netloc)
        if bool(self.username) != bool(self.password):
            raise ValueError("username and password go together")
        for name in _FILE_FIELDS:
            _decode(getattr(self, name), name)


def parse_registries(text: str) -> list[Registry]:
    """Parse the JSON list of registries; raise ValueError with a reason if it is invalid."""
    try:
        items: Any = json.loads(text or "[]")
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e}") from e
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("must be a JSON list of objects")
    known = {f.name for f in fields(Registry)}
    registries = []
    for number, item in enumerate(items, start=1):
        unknown = set(item) - known
        if unknown:
            raise ValueError(f"unknown registry keys: {', '.join(sorted(unknown))}")
        if "url" not in item:
            raise ValueError(f"registry {number}: url is required")
        try:
            registries.append(Registry(**item))
        except ValueError as e:
            raise ValueError(f"registry {number}: {e}") from None
    return registries


def ensure_proxy(http: str, https: str, no_proxy: str, root: Path = Path("/")) -> bool:
    """Keep the proxy variables in containerd's environment file; return True if changed."""
    values = {"HTTP_PROXY": http, "HTTPS_PROXY": https, "NO_PROXY": no_proxy}
    lines = [f"{key}={value}" for key, value in values.items() if value]
    return util.ensure_block(root / ARGS / "containerd-env", lines)


def ensure_registries(registries: list[Registry], root: Path = Path("/")) -> bool:
    """Write ``certs.d/<host>/hosts.toml`` and certificate files; return True if changed."""
    changed = False
    for registry in registries:
        folder = root / ARGS / "certs.d" / registry.host
        for name, filename in _FILE_FIELDS.items():
            data = _decode(getattr(registry, name), name)
            if data:
                changed |= util.ensure_file(folder / filename, data, mode=0o600)
        changed |= util.ensure_file(folder / "hosts.toml", hosts_toml(registry, root / ARGS))
    return changed


def hosts_toml(registry: Registry, args: Path) -> str:
    """Render containerd's hosts.toml for ``registry``; file paths point into ``args``."""
    folder = args / "certs.d" / registry.host
    lines = [f'server = "{registry.url}"', "", f'[host."{registry.url}"]']
    lines.append('capabilities = ["pull", "resolve"]')
    if registry.ca_file:
        lines.append(f'ca = "{folder / "ca.crt"}"')
    if registry.cert_file and registry.key_file:
        lines.append(f'client = [["{folder / "client.crt"}", "{folder / "client.key"}"]]')
    if registry.skip_verify:
        lines.append("skip_verify = true")
    if registry.override_path:
        lines.append("override_path = true")
    if registry.username:
        basic = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
        lines += ["", f'[host."{registry.url}".header]', f'authorization = "Basic {basic}"']
    return "\n".join(lines) + "\n"


def _decode(value: str, what: str) -> str:
    """Decode a base64 file field; raise ValueError naming ``what`` if it is not base64."""
    try:
        return base64.b64decode(value, validate=True).decode() if value else ""
    except (binascii.Error, UnicodeDecodeError) as e:
        raise ValueError(f"{what} is not base64 text") from e
