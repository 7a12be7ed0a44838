"""Kubernetes label selectors: parse the string form or equality pairs, match label maps.

Supported syntax (as `kubectl -l` accepts it, comma-joined requirements, all must hold):
`a=b`, `a==b`, `a!=b`, `a` (exists), `!a` (absent), `a in (x,y)`, `a notin (x)`.
`!=` and `notin` also match objects without the label, as in Kubernetes.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from beskar7.store.protocol import LabelSelector

Operator = Literal["=", "!=", "in", "notin", "exists", "!"]

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_KEY_RE = re.compile(rf"({_PREFIX}/)?{_NAME}")
_VALUE_RE = re.compile(rf"({_NAME})?")
_TOKEN_RE = re.compile(r"\s*(==|!=|=|!|\(|\)|,|[^\s,=!()]+)")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return present
            case "!":
                return not present
            case "=" | "in":
                return present and value in self.values
            case _:  # "!=" and "notin"
                return not present or value not in self.values

    def __str__(self) -> str:
        match self.operator:
            case "exists":
                return self.key
            case "!":
                return f"!{self.key}"
            case "=" | "!=":
                return f"{self.key}{self.operator}{self.values[0]}"
            case _:
                return f"{self.key} {self.operator} ({','.join(sorted(self.values))})"


@dataclass(frozen=True)
class Selector:
    """A parsed selector: all requirements must match (an empty one matches everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _check_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if not _KEY_RE.fullmatch(key) or len(prefix) > 253 or len(name) > 63:
        raise ValueError(f"invalid label key {key!r}")
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE_RE.fullmatch(value):
        raise ValueError(f"invalid label value {value!r}")
    return value


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        m = _TOKEN_RE.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-blank character
            raise ValueError(f"cannot parse selector at {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


_SYMBOLS = frozenset({"==", "!=", "=", "!", "(", ")", ","})


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def error(self, message: str) -> ValueError:
        return ValueError(f"{message} in selector {self.text!r}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        self.pos += 1
        return token

    def word(self, what: str) -> str:
        token = self.take()
        if token in _SYMBOLS:
            raise self.error(f"expected {what}, found {token!r}")
        return token

    def selector(self) -> Selector:
        requirements: list[Requirement] = []
        if self.peek() is None:
            return Selector()
        while True:
            requirements.append(self.requirement())
            token = self.peek()
            if token is None:
                return Selector(tuple(requirements))
            if self.take() != ",":
                raise self.error(f"expected ',' after {requirements[-1]}")

    def requirement(self) -> Requirement:
        if self.peek() == "!":
            self.take()
            return Requirement(_check_key(self.word("a label key")), "!")
        key = _check_key(self.word("a label key"))
        token = self.peek()
        if token is None or token == ",":
            return Requirement(key, "exists")
        op = self.take()
        if op in ("=", "==", "!="):
            return Requirement(key, "!=" if op == "!=" else "=", (self.value(),))
        if op == "in":
            return Requirement(key, "in", self.value_set())
        if op == "notin":
            return Requirement(key, "notin", self.value_set())
        raise self.error(f"unknown operator {op!r}")

    def value(self) -> str:
        token = self.peek()
        if token is None or token == ",":
            return ""  # `a=` selects an empty value, as Kubernetes allows
        return _check_value(self.word("a label value"))

    def value_set(self) -> tuple[str, ...]:
        if self.take() != "(":
            raise self.error("expected '(' after in/notin")
        values: list[str] = []
        while True:
            if self.peek() in (",", ")"):
                values.append("")
            else:
                values.append(_check_value(self.word("a label value")))
            token = self.take()
            if token == ")":
                break
            if token != ",":
                raise self.error("expected ',' or ')' in a value set")
        if values == [""]:
            raise self.error("empty value set")
        return tuple(dict.fromkeys(values))


def parse(selector: LabelSelector | Selector) -> Selector:
    """A `Selector` from its string form, equality pairs, or None (matches everything)."""
    if selector is None:
        return Selector()
    if isinstance(selector, Selector):
        return selector
    if isinstance(selector, str):
        return _Parser(selector).selector()
    return Selector(
        tuple(
            Requirement(_check_key(k), "=", (_check_value(v),)) for k, v in sorted(selector.items())
        )
    )


def matches(selector: LabelSelector | Selector, labels: Mapping[str, str]) -> bool:
    return parse(selector).matches(labels)


def to_string(selector: LabelSelector | Selector) -> str:
    """The canonical string form (what a Kubernetes `labelSelector` query parameter takes)."""
    return str(parse(selector))
