"""Strict JSON for request bodies: only what can be stored and served back unchanged.

Python's ``json`` accepts things that break later (a lone surrogate ``"\\ud800"`` cannot be
encoded as UTF-8 when the report is served; ``NaN`` and ``1e999`` are not JSON to other
readers; duplicate keys silently keep the last one, so ``customer_id`` could say two things).
``loads`` refuses all of them up front, with messages that never quote the input.

Every report passes through here, so the checks that walk the whole value run only when a cheap
scan of the text says they could fail: a surrogate can only come from a ``\\uD8xx``-style
escape (UTF-8 itself cannot carry one), and a float can only overflow with a long exponent or a
very long run of digits.
"""

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # objects and arrays nested deeper than this are refused
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTAINERS = frozenset({dict, list})
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_HUGE_NUMBER = re.compile(r"[eE][+-]?[0-9]{3}|[0-9]{300}")


class JsonError(ValueError):
    """The body is not acceptable JSON. ``unsupported_encoding`` means 415 rather than 400."""

    def __init__(self, message: str, *, unsupported_encoding: bool = False) -> None:
        super().__init__(message)
        self.unsupported_encoding = unsupported_encoding


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise JsonError("an object has the same key twice")
    return result


def _constant(_name: str) -> Any:
    raise JsonError("NaN and Infinity are not JSON numbers")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError("a number is out of range")
    return value


def _decode(raw: bytes) -> str:
    if raw.startswith(_BOMS) or raw.startswith(b"\x00\x00\xfe\xff"):
        raise JsonError("send UTF-8 without a byte-order mark", unsupported_encoding=True)
    if b"\x00" in raw[:4]:
        raise JsonError("send the body as UTF-8 (UTF-16/UTF-32 found)", unsupported_encoding=True)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonError("the body is not valid UTF-8") from None


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest (a scalar is 0), level by level without recursion;
    stops counting once past MAX_DEPTH. (``json`` builds exact dicts and lists, and most of a
    report's objects hold only scalars: the C-level ``isdisjoint`` skips those.)"""
    depth, level = 0, [value] if type(value) in _CONTAINERS else []
    while level and depth <= MAX_DEPTH:
        depth += 1
        children: list[Any] = []
        for item in level:
            values = item.values() if type(item) is dict else item
            if not _CONTAINERS.isdisjoint(map(type, values)):
                children += [child for child in values if type(child) in _CONTAINERS]
        level = children
    return depth


def loads(raw: bytes, *, lone_surrogates: bool = False) -> Any:
    """Parse a request body, or raise JsonError saying what is wrong (never quoting it).

    ``lone_surrogates=True`` lets them through for a caller that repairs them itself.
    """
    text = _decode(raw)
    huge = _HUGE_NUMBER.search(text) is not None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_constant,
            parse_float=_finite if huge else None,
        )
    except JsonError:
        raise
    except RecursionError:
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError:  # e.g. an integer literal longer than Python converts
        raise JsonError("malformed JSON: a number is too long") from None
    if _depth(value) > MAX_DEPTH:
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels")
    if not lone_surrogates and _SURROGATE_ESCAPE.search(text) is not None:
        dumps(value)  # raises on a lone surrogate; a correct pair decodes to one character
    return value


def dumps(value: Any) -> bytes:
    """The compact UTF-8 form the hub stores (keys in the order they were sent)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        raise JsonError("a string holds a lone surrogate (not valid Unicode)") from None


def parse(raw: bytes) -> tuple[Any, bytes]:
    """``loads``, and the bytes to store: the body as sent, which ``loads`` has shown to be
    UTF-8 JSON that reads back to the same value; JsonError for anything not storable."""
    return loads(raw), raw
