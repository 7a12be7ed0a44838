"""Table columns: values from printer-column JSON paths, ages as kubectl prints them."""

from datetime import UTC, datetime, timedelta

import pytest

from beskar7.api import kinds
from beskar7.api.columns import (
    Column,
    JSONPathError,
    columns,
    human_duration,
    lookup,
    parse_json_path,
)
from beskar7.api.kinds import Obj
from tests.api import manifests

NOW = datetime(2025, 11, 27, 12, 0, 0, tzinfo=UTC)


def row(kind: kinds.Kind, obj: Obj, now: datetime = NOW) -> dict[str, str]:
    return {c.name: c.value(obj, now) for c in columns(kind)}


def test_json_path_parsing() -> None:
    assert parse_json_path(".status.ready") == ["status", "ready"]
    assert parse_json_path(r".metadata.labels.cluster\.x-k8s\.io/cluster-name") == [
        "metadata",
        "labels",
        "cluster.x-k8s.io/cluster-name",
    ]
    assert parse_json_path(".status.addresses[0].address") == ["status", "addresses", 0, "address"]
    assert parse_json_path(".metadata.labels['a.b/c']") == ["metadata", "labels", "a.b/c"]
    with pytest.raises(JSONPathError):
        parse_json_path(".status[0")


def test_lookup_missing_steps_give_none() -> None:
    obj = {"status": {"addresses": [{"address": "10.0.0.1"}]}}
    assert lookup(obj, ".status.addresses[0].address") == "10.0.0.1"
    assert lookup(obj, ".status.addresses[3].address") is None
    assert lookup(obj, ".status.addresses.address") is None
    assert lookup(obj, ".spec.x") is None


def test_physical_host_row() -> None:
    obj = manifests.load(manifests.PHYSICAL_HOST)
    assert row(kinds.PHYSICAL_HOST, obj) == {"State": "Inspecting", "Ready": "true", "Age": "167m"}
    obj["status"] = {"ready": False}
    assert row(kinds.PHYSICAL_HOST, obj) == {"State": "", "Ready": "false", "Age": "167m"}


def test_machine_row_reads_escaped_label_keys() -> None:
    obj = manifests.load(manifests.MACHINE)
    obj["metadata"]["creationTimestamp"] = "2025-11-22T09:00:00Z"
    assert row(kinds.BESKAR7_MACHINE, obj) == {
        "Cluster": "prod",
        "Machine": "workers-7d9f-abcde",
        "Phase": "Provisioned",
        "Age": "5d3h",
    }


def test_cluster_row() -> None:
    obj = manifests.load(manifests.CLUSTER)
    assert row(kinds.BESKAR7_CLUSTER, obj) == {
        "Cluster": "prod",
        "Ready": "true",
        "Endpoint": "10.20.1.100",
        "Age": "",
    }


def test_other_kinds_have_sensible_defaults() -> None:
    secret = {"type": "Opaque", "data": {"username": "eA==", "password": "eQ=="}}
    assert row(kinds.SECRET, secret) == {"Type": "Opaque", "Data": "2", "Age": ""}
    assert row(kinds.SECRET, {"type": "Opaque"})["Data"] == "0"
    lease = {"metadata": {"creationTimestamp": "2025-11-27T11:59:15Z"}}
    assert row(kinds.LEASE, lease) == {"Age": "45s"}
    assert [c.name for c in columns(kinds.MACHINE)] == ["Cluster", "ProviderID", "Phase", "Age"]


def test_structured_values_are_compact_json() -> None:
    column = Column("Endpoint", ".status.controlPlaneEndpoint")
    obj = {"status": {"controlPlaneEndpoint": {"port": 6443, "host": "10.0.0.1"}}}
    assert column.value(obj, NOW) == '{"host":"10.0.0.1","port":6443}'


@pytest.mark.parametrize(
    ("age", "shown"),
    [
        (timedelta(seconds=-5), "<invalid>"),
        (timedelta(seconds=-1), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=119), "119s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(minutes=5, seconds=30), "5m30s"),
        (timedelta(minutes=12, seconds=30), "12m"),
        (timedelta(minutes=179), "179m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=3, minutes=10), "3h10m"),
        (timedelta(hours=20, minutes=59), "20h"),
        (timedelta(days=5), "5d"),
        (timedelta(days=5, hours=3), "5d3h"),
        (timedelta(days=40, hours=3), "40d"),
        (timedelta(days=730), "2y"),
        (timedelta(days=740), "2y10d"),
        (timedelta(days=365 * 9), "9y"),
    ],
)
def test_ages_like_kubectl(age: timedelta, shown: str) -> None:
    assert human_duration(age) == shown


def test_age_column_humanizes_timestamps() -> None:
    age = columns(kinds.PHYSICAL_HOST)[-1]
    obj = {"metadata": {"creationTimestamp": "2025-11-24T12:00:00Z"}}
    assert age.value(obj, NOW) == "3d"
    assert age.value({"metadata": {"creationTimestamp": "garbage"}}, NOW) == "garbage"
