"""Debian version comparison, as dpkg does it (`dpkg --compare-versions`)."""

from __future__ import annotations

import functools
import re

_DIGITS = re.compile(r"\d*")
_NON_DIGITS = re.compile(r"\D*")


def _order(char: str) -> int:
    """dpkg's weight of one character of the non-digit part: ~ sorts before everything."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left: str, right: str) -> int:
    """Compare an upstream version or a revision: alternating non-digit and digit runs."""
    while left or right:
        left_text = _NON_DIGITS.match(left).group()  # type: ignore[union-attr]
        right_text = _NON_DIGITS.match(right).group()  # type: ignore[union-attr]
        left, right = left[len(left_text) :], right[len(right_text) :]
        for index in range(max(len(left_text), len(right_text))):
            a = _order(left_text[index]) if index < len(left_text) else 0
            b = _order(right_text[index]) if index < len(right_text) else 0
            if a != b:
                return -1 if a < b else 1
        left_number = _DIGITS.match(left).group()  # type: ignore[union-attr]
        right_number = _DIGITS.match(right).group()  # type: ignore[union-attr]
        left, right = left[len(left_number) :], right[len(right_number) :]
        a, b = int(left_number or 0), int(right_number or 0)
        if a != b:
            return -1 if a < b else 1
    return 0


def _split(version: str) -> tuple[int, str, str]:
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return int(epoch or 0), upstream, revision


def compare(left: str, right: str) -> int:
    """-1, 0 or 1 as `left` is older than, equal to or newer than `right`."""
    left_epoch, left_upstream, left_revision = _split(left)
    right_epoch, right_upstream, right_revision = _split(right)
    if left_epoch != right_epoch:
        return -1 if left_epoch < right_epoch else 1
    return _compare_part(left_upstream, right_upstream) or _compare_part(
        left_revision, right_revision
    )


def satisfies(version: str, operator: str, wanted: str) -> bool:
    """Whether `version` meets a Depends constraint such as `>= 2.36`."""
    order = compare(version, wanted)
    checks = {
        "<<": order < 0,
        "<=": order <= 0,
        "=": order == 0,
        ">=": order >= 0,
        ">>": order > 0,
        "<": order <= 0,  # obsolete spellings, as dpkg reads them
        ">": order >= 0,
    }
    if operator not in checks:
        raise ValueError(f"unknown version operator {operator!r}")
    return checks[operator]


sort_key = functools.cmp_to_key(compare)
