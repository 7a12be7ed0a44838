"""Async Redfish facade over sushy: power, one-time PXE boot, system facts, addresses.

Every call runs in a worker thread with a timeout; every failure is a `RedfishError` with a
short, credential-free message and an `error_type` (an `ErrorType`: auth, connection, timeout,
protocol, unsupported, not_found).
"""

from beskar7.redfish.address import BmcAddress, parse_address
from beskar7.redfish.client import RedfishClient, RedfishConnect
from beskar7.redfish.errors import (
    REACHING_THE_BMC,
    ErrorType,
    RedfishAuthError,
    RedfishConnectionError,
    RedfishError,
    RedfishNotFoundError,
    RedfishProtocolError,
    RedfishTimeoutError,
    RedfishUnsupportedError,
)
from beskar7.redfish.models import (
    EXTERNAL_IP,
    INTERNAL_IP,
    Credentials,
    NetworkAddress,
    PowerOperation,
    PowerState,
    SystemInfo,
)

__all__ = [
    "EXTERNAL_IP",
    "INTERNAL_IP",
    "REACHING_THE_BMC",
    "BmcAddress",
    "Credentials",
    "ErrorType",
    "NetworkAddress",
    "PowerOperation",
    "PowerState",
    "RedfishAuthError",
    "RedfishClient",
    "RedfishConnect",
    "RedfishConnectionError",
    "RedfishError",
    "RedfishNotFoundError",
    "RedfishProtocolError",
    "RedfishTimeoutError",
    "RedfishUnsupportedError",
    "SystemInfo",
    "parse_address",
]
