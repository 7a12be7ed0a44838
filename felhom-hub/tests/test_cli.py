import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.cli import main
from felhom_hub.config import load_settings
from felhom_hub.secrets import verify_password
from tests.conftest import report_body


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(
        'api:\n  report_api_key: "cli-global-key-0123456789"\nserver:\n  data_dir: "."\n'
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_customer_create_prints_working_credentials_once(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "customer", "create", "acme", "--config", str(config))
    assert code == 0
    api_key = re.search(r"api key:\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    password = re.search(r"retrieval password:\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    assert api_key not in (config.parent / "hub.db").read_bytes().decode("latin-1")

    settings = load_settings(config, environ={})
    settings.server.data_dir = config.parent
    with TestClient(create_app(settings, run_jobs=False)) as client:
        auth = {"Authorization": f"Bearer {api_key}"}
        assert (
            client.post("/api/v1/report", json=report_body("acme"), headers=auth).status_code == 201
        )
        assert (
            client.post("/api/v1/report", json=report_body("other"), headers=auth).status_code
            == 403
        )
        retrieval = client.get("/api/v1/config/acme", headers={"X-Retrieval-Password": password})
        assert retrieval.status_code == 404  # authenticated; nothing generated yet


def test_customer_create_twice_and_bad_ids_fail_clearly(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "customer", "create", "acme", "--config", str(config))
    code, _, err = run(capsys, "customer", "create", "acme", "--config", str(config))
    assert (code, "exists already" in err) == (1, True)
    code, _, err = run(capsys, "customer", "create", "no/slash", "--config", str(config))
    assert (code, "not a valid customer id" in err) == (1, True)


def test_block_and_unblock(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "customer", "create", "acme", "--config", str(config))
    assert run(capsys, "customer", "block", "acme", "--config", str(config))[1] == (
        "customer acme is blocked\n"
    )
    assert "is active" in run(capsys, "customer", "unblock", "acme", "--config", str(config))[1]
    code, _, err = run(capsys, "customer", "block", "ghost", "--config", str(config))
    assert code == 1 and "no customer 'ghost'" in err


def test_hash_password_reads_stdin_and_prints_argon2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a good passphrase\n"))
    code, out, _ = run(capsys, "hash-password")
    assert code == 0 and out.startswith("$argon2id$")
    assert verify_password("a good passphrase", out.strip())


def test_hash_password_refuses_short_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, out, err = run(capsys, "hash-password")
    assert code == 1 and out == "" and "at least 8" in err


def test_migrate_then_up_to_date(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "0001_initial.sql" in run(capsys, "migrate", "--config", str(config))[1]
    assert "up to date" in run(capsys, "migrate", "--config", str(config))[1]


def test_prune_reports_what_it_deleted(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prune", "--config", str(config))
    assert code == 0 and out.startswith("deleted 0 reports, 0 events")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("retention:\n  max_days: -1\n", "retention.max_days"),
        ("retention:\n  raw_days: 0\n", "retention.raw_days"),
        (f"alerting:\n  stale_threshold: {'9' * 400}s\n", "alerting.stale_threshold"),
        ("alerting:\n  stale_threshold: 99999h\n", "alerting.stale_threshold"),
        ("alerting:\n  stale_threshold: 2s\n", "alerting.stale_threshold"),
        ("registry:\n  check_interval: 1ms\n", "registry.check_interval"),
        ("server:\n  body_timeout: 2h\n", "server.body_timeout"),
        ("server:\n  max_connections: 0\n", "server.max_connections"),
        ("api:\n  rate_limit_per_minute: 0\n", "api.rate_limit_per_minute"),
    ],
)
def test_bad_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    code, _, err = run(capsys, "migrate", "--config", str(bad))
    assert code == 2 and key in err
    assert "Traceback" not in err and len(err) < 600


def test_init_writes_a_private_config_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "var" / "hub.yaml"
    code, out, _ = run(capsys, "init", "--config", str(path))
    assert code == 0 and "global API key" in out
    assert path.stat().st_mode & 0o077 == 0
    settings = load_settings(path, environ={})
    assert len(settings.api.report_api_key) >= 40
    assert settings.server.listen == "127.0.0.1:8080"
    assert "keeping it" in run(capsys, "init", "--config", str(path))[1]
    assert load_settings(path, environ={}) == settings
