"""The sushy objects for one BMC: a connector with bounded timeouts and retries."""

from __future__ import annotations

import re
import warnings
from urllib.parse import urlsplit

import sushy
from sushy import auth as sushy_auth
from sushy import connector as sushy_connector
from sushy import exceptions as sushy_exc
from urllib3.exceptions import InsecureRequestWarning

from beskar7.redfish.address import ROOT_PREFIX
from beskar7.redfish.errors import RedfishProtocolError
from beskar7.redfish.models import Credentials


class BmcConnector(sushy_connector.Connector):  # type: ignore[misc]
    """A sushy Connector that fails fast: one transport attempt, at most one 5xx retry.

    Every request uses (connect, read) timeouts of `timeout` seconds. Skipping TLS verification
    silences urllib3's warning for this BMC's host only (sushy would silence it process-wide).
    """

    def __init__(self, base_url: str, *, verify: bool, timeout: float) -> None:
        # server_side_retries=1: sushy then makes a single transport attempt (no 2 s sleeps)
        # and retries a 5xx GET once, immediately (delay 0).
        super().__init__(
            base_url,
            verify=True,
            server_side_retries=1,
            server_side_retries_delay=0,
            default_request_timeout=timeout,
            connect_timeout=timeout,
        )
        if not verify:
            self._verify = False
            _silence_insecure_warning(urlsplit(base_url).hostname or "")


def _silence_insecure_warning(host: str) -> None:
    pattern = rf"Unverified HTTPS request is being made to host '\[?{re.escape(host)}\]?'"
    # filterwarnings de-duplicates identical filters, so repeated clients add nothing.
    warnings.filterwarnings("ignore", message=pattern, category=InsecureRequestWarning)


def open_root(
    base_url: str, credentials: Credentials, *, verify: bool, timeout: float
) -> tuple[BmcConnector, sushy.Sushy]:
    """Connect: GET the service root with basic auth (sessions are not used)."""
    conn = BmcConnector(base_url, verify=verify, timeout=timeout)
    conn.set_http_basic_auth(credentials.username, credentials.password)
    root = None
    try:
        root = sushy.Sushy(
            base_url,
            root_prefix=ROOT_PREFIX,
            auth=sushy_auth.BasicAuth(credentials.username, credentials.password),
            connector=conn,
        )
    except sushy_exc.ResourceNotFoundError:
        pass  # raised below, outside this block, so no sushy text rides along as __context__
    finally:
        if root is None:
            conn.close()
    if root is None:
        raise RedfishProtocolError(
            f"BMC at {base_url} does not serve Redfish (HTTP 404 for {ROOT_PREFIX})",
            status_code=404,
        )
    return conn, root
