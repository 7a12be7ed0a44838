"""The Kubernetes API emulator seen as an API server: raw HTTP, and lightkube's own client."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import lightkube
import pytest
from lightkube.config.kubeconfig import KubeConfig
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from beskar7.api.errors import FieldIssue, InvalidError
from beskar7.api.kinds import GROUP, PHYSICAL_HOST, VERSION, Kind, Obj
from beskar7_testing.kube_emulator import KubeEmulator
from tests.fixtures.stores import host, secret

HOSTS = f"/apis/{GROUP}/{VERSION}"
MERGE = {"Content-Type": "application/merge-patch+json"}


def require_address(kind: Kind, obj: Obj) -> Obj:
    if kind == PHYSICAL_HOST and not obj["spec"]["redfishConnection"].get("address"):
        raise InvalidError("host", [FieldIssue("spec.redfishConnection.address", "Required")])
    return obj


@pytest.fixture(scope="module")
def api() -> Iterator[KubeEmulator]:
    with KubeEmulator(validate=require_address, retention=50) as emulator:
        yield emulator


@pytest.fixture
def ns() -> str:
    """A namespace of the test's own on the shared emulator."""
    return f"t-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def http(api: KubeEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        yield client


def hosts(ns: str, name: str = "") -> str:
    return f"{HOSTS}/namespaces/{ns}/physicalhosts" + (f"/{name}" if name else "")


def secrets(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/secrets" + (f"/{name}" if name else "")


def assert_status(resp: httpx.Response, code: int, reason: str) -> dict[str, Any]:
    assert resp.status_code == code
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    assert body["kind"] == "Status" and body["status"] == "Failure"
    assert (body["code"], body["reason"]) == (code, reason)
    return body


# -- writes and their failures --------------------------------------------------------------


def test_only_merge_patches_are_accepted(http: httpx.Client, ns: str) -> None:
    assert http.post(hosts(ns), json=host("h1", ns)).status_code == 201
    for content_type in (
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/apply-patch+yaml",
    ):
        resp = http.patch(
            hosts(ns, "h1"),
            content=b'{"spec": {"bootMode": "UEFI"}}',
            headers={"Content-Type": content_type},
        )
        body = assert_status(resp, 415, "UnsupportedMediaType")
        assert "application/merge-patch+json" in body["message"]
    merged = http.patch(hosts(ns, "h1"), content=b'{"spec": {"bootMode": "UEFI"}}', headers=MERGE)
    assert merged.status_code == 200 and merged.json()["spec"]["bootMode"] == "UEFI"


def test_failures_are_status_objects_like_a_real_server(http: httpx.Client, ns: str) -> None:
    created = http.post(hosts(ns), json=host("h1", ns)).json()
    missing = assert_status(http.get(hosts(ns, "nope")), 404, "NotFound")
    assert missing["message"] == f'physicalhosts.{GROUP} "nope" not found'
    assert missing["details"] == {"name": "nope", "group": GROUP, "kind": "physicalhosts"}
    exists = assert_status(http.post(hosts(ns), json=host("h1", ns)), 409, "AlreadyExists")
    assert exists["message"] == f'physicalhosts.{GROUP} "h1" already exists'
    http.patch(hosts(ns, "h1"), content=b'{"spec": {"bootMode": "UEFI"}}', headers=MERGE)
    stale = assert_status(http.put(hosts(ns, "h1"), json=created), 409, "Conflict")
    assert "the object has been modified" in stale["message"]
    unknown = assert_status(http.get(f"{HOSTS}/namespaces/{ns}/widgets"), 404, "NotFound")
    assert unknown["message"] == "the server could not find the requested resource"
    assert_status(http.post(hosts(ns, "h1")), 405, "MethodNotAllowed")


def test_invalid_objects_answer_422_with_causes(http: httpx.Client, ns: str) -> None:
    bad = host("h1", ns)
    bad["spec"]["redfishConnection"]["address"] = ""
    body = assert_status(http.post(hosts(ns), json=bad), 422, "Invalid")
    assert body["message"] == (
        f'PhysicalHost.{GROUP} "h1" is invalid: spec.redfishConnection.address: Required'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": "Required",
            "field": "spec.redfishConnection.address",
        }
    ]
    assert http.get(hosts(ns, "h1")).status_code == 404  # nothing was written


@pytest.mark.parametrize(
    ("method", "path_name", "change", "message"),
    [
        ("POST", "", {"metadata": {"namespace": "elsewhere"}}, "namespace of the provided object"),
        ("POST", "", {"kind": None}, "'Kind' or 'apiVersion' is missing"),
        ("POST", "", {"kind": "Beskar7Machine"}, "do not match"),
        ("PUT", "other", {}, "does not match the name on the URL"),
    ],
)
def test_bodies_must_match_the_url(
    http: httpx.Client, ns: str, method: str, path_name: str, change: Obj, message: str
) -> None:
    obj = host("h1", ns)
    obj["metadata"]["resourceVersion"] = "1" if method == "PUT" else None
    obj.update({k: v for k, v in change.items() if k != "metadata"})
    obj["metadata"].update(change.get("metadata", {}))
    obj = {k: v for k, v in obj.items() if v is not None}
    resp = http.request(method, hosts(ns, path_name), content=json.dumps(obj))
    assert message in assert_status(resp, 400, "BadRequest")["message"]


def test_status_subresource(http: httpx.Client, ns: str) -> None:
    created = http.post(hosts(ns), json=host("h1", ns)).json()
    patched = http.patch(
        hosts(ns, "h1") + "/status",
        content=b'{"status": {"state": "Available", "ready": true}, "spec": {"bootMode": "UEFI"}}',
        headers=MERGE,
    ).json()
    assert patched["status"] == {"state": "Available", "ready": True}
    assert "bootMode" not in patched["spec"]
    replaced = http.put(hosts(ns, "h1") + "/status", json=patched | {"status": {"state": "X"}})
    assert replaced.status_code == 200 and replaced.json()["status"] == {"state": "X"}
    stale = http.put(hosts(ns, "h1") + "/status", json=created | {"status": {"state": "Y"}})
    assert_status(stale, 409, "Conflict")
    assert http.get(hosts(ns, "h1") + "/status").json()["status"] == {"state": "X"}
    http.post(secrets(ns), json=secret("s", ns))
    assert_status(http.get(secrets(ns, "s") + "/status"), 404, "NotFound")  # no subresource


def test_delete_answers(http: httpx.Client, ns: str) -> None:
    http.post(hosts(ns), json=host("held", ns, metadata={"finalizers": ["x.io/f"]}))
    http.post(hosts(ns), json=host("free", ns))
    http.post(secrets(ns), json=secret("s", ns))
    held = http.delete(hosts(ns, "held"))
    assert held.status_code == 202 and held.json()["metadata"]["deletionTimestamp"]
    free = http.delete(hosts(ns, "free"))
    assert free.status_code == 200 and free.json()["metadata"]["name"] == "free"
    gone = http.delete(secrets(ns, "s"))
    assert gone.status_code == 200
    assert gone.json()["status"] == "Success" and gone.json()["details"]["name"] == "s"
    assert_status(http.delete(secrets(ns, "s")), 404, "NotFound")


def test_lists(http: httpx.Client, ns: str) -> None:
    http.post(hosts(ns), json=host("a", ns, metadata={"labels": {"zone": "x"}}))
    http.post(hosts(ns), json=host("b", ns))
    http.post(secrets(ns), json=secret("s", ns))
    listed = http.get(hosts(ns), params={"labelSelector": "zone in (x)"}).json()
    assert listed["kind"] == "PhysicalHostList" and int(listed["metadata"]["resourceVersion"]) > 0
    assert [(o["kind"], o["metadata"]["name"]) for o in listed["items"]] == [("PhysicalHost", "a")]
    builtin = http.get(secrets(ns)).json()
    assert builtin["kind"] == "SecretList"
    assert [sorted(o) for o in builtin["items"]] == [["data", "metadata", "type"]]
    assert_status(http.get(hosts(ns), params={"labelSelector": "a in ("}), 400, "BadRequest")
    assert_status(http.get(hosts(ns), params={"fieldSelector": "x=y"}), 400, "BadRequest")


# -- watch ----------------------------------------------------------------------------------


def watch_lines(api: KubeEmulator, path: str, **params: str) -> list[dict[str, Any]]:
    """The events of one watch request that the server ends after `timeoutSeconds`."""
    query = {"watch": "true", "timeoutSeconds": "1", **params}
    with (
        httpx.Client(base_url=api.url, timeout=10) as client,
        client.stream("GET", path, params=query) as resp,
    ):
        assert resp.status_code == 200
        return [json.loads(line) for line in resp.iter_lines() if line]


def test_watch_streams_events_after_a_version_filtered_by_label(
    api: KubeEmulator, http: httpx.Client, ns: str
) -> None:
    start = http.get(hosts(ns)).json()["metadata"]["resourceVersion"]
    http.post(hosts(ns), json=host("a", ns, metadata={"labels": {"pick": "me"}}))
    http.post(hosts(ns), json=host("b", ns))
    http.delete(hosts(ns, "a"))
    events = watch_lines(api, hosts(ns), resourceVersion=start, labelSelector="pick=me")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("DELETED", "a"),
    ]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and versions[0] > int(start)


def test_watch_without_a_version_starts_with_the_current_objects(
    api: KubeEmulator, http: httpx.Client, ns: str
) -> None:
    http.post(hosts(ns), json=host("a", ns))
    http.patch(hosts(ns, "a"), content=b'{"spec": {"bootMode": "UEFI"}}', headers=MERGE)
    events = watch_lines(api, hosts(ns))
    assert [(e["type"], e["object"]["spec"].get("bootMode")) for e in events] == [("ADDED", "UEFI")]


def test_watch_from_an_expired_version_sends_an_error_event(
    api: KubeEmulator, http: httpx.Client, ns: str
) -> None:
    for i in range(60):  # the module's emulator keeps 50 changes
        http.post(secrets(ns), json=secret(f"s{i}", ns))
    (event,) = watch_lines(api, f"/api/v1/namespaces/{ns}/secrets", resourceVersion="1")
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


async def test_stopping_the_emulator_ends_open_watches() -> None:
    emulator = KubeEmulator().start()
    url = emulator.url
    async with (
        httpx.AsyncClient(base_url=url, timeout=10) as client,
        client.stream("GET", secrets("default"), params={"watch": "1"}) as resp,
    ):
        stopping = asyncio.create_task(asyncio.to_thread(emulator.stop))
        async with asyncio.timeout(10):
            lines = [line async for line in resp.aiter_lines()]
        await stopping
    assert lines == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


# -- lightkube, a third-party client, against the emulator ---------------------------------


async def test_lightkube_typed_and_generic_resources(
    api: KubeEmulator, ns: str, tmp_path: Path
) -> None:
    config = KubeConfig.from_file(api.write_kubeconfig(tmp_path / "kubeconfig", namespace=ns))
    client = lightkube.AsyncClient(config)
    meta = ObjectMeta(name="s", labels={"a": "b"})
    await client.create(Secret(metadata=meta, stringData=None, data={"k": "dg=="}))
    fetched = await client.get(Secret, "s")
    assert fetched.data == {"k": "dg=="} and fetched.metadata is not None
    assert fetched.metadata.namespace == ns
    assert [s.metadata.name async for s in client.list(Secret, labels={"a": "b"}) if s.metadata]
    await client.patch(Secret, "s", {"data": {"j": "dw=="}}, patch_type=PatchType.MERGE)
    with pytest.raises(lightkube.ApiError) as refused:
        await client.patch(Secret, "s", {"data": {"x": "eA=="}})  # strategic by default
    assert refused.value.status.code == 415
    hosts_resource = create_namespaced_resource(GROUP, VERSION, "PhysicalHost", "physicalhosts")
    await client.create(hosts_resource(**host("h1", ns)))
    async with asyncio.timeout(5):
        async for event_type, obj in client.watch(hosts_resource, namespace=ns):
            assert (event_type, obj["metadata"]["name"]) == ("ADDED", "h1")
            break
    await client.delete(Secret, "s")
    await client.close()
