"""strictjson: what is refused, and that the fast paths agree with the full checks."""

import json

import pytest

from felhom_hub import strictjson
from felhom_hub.strictjson import MAX_DEPTH, JsonError


def nested(levels: int) -> bytes:
    return (b"[" * levels) + (b"]" * levels)


def test_parse_returns_the_body_as_sent() -> None:
    raw = b'{ "a" : [1, 2.5, "x"],\n "b": {"c": null} }'
    value, stored = strictjson.parse(raw)
    assert stored is raw
    assert json.loads(stored) == value == {"a": [1, 2.5, "x"], "b": {"c": None}}


@pytest.mark.parametrize(
    ("levels", "accepted"), [(MAX_DEPTH, True), (MAX_DEPTH + 1, False), (300, False)]
)
def test_depth_bound_is_exact(levels: int, accepted: bool) -> None:
    if accepted:
        strictjson.loads(nested(levels))
    else:
        with pytest.raises(JsonError, match="nested deeper"):
            strictjson.loads(nested(levels))


def test_depth_is_found_below_objects_of_scalars() -> None:
    # root, "c", "d", the object in "d": 4 levels, then 29 more = 33
    raw = b'{"a": 1, "b": "x", "c": {"d": [1, 2, {"e": %s}]}}' % nested(MAX_DEPTH - 3)
    with pytest.raises(JsonError, match="nested deeper"):
        strictjson.loads(raw)
    strictjson.loads(raw.replace(b"[[", b"[", 1).replace(b"]]", b"]", 1))


@pytest.mark.parametrize(
    "text",
    [
        '{"x": "\\ud800"}',
        '{"x": "ok \\uDBFF tail"}',
        '{"x": "\\udc00\\ud800"}',  # a low then a high half is not a pair
        '{"\\ud800": 1}',
    ],
)
def test_lone_surrogates_are_refused(text: str) -> None:
    with pytest.raises(JsonError, match="surrogate"):
        strictjson.loads(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        '{"x": "\\ud83d\\ude00"}',  # a correct pair: one emoji
        '{"x": "\\\\ud800"}',  # an escaped backslash, then plain letters
        '{"x": "\\u00e9\\u0041"}',
    ],
)
def test_surrogate_lookalikes_are_accepted(text: str) -> None:
    assert strictjson.loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize(
    "number", ["1e999", "1E+400", "-2e309", "1" * 320 + ".0", "9" * 309 + "e0"]
)
def test_floats_that_overflow_are_refused(number: str) -> None:
    with pytest.raises(JsonError, match="out of range"):
        strictjson.loads(f'{{"x": {number}}}'.encode())


@pytest.mark.parametrize("number", ["1e308", "1.5e-300", "0.1", "1e100", "123456789012345"])
def test_finite_numbers_are_kept(number: str) -> None:
    assert strictjson.loads(f'{{"x": {number}}}'.encode()) == {"x": json.loads(number)}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_refused(literal: str) -> None:
    with pytest.raises(JsonError, match="NaN and Infinity"):
        strictjson.loads(f'{{"x": {literal}}}'.encode())


def test_duplicate_keys_are_refused_at_any_depth() -> None:
    with pytest.raises(JsonError, match="same key twice"):
        strictjson.loads(b'{"a": {"b": 1, "b": 2}}')


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("{}".encode("utf-8-sig"), True),
        ("{}".encode("utf-16"), True),
        ("{}".encode("utf-32"), True),
        (b'{"x": "\xff"}', False),
        (b'{"x": "\xed\xa0\x80"}', False),  # a surrogate encoded in UTF-8 bytes
    ],
)
def test_encodings(raw: bytes, encoding: bool) -> None:
    with pytest.raises(JsonError) as caught:
        strictjson.loads(raw)
    assert caught.value.unsupported_encoding is encoding


def test_no_message_quotes_the_input() -> None:
    secret = "s3cr3t-value"
    for raw in (f'{{"{secret}": 1, "{secret}": 2}}', f'{{"x": "{secret}"', f'["{secret}", NaN]'):
        with pytest.raises(JsonError) as caught:
            strictjson.loads(raw.encode())
        assert secret not in str(caught.value)
