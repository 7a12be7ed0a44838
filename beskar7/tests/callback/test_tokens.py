"""Token minting, hashing, the annotation record and verification, on a fake clock."""

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from beskar7.callback.tokens import (
    TokenRecord,
    bearer_token,
    hash_token,
    issue,
    mint_token,
    parse_record,
    verify,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_tokens_are_32_random_bytes_base64url_without_padding() -> None:
    minted = {mint_token() for _ in range(50)}

    assert len(minted) == 50
    for token in minted:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_only_the_sha256_hex_is_recorded_with_issue_and_expiry() -> None:
    token, record = issue(NOW, 600)

    assert record.hash == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert token not in record.to_annotation()
    assert record.issued_at == NOW
    assert record.expires_at == NOW + timedelta(seconds=600)
    assert json.loads(record.to_annotation()) == {
        "hash": record.hash,
        "issuedAt": "2025-03-01T12:00:00Z",
        "expiresAt": "2025-03-01T12:10:00Z",
    }


def test_the_annotation_round_trips() -> None:
    _, record = issue(NOW + timedelta(microseconds=250), 90.5)

    assert parse_record(record.to_annotation()) == record


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "not json",
        "[]",
        '{"hash": "ab"}',
        '{"hash": "ab", "issuedAt": "yesterday", "expiresAt": "2025-03-01T12:10:00Z"}',
        '{"hash": "ab", "issuedAt": "2025-03-01T12:00:00", "expiresAt": "2025-03-01T12:10:00"}',
    ],
)
def test_unreadable_records_read_as_none(text: str | None) -> None:
    assert parse_record(text) is None


def test_the_current_token_verifies_until_it_expires() -> None:
    token, record = issue(NOW, 600)

    assert verify(token, record, NOW)
    assert verify(token, record, NOW + timedelta(seconds=599))
    assert not verify(token, record, NOW + timedelta(seconds=600))
    assert not verify(token, record, NOW + timedelta(days=1))


def test_anything_else_fails() -> None:
    token, record = issue(NOW, 600)
    other, other_record = issue(NOW, 600)

    assert not verify(other, record, NOW)
    assert not verify(token, other_record, NOW)
    assert not verify(None, record, NOW)
    assert not verify("", record, NOW)
    assert not verify(token, None, NOW)
    assert not verify(None, None, NOW)
    assert not verify(record.hash, record, NOW)  # the stored hash is not a token
    forged = TokenRecord(hash_token(""), NOW, NOW + timedelta(hours=1))
    assert not verify(None, forged, NOW)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Bearer   abc  ", "abc"),
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic abc", None),
        ("abc", None),
        ("Bearer abc def", None),
    ],
)
def test_bearer_tokens_are_read_from_the_authorization_header(
    header: str | None, expected: str | None
) -> None:
    assert bearer_token(header) == expected
