"""Report bodies against the upstream schema, and deploy-failure reasons, without HTTP."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from beskar7.api.physicalhost import InspectionReport
from beskar7.callback.reports import (
    FAILURE_PREFIX,
    MAX_REASON_CHARS,
    BodyError,
    envelope,
    failure_reason,
    parse_object,
    report_json,
    sanitize_reason,
    validate_report,
)
from tests.fixtures.callback import golden_report

RECEIVED = datetime(2025, 3, 1, 12, 0, 5, tzinfo=UTC)


def test_the_golden_report_is_accepted_and_stamped_with_the_receive_time() -> None:
    report = validate_report(golden_report(), RECEIVED)

    assert report.timestamp == RECEIVED
    assert sum(c.cores or 0 for c in report.cpus) == 64
    assert [m.capacity for m in report.memory] == ["32GiB"] * 4
    assert sum(d.size_gb or 0 for d in report.disks) == 1920
    assert report.nics[0].mac_address == "52:54:00:aa:bb:01"


def test_the_stored_json_reads_back_as_the_same_report() -> None:
    report = validate_report(golden_report(), RECEIVED)
    stored = json.loads(report_json(report))

    assert stored["timestamp"] == "2025-03-01T12:00:05Z"
    assert stored["disks"][0]["sizeGB"] == 960
    assert InspectionReport.model_validate(stored) == report


def test_a_timestamp_sent_by_the_client_is_replaced_and_envelope_fields_dropped() -> None:
    body = {**golden_report(), "timestamp": "1999-01-01T00:00:00Z"}
    body |= {"namespace": "lab", "hostName": "h1"}

    report = validate_report(body, RECEIVED)

    assert report.timestamp == RECEIVED
    assert "namespace" not in report_json(report)


def test_an_empty_report_is_valid() -> None:
    assert validate_report({}, RECEIVED).cpus == []


def _with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    body = golden_report()
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_with(("cpus", 0, "cores"), "many"), "cpus[0].cores: must be an integer"),
        (_with(("cpus", 1, "cores"), "8"), "cpus[1].cores: must be an integer"),
        (_with(("cpus", 0, "threads"), True), "cpus[0].threads: must be an integer"),
        (_with(("disks", 1, "sizeGB"), 1.5), "disks[1].sizeGB: must be an integer"),
        (_with(("disks", 0, "sizeGB"), -1), "disks[0].sizeGB: must not be negative"),
        (_with(("cpus", 0, "cores"), -4), "cpus[0].cores: must not be negative"),
        (_with(("memory", 0, "capacity"), 32), "memory[0].capacity: must be a string"),
        (_with(("nics", 0, "ipAddresses"), "10.0.0.5"), "nics[0].ipAddresses: must be a list"),
        (_with(("cpus",), {"cores": 4}), "cpus: must be a list"),
        (_with(("cpus", 0), "Xeon"), "cpus[0]: must be an object"),
        (_with(("manufacturer",), ["Dell"]), "manufacturer: must be a string"),
        (_with(("flavour",), "vanilla"), "flavour: unknown field"),
        (_with(("serial_number",), "x"), "serial_number: unknown field"),
    ],
)
def test_schema_violations_name_the_field(body: dict[str, Any], message: str) -> None:
    with pytest.raises(BodyError) as caught:
        validate_report(body, RECEIVED)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "body: must be JSON"),
        (b"{", "body: must be JSON"),
        (b'{"cores": NaN}', "body: must be JSON"),
        (b'{"a": Infinity}', "body: must be JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body: must be JSON"),
        (b"\xff\xfe", "body: must be JSON"),
        (b"[]", "body: must be a JSON object"),
        (b'"report"', "body: must be a JSON object"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(BodyError, match=message.replace("[", r"\[")):
        parse_object(raw)


def test_the_v04_envelope_names_the_host() -> None:
    assert envelope({"namespace": "lab", "hostName": "h1"}) == ("lab", "h1")
    with pytest.raises(BodyError, match="hostName: required"):
        envelope({"namespace": "lab"})
    with pytest.raises(BodyError, match="namespace: required"):
        envelope({"namespace": 3, "hostName": "h1"})


def test_reasons_are_printable_prefixed_and_capped() -> None:
    assert sanitize_reason("disk /dev/sda\nnot found\x1b[31m") == (
        FAILURE_PREFIX + "disk /dev/sda not found [31m"
    )
    assert sanitize_reason("  ") == FAILURE_PREFIX + "no reason given"
    long = sanitize_reason("x" * 10_000)
    assert len(long) == MAX_REASON_CHARS
    assert long.startswith(FAILURE_PREFIX)


def test_failure_bodies() -> None:
    assert failure_reason(b'{"reason": "kexec failed"}') == FAILURE_PREFIX + "kexec failed"
    assert failure_reason(b"") == FAILURE_PREFIX + "no reason given"
    assert failure_reason(b"{}") == FAILURE_PREFIX + "no reason given"
    with pytest.raises(BodyError, match="reason: must be a string"):
        failure_reason(b'{"reason": 7}')
    with pytest.raises(BodyError):
        failure_reason(b"kexec failed")


def test_a_provisioned_message_is_optional_printable_and_capped() -> None:
    from beskar7.callback.reports import provisioned_message

    assert provisioned_message(b"") is None
    assert provisioned_message(b"{}") is None
    assert provisioned_message(b'{"message": "  "}') is None
    assert provisioned_message(b'{"message": "up\\n\\u001b[1m ok"}') == "up [1m ok"
    assert provisioned_message(json.dumps({"message": "x" * 999}).encode()) == "x" * 256
    with pytest.raises(BodyError, match="message: must be a string"):
        provisioned_message(b'{"message": ["no"]}')
