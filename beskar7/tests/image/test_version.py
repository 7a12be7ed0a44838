"""Debian version ordering, checked against dpkg's rules."""

from __future__ import annotations

import pytest

from beskar7.image.version import compare, satisfies, sort_key

ORDERED = [
    ("1.0~rc1", "1.0"),
    ("1.0", "1.0a"),
    ("1.0", "1.0.1"),
    ("1.0-1", "1.0-2"),
    ("2.36-9+deb12u9", "2.36-9+deb12u14"),
    ("3.11.2-6+deb12u6", "3.11.2-6+deb12u9"),
    ("9.9", "1:0.1"),
    ("1.0~~", "1.0~"),
    ("6.1.158-1", "6.1.192-2"),
    ("1.2.13.dfsg-1", "1:1.2.13.dfsg-1"),
]


@pytest.mark.parametrize(("older", "newer"), ORDERED)
def test_order(older: str, newer: str) -> None:
    assert compare(older, newer) == -1
    assert compare(newer, older) == 1


def test_equal_spellings() -> None:
    assert compare("1.0", "0:1.0") == 0
    assert compare("1.0-0", "1.0") == 0


def test_satisfies_and_sort() -> None:
    assert satisfies("2.36-9+deb12u14", ">=", "2.34")
    assert not satisfies("2.36", "<<", "2.36")
    assert satisfies("1:12.2.0-14", "=", "1:12.2.0-14")
    assert sorted(["1.0", "1.0~rc1", "0.9"], key=sort_key) == ["0.9", "1.0~rc1", "1.0"]
    with pytest.raises(ValueError, match="operator"):
        satisfies("1", "~=", "1")
