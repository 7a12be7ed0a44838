"""Addresses, address classification and error translation, without any peer."""

from __future__ import annotations

import socket

import pytest
import requests
from sushy import exceptions as sushy_exc

from beskar7.redfish import (
    BmcAddress,
    Credentials,
    NetworkAddress,
    RedfishConnectionError,
    parse_address,
)
from beskar7.redfish.errors import translate


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("https://10.0.0.5", BmcAddress("https://10.0.0.5", None)),
        ("https://10.0.0.5:8443/", BmcAddress("https://10.0.0.5:8443", None)),
        ("10.0.0.5", BmcAddress("https://10.0.0.5", None)),
        ("http://bmc.lab:8000/redfish/v1", BmcAddress("http://bmc.lab:8000", None)),
        (
            "https://10.0.0.5/redfish/v1/Systems/System.Embedded.1/",
            BmcAddress("https://10.0.0.5", "/redfish/v1/Systems/System.Embedded.1"),
        ),
        (
            "https://root:calvin@[fd00::5]:443/redfish/v1/Systems/1",
            BmcAddress("https://[fd00::5]:443", "/redfish/v1/Systems/1"),
        ),
    ],
)
def test_parse_address(address: str, expected: BmcAddress) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize(
    "address",
    [
        "ftp://10.0.0.5",
        "https://",
        "https://10.0.0.5:notaport",
        "https://root:calvin@10.0.0.5/redfish/v1/Managers/1",
        "https://10.0.0.5/redfish/v1/Systems/1/Bios",
    ],
)
def test_invalid_addresses_are_connection_errors_without_userinfo(address: str) -> None:
    with pytest.raises(RedfishConnectionError) as caught:
        parse_address(address)
    assert "invalid BMC address" in str(caught.value)
    assert "calvin" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1.2.3", NetworkAddress("InternalIP", "10.1.2.3")),
        ("192.168.0.9", NetworkAddress("InternalIP", "192.168.0.9")),
        ("127.0.0.1", NetworkAddress("InternalIP", "127.0.0.1")),
        ("169.254.0.7", NetworkAddress("InternalIP", "169.254.0.7")),
        ("fe80::1%eth0", NetworkAddress("InternalIP", "fe80::1")),
        ("fd12::1", NetworkAddress("InternalIP", "fd12::1")),
        ("8.8.8.8", NetworkAddress("ExternalIP", "8.8.8.8")),
        (" 2606:4700::1111 ", NetworkAddress("ExternalIP", "2606:4700::1111")),
        ("0.0.0.0", None),
        ("::", None),
        ("", None),
        ("bmc.example", None),
    ],
)
def test_classify(text: str, expected: NetworkAddress | None) -> None:
    assert NetworkAddress.classify(text) == expected


def test_credentials_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(Credentials("admin", "hunter2"))


def wrapped(transport: BaseException) -> sushy_exc.ConnectionError:
    """What sushy raises: its ConnectionError, raised while handling the requests error."""
    try:
        try:
            raise transport
        except BaseException as inner:
            raise sushy_exc.ConnectionError(url="https://bmc", error=inner) from None
    except sushy_exc.ConnectionError as outer:
        outer.__context__ = transport
        return outer


def test_unresolvable_host_maps_to_connection_error() -> None:
    cause = requests.exceptions.ConnectionError("Max retries exceeded")
    cause.__context__ = socket.gaierror(-2, "Name or service not known")
    err = translate(wrapped(cause), "https://bmc", "reading", timeout=5, secrets=())
    assert isinstance(err, RedfishConnectionError)
    assert str(err) == "cannot resolve the host of BMC at https://bmc"


def test_bmc_messages_are_scrubbed_of_the_password() -> None:
    class Answer:
        status_code = 400

        def json(self) -> object:
            return {"error": {"message": "bad password s3cret for user admin"}}

    exc = sushy_exc.BadRequestError("PATCH", "https://bmc/x", Answer())
    err = translate(exc, "https://bmc", "setting boot", timeout=5, secrets=("s3cret",))
    assert "s3cret" not in str(err)
    assert "bad password *** for user admin" in str(err)
    assert err.status_code == 400
