"""controller.yaml: file, environment overrides, unknown keys, errors that name the key."""

from pathlib import Path

import pytest

from felhom_controller.config import ConfigError, load_settings

EXAMPLE = Path(__file__).parents[1] / "controller.yaml.example"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "controller.yaml"
    path.write_text(text)
    return path


def test_it_reads_the_file_and_fills_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "identity:\n  customer_id: acme\nhub:\n  url: http://hub:8080/\n")
    settings = load_settings(path, environ={})
    assert settings.identity.customer_id == "acme"
    assert settings.hub.url == "http://hub:8080"
    assert settings.report.interval_seconds == 900
    assert settings.health.mount_warn_percent == 90


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "hub:\n  url: http://hub:8080\n  api_key: from-file\n")
    environ = {
        "FELHOM_CONTROLLER_HUB_API_KEY": "from-env",
        "FELHOM_CONTROLLER_REPORT_INTERVAL_SECONDS": "60",
        "FELHOM_CONTROLLER_STORAGE_MOUNTS": "[/, /srv/data]",
        "FELHOM_CONTROLLER_STATE_DIR": "/tmp/state",
    }
    settings = load_settings(path, environ=environ)
    assert settings.hub.api_key == "from-env"
    assert settings.hub.url == "http://hub:8080"
    assert settings.report.interval_seconds == 60
    assert settings.storage.mounts == ["/", "/srv/data"]
    assert str(settings.state_dir) == "/tmp/state"


def test_an_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "hub:\n  url: http://hub\n  apikey: x\n")
    with pytest.raises(ConfigError, match=r"hub\.apikey: unknown key"):
        load_settings(path, environ={})


def test_an_unknown_variable_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="FELHOM_CONTROLLER_HUB_APIKEY: no such setting"):
        load_settings(None, environ={"FELHOM_CONTROLLER_HUB_APIKEY": "x"})


def test_a_bad_value_names_the_key_and_its_source_but_not_the_value() -> None:
    environ = {"FELHOM_CONTROLLER_HUB_URL": "ftp://secret-host-name"}
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ=environ)
    assert "hub.url: must be an http:// or https:// URL (from FELHOM_CONTROLLER_HUB_URL)" in str(
        caught.value
    )
    assert "secret-host-name" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["hub: [1, 2]\n", "- a\n- b\n", "hub: {url: 'http://x'\n", "report:\n  interval_seconds: 1\n"],
)
def test_malformed_files_are_config_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError):
        load_settings(write(tmp_path, text), environ={})


def test_the_example_is_a_valid_complete_configuration() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert settings.identity.customer_id != "unconfigured"
    text = EXAMPLE.read_text()
    for section, field in type(settings).model_fields.items():
        assert f"\n{section}:" in text, f"controller.yaml.example lacks the {section} section"
        for key in getattr(field.annotation, "model_fields", {}):
            assert f"\n  {key}:" in text, f"controller.yaml.example lacks {section}.{key}"
