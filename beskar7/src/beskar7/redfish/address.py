"""Parsing a PhysicalHost's `spec.redfishConnection.address` into base URL and system path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from beskar7.redfish.errors import RedfishConnectionError

ROOT_PREFIX = "/redfish/v1/"
_SYSTEM_PATH = re.compile(r"^/redfish/v1/Systems/(?P<id>[^/?#]+)/?$")
_ROOT_PATHS = ("", "/", "/redfish", "/redfish/", "/redfish/v1", "/redfish/v1/")


@dataclass(frozen=True)
class BmcAddress:
    """`base_url` is scheme://host[:port] (never userinfo); `system_path` may be None."""

    base_url: str
    system_path: str | None

    def __str__(self) -> str:
        return self.base_url


def parse_address(address: str) -> BmcAddress:
    """Split an address; https is assumed without a scheme; userinfo is dropped."""
    text = address.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        host, port = None, None
        parts = None
    if parts is None or not host or parts.scheme not in ("http", "https"):
        raise RedfishConnectionError(
            "invalid BMC address: expected https://host[:port][/redfish/v1/Systems/<id>]"
        ) from None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    base_url = f"{parts.scheme}://{netloc}"
    path = parts.path
    if path in _ROOT_PATHS:
        return BmcAddress(base_url, None)
    match = _SYSTEM_PATH.match(path)
    if match is None:
        raise RedfishConnectionError(
            f"invalid BMC address {base_url}{path}: the path must be empty or "
            "/redfish/v1/Systems/<id>"
        )
    return BmcAddress(base_url, f"/redfish/v1/Systems/{match['id']}")
