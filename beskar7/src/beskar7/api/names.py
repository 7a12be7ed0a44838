"""Kubernetes name rules: DNS-1123 names, label keys and values, endpoint hosts.

Each check returns None when the value is fine, else a message that does not repeat the value.
"""

import ipaddress
import re

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def dns_label_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS_LABEL.match(value):
        return (
            "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_subdomain_error(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS_SUBDOMAIN.match(value):
        return (
            "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def qualified_name_error(value: str) -> str | None:
    """A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain."""
    prefix, slash, name = value.rpartition("/")
    if slash and (not prefix or dns_subdomain_error(prefix)):
        return "prefix must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            "name part must be 1-63 characters: letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_error(value: str) -> str | None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        return (
            "must be at most 63 characters: letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def config_key_error(value: str) -> str | None:
    """A key of a Secret's or ConfigMap's data."""
    if not value or len(value) > 253 or not _CONFIG_KEY.match(value):
        return "keys must be 1-253 characters: letters, digits, '-', '_' and '.'"
    return None


def host_error(value: str) -> str | None:
    """An endpoint host: an IP address or a DNS-1123 subdomain (empty means unset)."""
    if not value:
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if dns_subdomain_error(value):
            return "must be an IP address or a lowercase RFC 1123 subdomain"
    return None
