"""Strict JSON for request bodies: only what can be stored and served back unchanged.

Python's ``json`` accepts things that break later (a lone surrogate ``"\\ud800"`` cannot be
encoded as UTF-8 when the report is served; ``NaN`` and ``1e999`` are not JSON to other
readers; duplicate keys silently keep the last one, so ``customer_id`` could say two things).
``loads`` refuses all of them up front, with messages that never quote the input.
"""

import json
import math
from typing import Any

MAX_DEPTH = 32  # objects and arrays nested deeper than this are refused
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


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


def _check(value: Any) -> None:
    """Depth and encodability of every string, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise JsonError(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _encodable(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonError("a string holds a lone surrogate (not valid Unicode)") from None


def loads(raw: bytes) -> Any:
    """Parse a request body, or raise JsonError saying what is wrong (never quoting it)."""
    text = _decode(raw)
    try:
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_constant, parse_float=_finite
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
    _check(value)
    return value


def dumps(value: Any) -> bytes:
    """The compact UTF-8 form the hub stores (keys in the order they were sent)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
