from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from felhom_hub.configs.vault import SealedError, Vault, is_sealed, load_or_create_key, vault_for
from tests.conftest import make_settings


def test_sealed_text_opens_and_hides_the_plaintext() -> None:
    vault = Vault([Fernet.generate_key()])
    token = vault.seal_text("restic-password-1")
    assert is_sealed(token) and "restic" not in token
    assert vault.open_text(token) == "restic-password-1"


def test_rotation_new_key_first_old_still_opens() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = Vault([old]).seal_text("s")
    both = Vault([new, old])
    assert both.open_text(token) == "s" and both.key_id != Vault([old]).key_id
    with pytest.raises(SealedError):
        Vault([new]).open_text(token)
    rotated = both.rotate(token)
    assert Vault([new]).open_text(rotated) == "s"


def test_a_missing_key_is_a_clear_error_without_the_value() -> None:
    token = Vault([Fernet.generate_key()]).seal_text("top-secret")
    with pytest.raises(SealedError) as caught:
        Vault([Fernet.generate_key()]).open_text(token)
    assert "top-secret" not in str(caught.value)


def test_without_configured_keys_a_key_file_is_created_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    token = vault_for(settings).seal_text("x")
    key_file = tmp_path / "config.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert vault_for(settings).open_text(token) == "x"  # the same key read back


def test_configured_keys_win_over_the_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = make_settings(tmp_path, configs={"secret_keys": key})
    token = vault_for(settings).seal_text("y")
    assert Vault([key.encode()]).open_text(token) == "y"
    assert not (tmp_path / "config.key").exists()


def test_a_bad_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "k").write_bytes(b"not a key")
    with pytest.raises(ValueError):
        load_or_create_key(tmp_path / "k")
