"""``storage.url``: which engine, where the password comes from, and that it never shows."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from felhom_hub.cli import main
from felhom_hub.config import ConfigError, load_settings
from felhom_hub.storage import open_database
from felhom_hub.store import customers
from felhom_hub.web.guard import shared_keys_refusal
from tests import pg_server
from tests.hub_process import free_port

SECRET = "s3cret-db-password-9876"


def test_no_url_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, {"FELHOM_HUB_SERVER_DATA_DIR": str(tmp_path)})
    db = open_database(settings.storage, settings.server.data_dir)
    assert db.kind == "sqlite" and db.path == tmp_path / "hub.db"
    db.dispose()


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/other.db"
    settings = load_settings(None, {"FELHOM_HUB_STORAGE_URL": url})
    db = open_database(settings.storage, tmp_path / "unused")
    assert db.kind == "sqlite" and db.path == tmp_path / "other.db"
    db.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql://hub:{SECRET}@db.example/hub", "must not hold a password"),
        ("mysql://hub@db.example/hub", "unsupported engine"),
        ("postgresql+asyncpg://hub@db.example/hub", "unsupported engine"),
        ("postgresql://hub@db.example", "names no database"),
        ("not a url", "not a database URL"),
    ],
)
def test_a_bad_url_is_refused_naming_the_variable_not_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(None, {"FELHOM_HUB_STORAGE_URL": url})
    assert says in str(raised.value)
    assert "FELHOM_HUB_STORAGE_URL" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_the_password_comes_from_the_environment_and_stays_hidden(
    postgres_server: pg_server.PostgresServer,
) -> None:
    environ = {
        "FELHOM_HUB_STORAGE_URL": postgres_server.url(postgres_server.new_database()),
        "FELHOM_HUB_STORAGE_PASSWORD": pg_server.PASSWORD,
    }
    settings = load_settings(None, environ)
    assert pg_server.PASSWORD not in repr(settings) and pg_server.PASSWORD not in str(settings)
    db = open_database(settings.storage, Path("/nonexistent"))
    assert db.kind == "postgresql" and db.migrate()  # connected with it
    assert pg_server.PASSWORD not in db.describe()
    db.dispose()


def test_the_password_comes_from_a_file(
    postgres_server: pg_server.PostgresServer, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(pg_server.PASSWORD + "\n")  # as `kubectl create secret` or echo leave it
    environ = {
        "FELHOM_HUB_STORAGE_URL": postgres_server.url(postgres_server.new_database()),
        "FELHOM_HUB_STORAGE_PASSWORD_FILE": str(secret),
    }
    db = open_database(load_settings(None, environ).storage, tmp_path)
    assert db.migrate()
    db.dispose()


def test_an_unreadable_password_file_is_a_clear_error(tmp_path: Path) -> None:
    environ = {
        "FELHOM_HUB_STORAGE_URL": "postgresql://hub@127.0.0.1/hub",
        "FELHOM_HUB_STORAGE_PASSWORD_FILE": str(tmp_path / "missing"),
    }
    with pytest.raises(ValueError, match=r"storage\.password_file .*cannot read"):
        open_database(load_settings(None, environ).storage, tmp_path)


def test_replicas_must_be_given_the_same_keys(tmp_path: Path) -> None:
    base = {"FELHOM_HUB_STORAGE_URL": "postgresql://hub@127.0.0.1/hub"}
    refusal = shared_keys_refusal(load_settings(None, base))
    assert refusal is not None
    assert "auth.session_secret_file" in refusal and "configs.secret_keys" in refusal
    keyed = {
        **base,
        "FELHOM_HUB_AUTH_SESSION_SECRET_FILE": str(tmp_path / "session.key"),
        "FELHOM_HUB_CONFIGS_SECRET_KEYS": "x" * 43 + "=",
    }
    assert shared_keys_refusal(load_settings(None, keyed)) is None
    assert shared_keys_refusal(load_settings(None, {})) is None  # SQLite: keys in data_dir


def _serve_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    key = tmp_path / "session.key"
    key.write_bytes(b"k" * 32)
    monkeypatch.setenv("FELHOM_HUB_STORAGE_URL", url)
    monkeypatch.setenv("FELHOM_HUB_STORAGE_PASSWORD", SECRET)
    monkeypatch.setenv("FELHOM_HUB_AUTH_SESSION_SECRET_FILE", str(key))
    monkeypatch.setenv("FELHOM_HUB_CONFIGS_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("FELHOM_HUB_SERVER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FELHOM_HUB_SERVER_LISTEN", f"127.0.0.1:{free_port()}")


def test_serve_on_an_unreachable_server_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve_env(monkeypatch, tmp_path, f"postgresql://hub@127.0.0.1:{free_port()}/hub")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "database server does not answer" in err and "postgresql://hub@127.0.0.1" in err
    assert "Traceback" not in err and SECRET not in err


def test_serve_on_postgresql_refuses_without_shared_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve_env(monkeypatch, tmp_path, "postgresql://hub@127.0.0.1/hub")
    monkeypatch.delenv("FELHOM_HUB_AUTH_SESSION_SECRET_FILE")
    assert main(["serve"]) == 1
    assert "auth.session_secret_file" in capsys.readouterr().err


def test_the_commands_work_on_postgresql(
    postgres_server: pg_server.PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _serve_env(monkeypatch, tmp_path, postgres_server.url(postgres_server.new_database()))
    monkeypatch.setenv("FELHOM_HUB_STORAGE_PASSWORD", pg_server.PASSWORD)
    assert main(["migrate"]) == 0
    assert "applied: 0006_schema.sql" in capsys.readouterr().out
    assert main(["customer", "create", "acme"]) == 0
    assert main(["customer", "block", "acme"]) == 0
    db = open_database(load_settings(None).storage, tmp_path)
    with db.read() as conn:
        found = customers.get(conn, customer_id="acme")
    assert found is not None and found.blocked
    db.dispose()
    assert not (tmp_path / "hub.db").exists()  # nothing went to SQLite
