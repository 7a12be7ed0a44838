import bcrypt

from felhom_hub.secrets import hash_password, new_token, same, token_hash, verify_password


def test_new_password_hashes_are_argon2_and_verify() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("wrong horse", hashed)


def test_bcrypt_hashes_from_the_go_hub_still_verify() -> None:
    go_style = bcrypt.hashpw(b"legacy-pass", bcrypt.gensalt(rounds=4)).decode()
    go_style = "$2a$" + go_style[4:]  # Go's x/crypto/bcrypt writes the $2a$ prefix
    assert verify_password("legacy-pass", go_style)
    assert not verify_password("other", go_style)


def test_malformed_hash_or_overlong_password_is_a_plain_no() -> None:
    assert not verify_password("x", "$2a$not-a-hash")
    go_style = bcrypt.hashpw(b"p", bcrypt.gensalt(rounds=4)).decode()
    assert not verify_password("p" * 100, go_style)


def test_tokens_are_unique_and_hash_stably() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert token_hash(a) == token_hash(a) != token_hash(b)
    assert same(a, a) and not same(a, b)
