import time

import pytest

from felhom_hub.web.sessions import LIFETIME, SessionCodec, load_or_create_key

KEY = b"k" * 32


def test_a_login_survives_the_round_trip() -> None:
    codec = SessionCodec(KEY, "$argon2id$one")
    session = codec.new(logged_in=True)
    loaded = codec.load(codec.dump(session))
    assert loaded == session


def test_a_changed_password_hash_ends_every_session() -> None:
    cookie = SessionCodec(KEY, "$argon2id$one").dump(SessionCodec(KEY, "x").new(logged_in=True))
    loaded = SessionCodec(KEY, "$argon2id$two").load(cookie)
    assert loaded is not None and not loaded.logged_in


def test_forged_or_foreign_cookies_are_ignored() -> None:
    codec = SessionCodec(KEY, "h")
    cookie = codec.dump(codec.new(logged_in=True))
    assert SessionCodec(b"o" * 32, "h").load(cookie) is None
    assert codec.load(cookie[:-2] + "xx") is None
    assert codec.load("") is None
    assert codec.load("garbage") is None


def test_a_session_expires_after_seven_days(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = SessionCodec(KEY, "h")
    cookie = codec.dump(codec.new(logged_in=True))
    later = time.time() + LIFETIME.total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert codec.load(cookie) is None


def test_csrf_tokens_are_bound_to_the_session() -> None:
    codec = SessionCodec(KEY, "h")
    one, two = codec.new(logged_in=True), codec.new(logged_in=True)
    assert codec.csrf_ok(one, codec.csrf_token(one))
    assert not codec.csrf_ok(two, codec.csrf_token(one))
    assert not codec.csrf_ok(one, "")


def test_the_key_file_is_created_private_and_then_reused(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "session.key"  # type: ignore[operator]
    key = load_or_create_key(path)
    assert len(key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path) == key


def test_a_short_key_file_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "session.key"  # type: ignore[operator]
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        load_or_create_key(path)
