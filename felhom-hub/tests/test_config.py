from datetime import time, timedelta
from pathlib import Path

import pytest

from felhom_hub.config import ConfigError, Settings, load_settings, split_listen

SEED_YAML = """\
auth:
  password_hash: ""
api:
  report_api_key: "a-long-enough-report-key"
notifications:
  resend_api_key: ""
  from_email: "monitoring@felhom.eu"
  operator_email: ""
  operator_enabled: true
retention:
  max_days: 90
  prune_schedule: "04:30"
alerting:
  stale_threshold: "30m"
registry:
  image: "gitea.dooplex.hu/admin/felhom-controller"
  username: ""
  token: ""
  check_interval: "30m"
  template_interval: "1h"
server:
  listen: ":8080"
  data_dir: "/data"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text)
    return path


def test_it_reads_the_seed_hub_yaml(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, SEED_YAML), environ={})
    assert settings.api.report_api_key == "a-long-enough-report-key"
    assert settings.retention.prune_schedule == time(4, 30)
    assert settings.alerting.stale_threshold == timedelta(minutes=30)
    assert settings.registry.template_interval == timedelta(hours=1)
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 8080)
    assert settings.server.database_path == Path("/data/hub.db")


def test_defaults_need_no_file() -> None:
    settings = load_settings(None, environ={})
    assert settings == Settings()
    assert settings.retention.max_days == 90
    assert settings.server.max_body_bytes == 1024 * 1024


def test_environment_overrides_every_section(tmp_path: Path) -> None:
    env = {
        "FELHOM_HUB_API_REPORT_API_KEY": "from-the-environment-key",
        "FELHOM_HUB_RETENTION_MAX_DAYS": "7",
        "FELHOM_HUB_ALERTING_STALE_THRESHOLD": "1h",
        "FELHOM_HUB_NOTIFICATIONS_OPERATOR_ENABLED": "false",
        "FELHOM_HUB_SERVER_LISTEN": "127.0.0.1:9999",
        "FELHOM_HUB_REGISTRY_TOKEN": "t",
        "FELHOM_HUB_AUTH_PASSWORD_HASH": "$2a$10$abcdefghijklmnopqrstuu",
    }
    settings = load_settings(write(tmp_path, SEED_YAML), environ=env)
    assert settings.api.report_api_key == "from-the-environment-key"
    assert settings.retention.max_days == 7
    assert settings.alerting.stale_threshold == timedelta(hours=1)
    assert settings.notifications.operator_enabled is False
    assert settings.server.port == 9999
    assert settings.registry.token == "t"
    assert settings.auth.password_hash.startswith("$2a$")


@pytest.mark.parametrize(
    ("yaml_text", "env", "named"),
    [
        ("retention:\n  max_days: 0\n", {}, "retention.max_days"),
        ("retention:\n  prune_schedule: '25:00'\n", {}, "retention.prune_schedule"),
        ("alerting:\n  stale_threshold: soon\n", {}, "alerting.stale_threshold"),
        ("server:\n  listen: 'localhost'\n", {}, "server.listen"),
        ("server:\n  colour: blue\n", {}, "server.colour: unknown key"),
        ("auth:\n  password_hash: hunter2\n", {}, "auth.password_hash"),
        ("api:\n  report_api_key: short\n", {}, "api.report_api_key"),
        ("notifications:\n  operator_email: nobody\n", {}, "notifications.operator_email"),
        ("", {"FELHOM_HUB_RETENTION_MAX_DAYS": "many"}, "FELHOM_HUB_RETENTION_MAX_DAYS"),
        ("", {"FELHOM_HUB_SERVER_LISTN": ":1"}, "FELHOM_HUB_SERVER_LISTN: no such setting"),
        ("", {"FELHOM_HUB_NOPE_X": "1"}, "FELHOM_HUB_NOPE_X: no such setting"),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, yaml_text: str, env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, yaml_text), environ=env)
    assert named in str(raised.value)


def test_unreadable_or_malformed_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml", environ={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write(tmp_path, "api: [unclosed\n"), environ={})
    with pytest.raises(ConfigError, match="mapping of sections"):
        load_settings(write(tmp_path, "- a list\n"), environ={})


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        (":8080", ("0.0.0.0", 8080)),
        ("127.0.0.1:80", ("127.0.0.1", 80)),
        ("[::1]:8080", ("::1", 8080)),
    ],
)
def test_split_listen(listen: str, expected: tuple[str, int]) -> None:
    assert split_listen(listen) == expected


def test_config_management_keys(tmp_path: Path) -> None:
    key_a, key_b = "A" * 43 + "=", "b" * 43 + "="
    env = {
        "FELHOM_HUB_CONFIGS_SECRET_KEYS": f"{key_a}, {key_b}",
        "FELHOM_HUB_CONFIGS_HUB_URL": "https://hub.example/",
        "FELHOM_HUB_REGISTRY_TEMPLATE_URL": "https://git.example/raw/controller.yaml.example",
    }
    settings = load_settings(None, env)
    assert settings.configs.secret_keys == [key_a, key_b]
    assert settings.configs.hub_url == "https://hub.example"
    assert settings.registry.template_url.endswith("controller.yaml.example")
    for name, value, message in (
        ("CONFIGS_SECRET_KEYS", "short", "configs.secret_keys: key 1 is not a Fernet key"),
        ("CONFIGS_HUB_URL", "hub.example", "configs.hub_url: must be an http\\(s\\) URL"),
        ("REGISTRY_TEMPLATE_URL", "ftp://x", "registry.template_url: must be an http\\(s\\) URL"),
        ("CONFIGS_CONTROLLER_TIMEOUT", "1h", "configs.controller_timeout: must be between"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_settings(None, {f"FELHOM_HUB_{name}": value})
