"""The seed's pure parts: single-use secrets, formats, meta-data rendering."""

from datetime import UTC, datetime, timedelta

import pytest
from ruamel.yaml import YAML

from beskar7.callback import seed
from beskar7.callback.seed import DataFormat, SeedDocument

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_secret_serves_each_document_once_until_it_expires() -> None:
    secret, record = seed.issue(NOW, 60)
    assert len(secret) == 43 and secret not in record.to_annotation()

    assert seed.may_serve(secret, record, SeedDocument.USER_DATA, NOW)
    served = record.serving(SeedDocument.USER_DATA)
    assert not seed.may_serve(secret, served, SeedDocument.USER_DATA, NOW)
    assert seed.may_serve(secret, served, SeedDocument.META_DATA, NOW)
    assert not seed.may_serve(secret, record, SeedDocument.USER_DATA, NOW + timedelta(seconds=60))
    assert not seed.may_serve(secret + "x", record, SeedDocument.USER_DATA, NOW)
    assert not seed.may_serve(secret, None, SeedDocument.USER_DATA, NOW)


def test_the_record_round_trips_through_its_annotation() -> None:
    _, record = seed.issue(NOW, 900)
    served = record.serving(SeedDocument.META_DATA)

    assert seed.parse_record(served.to_annotation()) == served


@pytest.mark.parametrize(
    "text",
    [None, "", "not json", "[]", '{"hash": "x"}', '{"hash":"x","issuedAt":"2026-01-02T03:04:05",'
     '"expiresAt":"2026-01-02T03:04:05"}'],
)  # fmt: skip
def test_unreadable_records_read_as_none(text: str | None) -> None:
    assert seed.parse_record(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, DataFormat.CLOUD_CONFIG), (b"cloud-config", DataFormat.CLOUD_CONFIG),
     (b"ignition\n", DataFormat.IGNITION)],
)  # fmt: skip
def test_the_secret_format_defaults_to_cloud_config(
    value: bytes | None, expected: DataFormat
) -> None:
    assert seed.data_format(value) == expected


def test_an_unknown_format_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(seed.FormatError, match="cloud-config, ignition"):
        seed.data_format(b"mime-multipart")


def test_the_seed_url_is_a_directory_with_each_segment_encoded() -> None:
    url = seed.seed_url("http://10.0.2.2:8082", "ns", "host-1", "s3cr3t")
    assert url == "http://10.0.2.2:8082/api/v1/seed/ns/host-1/s3cr3t/"


def test_meta_data_is_yaml_a_nocloud_reader_understands() -> None:
    text = seed.MetaData(
        instance_id="uid-1",
        namespace="ns",
        host="h: 1",
        report_url="http://api/api/v1/provisioned/ns/h",
        report_token="tok",
    ).render()

    assert YAML(typ="safe").load(text) == {
        "instance-id": "uid-1",
        "local-hostname": "h: 1",
        "name": "h: 1",
        "provider-id": "b7://ns/h: 1",
        "providerid": "b7://ns/h: 1",
        "beskar7-report-url": "http://api/api/v1/provisioned/ns/h",
        "beskar7-report-token": "tok",
    }


@pytest.mark.parametrize("lifetime", [0.0, -1.0])
def test_a_seed_lifetime_that_is_not_positive_is_refused(lifetime: float) -> None:
    from beskar7.callback.settings import CallbackSettings

    with pytest.raises(ValueError, match="seed lifetime must be positive"):
        CallbackSettings(seed_lifetime=lifetime)
    assert CallbackSettings().seed_lifetime == 900.0
