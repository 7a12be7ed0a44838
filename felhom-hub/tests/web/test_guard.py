from pathlib import Path

import pytest

from felhom_hub.cli import main
from felhom_hub.config import ConfigError, load_settings
from felhom_hub.web.guard import open_dashboard_refusal
from tests.conftest import make_settings


@pytest.mark.parametrize("listen", ["127.0.0.1:8080", "[::1]:8080", "localhost:8080"])
def test_an_open_dashboard_is_allowed_on_loopback(tmp_path: Path, listen: str) -> None:
    assert open_dashboard_refusal(make_settings(tmp_path, server={"listen": listen})) is None


@pytest.mark.parametrize("listen", [":8080", "0.0.0.0:8080", "192.0.2.1:80", "[::]:8080"])
def test_an_open_dashboard_is_refused_elsewhere(tmp_path: Path, listen: str) -> None:
    refusal = open_dashboard_refusal(make_settings(tmp_path, server={"listen": listen}))
    assert refusal is not None and "auth.password_hash is empty" in refusal
    secured = make_settings(tmp_path, server={"listen": listen}, auth={"password_hash": "$2b$x"})
    assert open_dashboard_refusal(secured) is None


def test_serve_refuses_to_start_without_a_password_on_all_addresses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(f'server:\n  listen: ":18080"\n  data_dir: "{tmp_path}"\n')
    assert main(["serve", "--config", str(config)]) == 1
    assert "allowed only on loopback" in capsys.readouterr().err
    assert not (tmp_path / "hub.db").exists()


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    environ = {"FELHOM_HUB_AUTH_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    assert load_settings(None, environ).auth.trusted_proxies == ["127.0.0.1", "::1"]
    with pytest.raises(ConfigError, match=r"auth\.trusted_proxies"):
        load_settings(None, {"FELHOM_HUB_AUTH_TRUSTED_PROXIES": "proxy.example"})
