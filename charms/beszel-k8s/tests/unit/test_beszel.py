"""Pure workload helpers: layer, commands, URLs."""

from __future__ import annotations

import datetime
import re

import beszel


def test_pebble_layer_serves_on_all_interfaces_with_data_dir() -> None:
    layer = beszel.pebble_layer(9000, {"APP_URL": "https://b.example.com"})
    service = layer["services"]["beszel"]
    assert service["command"] == "/beszel serve --http=0.0.0.0:9000 --dir=/beszel_data"
    assert service["startup"] == "enabled"
    assert service["environment"] == {"APP_URL": "https://b.example.com"}
    assert service["on-check-failure"] == {"beszel-health": "restart"}


def test_pebble_layer_checks_api_health_on_port() -> None:
    check = beszel.pebble_layer(9000, {})["checks"]["beszel-health"]
    assert check["http"] == {"url": "http://localhost:9000/api/health"}
    assert check["level"] == "ready"


def test_hub_environment_is_empty_by_default() -> None:
    assert beszel.hub_environment(None, oauth_enabled=False) == {}


def test_hub_environment_enables_oauth_signup() -> None:
    env = beszel.hub_environment("https://b.example.com", oauth_enabled=True)
    assert env == {
        "APP_URL": "https://b.example.com",
        "USER_CREATION": "true",
        "DISABLE_PASSWORD_AUTH": "true",
    }


def test_superuser_upsert_command_targets_data_dir() -> None:
    assert beszel.superuser_upsert_command("a@b.c", "pw") == [
        "/beszel", "superuser", "upsert", "a@b.c", "pw", "--dir", "/beszel_data",
    ]  # fmt: skip


def test_parse_version_reads_cobra_output() -> None:
    assert beszel.parse_version("beszel version 0.18.8\n") == "0.18.8"
    assert beszel.parse_version("garbage") is None


def test_public_url_prefers_ingress() -> None:
    assert beszel.public_url("http://i.example.com/m-beszel/", "b.example.com") == (
        "http://i.example.com/m-beszel"
    )
    assert beszel.public_url(None, "b.example.com") == "https://b.example.com"
    assert beszel.public_url(None, "") is None


def test_oauth_redirect_uri_requires_https() -> None:
    assert beszel.oauth_redirect_uri("https://b.example.com") == (
        "https://b.example.com/api/oauth2-redirect"
    )
    assert beszel.oauth_redirect_uri("http://b.example.com") is None
    assert beszel.oauth_redirect_uri(None) is None


def test_backup_name_is_valid_pocketbase_name() -> None:
    now = datetime.datetime(2026, 11, 22, 8, 30, 5, tzinfo=datetime.timezone.utc)
    name = beszel.backup_name(now)
    assert name == "beszel_charm_20261122083005.zip"
    assert re.fullmatch(r"[a-z0-9_-]+\.zip", name)


def test_agent_instructions_carry_all_three_values() -> None:
    text = beszel.agent_instructions("https://b.example.com", "ssh-ed25519 K", "tok")
    assert 'HUB_URL="https://b.example.com"' in text
    assert 'TOKEN="tok"' in text
    assert 'KEY="ssh-ed25519 K"' in text
