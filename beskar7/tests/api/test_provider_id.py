"""Provider IDs are `b7://<namespace>/<host>`, and nothing else parses."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beskar7.api.machine import (
    PROVIDER_ID_PREFIX,
    ProviderIDError,
    format_provider_id,
    parse_provider_id,
)

names = st.from_regex(r"[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?", fullmatch=True)


def test_format_and_parse() -> None:
    assert PROVIDER_ID_PREFIX == "b7://"
    assert format_provider_id("metal", "server-07") == "b7://metal/server-07"
    assert parse_provider_id("b7://metal/server-07") == ("metal", "server-07")


@given(namespace=names, host=names)
def test_parse_inverts_format(namespace: str, host: str) -> None:
    assert parse_provider_id(format_provider_id(namespace, host)) == (namespace, host)


@pytest.mark.parametrize(
    "bad",
    [
        "metal/server-07",
        "metal3://metal/server-07",
        "B7://metal/server-07",
        "b7://",
        "b7://metal",
        "b7://metal/",
        "b7:///server-07",
        "b7://metal/server-07/",
        "b7://metal/rack/server-07",
        "",
    ],
)
def test_parse_rejects_malformed_ids(bad: str) -> None:
    with pytest.raises(ProviderIDError):
        parse_provider_id(bad)


@pytest.mark.parametrize(("namespace", "host"), [("", "h"), ("ns", ""), ("a/b", "h"), ("ns", "h/")])
def test_format_rejects_what_parse_would_reject(namespace: str, host: str) -> None:
    with pytest.raises(ProviderIDError):
        format_provider_id(namespace, host)
