"""Every Redfish test runs with DEBUG logging captured and must not log the BMC password."""

import base64
import logging
from collections.abc import Iterator

import pytest

from tests.fixtures.redfish import BMC_PASSWORD, BMC_USERNAME

FORBIDDEN = (
    BMC_PASSWORD,
    base64.b64encode(f"{BMC_USERNAME}:{BMC_PASSWORD}".encode()).decode(),
)


@pytest.fixture(autouse=True)
def no_credentials_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for secret in FORBIDDEN:
        assert secret not in logged
