"""The hub HTTP client against the in-process hub emulation."""

from __future__ import annotations

import pytest

from beszel_api import BackupInProgressError, HubClient, HubError, HubUnavailableError
from tests.unit.fake_hub import HUB_KEY, FakeHub


def test_it_reports_health(hub: FakeHub) -> None:
    assert HubClient("http://localhost:8090").is_healthy()


def test_it_reports_unhealthy_when_hub_is_down(hub: FakeHub) -> None:
    hub.healthy = False
    assert not HubClient("http://localhost:8090").is_healthy()


def test_login_raises_on_wrong_password(hub: FakeHub) -> None:
    hub.superusers["root@example.com"] = "right-password"
    with pytest.raises(HubError) as caught:
        HubClient("http://localhost:8090").login("root@example.com", "wrong-password")
    assert caught.value.status == 400


def test_login_raises_unavailable_when_hub_is_down(hub: FakeHub) -> None:
    hub.healthy = False
    with pytest.raises(HubUnavailableError):
        HubClient("http://localhost:8090").login("root@example.com", "x")


def test_calls_without_login_are_rejected(hub: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        HubClient("http://localhost:8090").list_backups()
    assert caught.value.status == 401


def test_it_reads_hub_key(client: HubClient) -> None:
    info = client.info()
    assert (info.key, info.version) == (HUB_KEY, "0.18.8")


def test_update_settings_merges_log_level(client: HubClient, hub: FakeHub) -> None:
    client.update_settings({"logs": {"minLevel": -4}})
    assert hub.settings["logs"]["minLevel"] == -4
    assert hub.settings["meta"]["appName"] == "Beszel"


def test_update_settings_surfaces_validation_error(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.update_settings({"backups": {"s3": {"enabled": True, "bucket": "b"}}})
    assert caught.value.status == 400
    assert "(backups.s3.endpoint: Cannot be blank.)" in str(caught.value)


def test_create_and_find_user(client: HubClient) -> None:
    user_id = client.create_user("ops@example.com", "long-enough-pw", "admin")
    assert client.find_user("ops@example.com") == user_id
    assert client.find_user("nobody@example.com") is None


def test_superuser_cannot_get_universal_token(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.enable_universal_token(client._token or "", "tok")
    assert caught.value.status == 403
    assert "Superusers cannot use universal tokens" in str(caught.value)


def test_impersonated_user_enables_universal_token(client: HubClient, hub: FakeHub) -> None:
    user_id = client.create_user("ops@example.com", "long-enough-pw", "admin")
    user_token = client.impersonate(user_id)
    assert client.enable_universal_token(user_token, "abc123") == "abc123"
    assert hub.universal_tokens[user_id] == "abc123"


def test_backup_round_trip(client: HubClient, hub: FakeHub) -> None:
    client.create_backup("nightly_1.zip")
    assert [b.key for b in client.list_backups()] == ["nightly_1.zip"]
    client.restore_backup("nightly_1.zip")
    assert hub.restored == ["nightly_1.zip"]


def test_create_backup_raises_in_progress_while_busy(client: HubClient, hub: FakeHub) -> None:
    hub.busy = True
    with pytest.raises(BackupInProgressError):
        client.create_backup("nightly_2.zip")


def test_restore_unknown_backup_fails(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.restore_backup("missing.zip")
    assert caught.value.status == 400
