"""KubernetesStore at the HTTP level: against the API emulator, and against scripted loopback
servers for the answers a healthy API server never gives."""

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import lightkube
import pytest
from lightkube.config.kubeconfig import KubeConfig
from lightkube.config.models import Cluster, User

from beskar7.api.errors import (
    AlreadyExistsError,
    ConflictError,
    FieldIssue,
    GoneError,
    InvalidError,
    NotFoundError,
    StoreError,
    UnavailableError,
)
from beskar7.api.kinds import CONFIG_MAP, PHYSICAL_HOST, SECRET, Kind, Obj
from beskar7.store.kube import store as kube
from beskar7.store.kube.errors import error_from_response
from beskar7.store.kube.store import KubernetesStore, connect, in_cluster
from beskar7_testing.kube_emulator import KubeEmulator
from tests.fixtures.stores import assert_quiet, host, next_events, secret, summary, watching

PASSWORD = "hunter2-s3cr3t"
MISSING = {"name": "missing", "namespace": "default", "resourceVersion": "1"}
HOSTS = "/apis/infrastructure.cluster.x-k8s.io/v1beta1"


def require_address(kind: Kind, obj: Obj) -> Obj:
    """A validate hook standing in for the CRD schema: hosts need a BMC address."""
    if kind == PHYSICAL_HOST and not obj["spec"]["redfishConnection"].get("address"):
        raise InvalidError("host", [FieldIssue("spec.redfishConnection.address", "Required")])
    if kind == SECRET and "bad" in obj.get("data", {}):
        raise InvalidError("secret", [FieldIssue("data[bad]", "not allowed")])
    return obj


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator(tmp_path / "api.db", validate=require_address) as emu:
        yield emu


@pytest.fixture
async def store(api: KubeEmulator, tmp_path: Path) -> AsyncIterator[KubernetesStore]:
    backend = await connect(api.write_kubeconfig(tmp_path / "kubeconfig", namespace="lab"))
    try:
        yield backend
    finally:
        await backend.close()


# -- requests on the wire -------------------------------------------------------------------


async def test_paths_methods_and_content_types(api: KubeEmulator, store: KubernetesStore) -> None:
    await store.create(host("h1", namespace="ns1"))
    await store.patch(PHYSICAL_HOST, "ns1", "h1", {"spec": {"bootMode": "UEFI"}})
    await store.patch_status(PHYSICAL_HOST, "ns1", "h1", {"status": {"ready": True}})
    current = await store.get(PHYSICAL_HOST, "ns1", "h1")
    await store.update(current)
    await store.create(secret("s1", namespace="ns1", password=PASSWORD))
    await store.delete(SECRET, "ns1", "s1")
    item = f"{HOSTS}/namespaces/ns1/physicalhosts/h1"
    assert [(r.method, r.path, r.content_type) for r in api.requests] == [
        ("POST", f"{HOSTS}/namespaces/ns1/physicalhosts", "application/json"),
        ("PATCH", item, "application/merge-patch+json"),
        ("PATCH", f"{item}/status", "application/merge-patch+json"),
        ("GET", item, ""),
        ("PUT", item, "application/json"),
        ("POST", "/api/v1/namespaces/ns1/secrets", "application/json"),
        ("DELETE", "/api/v1/namespaces/ns1/secrets/s1", ""),
    ]


async def test_lists_across_namespaces_and_by_label(
    api: KubeEmulator, store: KubernetesStore
) -> None:
    await store.create(host("a", "ns1", metadata={"labels": {"zone": "x", "rack": "1"}}))
    await store.create(host("b", "ns2", metadata={"labels": {"zone": "y"}}))
    await store.create(secret("s", "ns1"))
    api.clear_requests()
    everywhere = await store.list(PHYSICAL_HOST)
    labelled = await store.list(PHYSICAL_HOST, "ns1", {"zone": "x", "rack": "1"})
    secrets = await store.list(SECRET)
    assert [o["metadata"]["name"] for o in everywhere.items] == ["a", "b"]
    assert [o["metadata"]["name"] for o in labelled.items] == ["a"]
    assert [r.path for r in api.requests] == [
        f"{HOSTS}/physicalhosts",
        f"{HOSTS}/namespaces/ns1/physicalhosts",
        "/api/v1/secrets",
    ]
    assert api.requests[1].query == "labelSelector=rack%3D1%2Czone%3Dx"
    # built-in kinds come in lists without apiVersion/kind: the store puts them back
    assert (secrets.items[0]["apiVersion"], secrets.items[0]["kind"]) == ("v1", "Secret")
    assert int(everywhere.resource_version) >= 3


async def test_create_without_namespace_uses_the_kubeconfig_namespace(
    store: KubernetesStore,
) -> None:
    obj = host("h1")
    del obj["metadata"]["namespace"]
    created = await store.create(obj)
    assert created["metadata"]["namespace"] == "lab"
    assert "namespace" not in obj["metadata"]  # the caller's dict is left alone


async def test_status_goes_through_the_subresource_only_where_there_is_one(
    api: KubeEmulator, store: KubernetesStore
) -> None:
    await store.create(host("h1"))
    with_status = await store.patch_status(
        PHYSICAL_HOST, "default", "h1", {"status": {"state": "Available"}}
    )
    ignored = await store.patch(PHYSICAL_HOST, "default", "h1", {"status": {"state": "Gone"}})
    assert with_status["status"] == ignored["status"] == {"state": "Available"}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    await store.create(config)
    api.clear_requests()
    patched = await store.patch_status(CONFIG_MAP, "lab", "c", {"status": {"x": 1}, "data": {}})
    unchanged = await store.patch_status(CONFIG_MAP, "lab", "c", {"data": {"y": "2"}})
    assert patched["status"] == unchanged["status"] == {"x": 1} and unchanged["data"] == {}
    assert [(r.method, r.path) for r in api.requests] == [
        ("PATCH", "/api/v1/namespaces/lab/configmaps/c")  # configmaps have no /status
    ] * 2


async def test_delete_tells_pending_from_gone(api: KubeEmulator, store: KubernetesStore) -> None:
    await store.create(host("held", metadata={"finalizers": ["x.io/f"]}))
    await store.create(host("free"))
    await store.create(secret("s"))
    held = await store.delete(PHYSICAL_HOST, "default", "held")
    assert held is not None and held["metadata"]["deletionTimestamp"]
    assert await store.delete(PHYSICAL_HOST, "default", "free") is None
    assert await store.delete(SECRET, "default", "s") is None  # answered with a Status


async def test_update_without_resource_version_is_a_conflict_before_any_request(
    api: KubeEmulator, store: KubernetesStore
) -> None:
    await store.create(secret("s"))
    api.clear_requests()
    with pytest.raises(ConflictError):
        await store.update(secret("s"))
    assert api.requests == []


# -- errors from the API server -------------------------------------------------------------


async def test_api_errors_map_to_store_errors(store: KubernetesStore) -> None:
    created = await store.create(host("h1"))
    with pytest.raises(
        NotFoundError, match=r'physicalhosts\.infrastructure\.cluster\.x-k8s\.io "n"'
    ):
        await store.get(PHYSICAL_HOST, "default", "n")
    with pytest.raises(AlreadyExistsError):
        await store.create(host("h1"))
    await store.patch(PHYSICAL_HOST, "default", "h1", {"spec": {"bootMode": "UEFI"}})
    with pytest.raises(ConflictError):
        await store.update(created)


async def test_invalid_answers_carry_the_field_causes(store: KubernetesStore) -> None:
    bad = host("h1")
    bad["spec"]["redfishConnection"]["address"] = ""
    with pytest.raises(InvalidError) as caught:
        await store.create(bad)
    assert caught.value.issues == [FieldIssue("spec.redfishConnection.address", "Required")]
    assert "PhysicalHost" in str(caught.value)


async def test_no_secret_data_in_error_messages(store: KubernetesStore) -> None:
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    await store.create(secret("s", password=PASSWORD))
    errors: list[StoreError] = []
    for attempt in (
        store.create(secret("s", password=PASSWORD)),
        store.create(secret("t", password=PASSWORD, bad="x")),
        store.update(secret("missing", password=PASSWORD) | {"metadata": MISSING}),
    ):
        with pytest.raises(StoreError) as caught:
            await attempt
        errors.append(caught.value)
    assert [type(e) for e in errors] == [AlreadyExistsError, InvalidError, NotFoundError]
    for error in errors:
        assert PASSWORD not in str(error) and encoded not in str(error)


# -- watch ----------------------------------------------------------------------------------


async def test_watch_sees_changes_in_order(store: KubernetesStore) -> None:
    start = (await store.list(PHYSICAL_HOST)).resource_version
    async with watching(store, PHYSICAL_HOST, "default", start) as events:
        await store.create(host("h1", metadata={"finalizers": ["x.io/f"]}))
        await store.create(host("other", "elsewhere"))
        await store.delete(PHYSICAL_HOST, "default", "h1")
        await store.patch(PHYSICAL_HOST, "default", "h1", {"metadata": {"finalizers": None}})
        seen = summary(await next_events(events, 3))
        await assert_quiet(events)
    assert seen == [("ADDED", "h1"), ("MODIFIED", "h1"), ("DELETED", "h1")]


async def test_watch_from_an_expired_version_raises_gone(tmp_path: Path) -> None:
    async with KubeEmulator(retention=3) as api:
        store = await connect(api.write_kubeconfig(tmp_path / "kubeconfig"))
        for i in range(6):
            await store.create(secret(f"s{i}"))
        with pytest.raises(GoneError):
            async with asyncio.timeout(5), watching(store, SECRET, resource_version="1") as events:
                await anext(events)
        await store.close()


async def test_watch_resumes_when_the_server_ends_the_request(
    api: KubeEmulator, store: KubernetesStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kube, "WATCH_SECONDS", 1)
    async with watching(store, SECRET) as events:
        await store.create(secret("a"))
        first = await asyncio.wait_for(anext(events), 5)
        await asyncio.sleep(1.5)  # the first watch request has timed out by now
        await store.create(secret("b"))
        second = await asyncio.wait_for(anext(events), 5)
    assert [first.object["metadata"]["name"], second.object["metadata"]["name"]] == ["a", "b"]
    watches = [r.query for r in api.requests if "watch=true" in r.query]
    assert len(watches) >= 2
    assert f"resourceVersion={first.object['metadata']['resourceVersion']}" in watches[-1]


# -- configuration ---------------------------------------------------------------------------


async def test_connect_without_kubeconfig_outside_a_cluster_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(kube, "SERVICE_ACCOUNT", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert not in_cluster()
    with pytest.raises(UnavailableError, match="no usable Kubernetes configuration"):
        await connect(None)
    with pytest.raises(UnavailableError, match="no usable Kubernetes configuration"):
        await connect(tmp_path / "missing")
    (tmp_path / "token").write_text("t")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    assert in_cluster()


# -- answers no healthy API server gives: scripted loopback servers -------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


@asynccontextmanager
async def scripted(script: Callable[[str, str, bytes], Answer]) -> AsyncIterator[KubernetesStore]:
    """A KubernetesStore on a loopback HTTP server answering each request with
    `script(method, target, body)`."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        lines = head.lower().split("\r\n")
        sizes = [line.split(":")[1] for line in lines if line.startswith("content-length")]
        body = await reader.readexactly(int(sizes[0]) if sizes else 0)
        method, target = head.split(" ")[:2]
        answer = script(method, target, body)
        writer.write(
            f"HTTP/1.1 {answer.status} X\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\nConnection: close\r\n\r\n".encode()
            + answer.body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    config = KubeConfig.from_one(cluster=Cluster(server=url), user=User(token="t"))
    backend = KubernetesStore(lightkube.AsyncClient(config))
    try:
        yield backend
    finally:
        await backend.close()
        server.close()


def status(code: int, reason: str, message: str = "m") -> bytes:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code}
    return json.dumps(body | {"reason": reason, "message": message}).encode()


@pytest.mark.parametrize(
    "answer",
    [
        Answer(500, b"<html>oops</html>", "text/html"),
        Answer(502, b"Bad Gateway", "text/plain"),
        Answer(503, status(503, "ServiceUnavailable")),
        Answer(200, b"{not json"),
        Answer(200, b"[1, 2]"),
        Answer(404, b"<html>ingress default backend</html>", "text/html"),
    ],
)
async def test_garbage_and_5xx_answers_are_unavailable(answer: Answer) -> None:
    async with scripted(lambda *_: answer) as backend:
        with pytest.raises(UnavailableError):
            await backend.get(SECRET, "default", "s")


async def test_an_echoed_request_body_stays_out_of_the_error() -> None:
    def echo(method: str, target: str, body: bytes) -> Answer:
        return Answer(500, b"cannot store " + body, "text/plain")

    async with scripted(echo) as backend:
        with pytest.raises(UnavailableError) as caught:
            await backend.create(secret("s", password=PASSWORD))
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    assert encoded not in str(caught.value) and PASSWORD not in str(caught.value)
    assert "HTTP 500" in str(caught.value)


async def test_an_unreachable_server_is_unavailable(unused_tcp_port: int) -> None:
    config = KubeConfig.from_one(
        cluster=Cluster(server=f"http://127.0.0.1:{unused_tcp_port}"), user=User(token="t")
    )
    backend = KubernetesStore(lightkube.AsyncClient(config))
    with pytest.raises(UnavailableError, match="unreachable"):
        await backend.list(SECRET)
    with pytest.raises(UnavailableError, match="unreachable"):
        await anext(backend.watch(SECRET, resource_version="5"))
    await backend.close()


async def test_list_follows_continue_tokens() -> None:
    def pages(method: str, target: str, body: bytes) -> Answer:
        page, meta = (
            ("b", {"resourceVersion": "8"})
            if "continue=" in target
            else ("a", {"resourceVersion": "7", "continue": "tok"})
        )
        item = {"metadata": {"name": page, "namespace": "default"}}
        return Answer(200, json.dumps({"metadata": meta, "items": [item]}).encode())

    async with scripted(pages) as backend:
        listed = await backend.list(SECRET, "default")
    assert [o["metadata"]["name"] for o in listed.items] == ["a", "b"]
    assert listed.resource_version == "7"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(410, status(410, "Expired")), GoneError),
        (Answer(200, b'{"type":"ERROR","object":' + status(410, "Expired") + b"}\n"), GoneError),
        (
            Answer(200, b'{"type":"ERROR","object":' + status(500, "InternalError") + b"}\n"),
            UnavailableError,
        ),
        (Answer(200, b"garbage\n"), UnavailableError),
    ],
)
async def test_watch_failures(answer: Answer, error: type[StoreError]) -> None:
    async with scripted(lambda *_: answer) as backend:
        with pytest.raises(error):
            await asyncio.wait_for(anext(backend.watch(SECRET, resource_version="3")), 5)


@pytest.mark.parametrize(
    ("code", "body", "error"),
    [
        (404, status(404, "NotFound"), NotFoundError),
        (409, status(409, "AlreadyExists"), AlreadyExistsError),
        (409, status(409, "Conflict"), ConflictError),
        (410, status(410, "Gone"), GoneError),
        (422, status(422, "Invalid"), InvalidError),
        (429, status(429, "TooManyRequests"), UnavailableError),
        (500, status(500, "InternalError"), UnavailableError),
        (403, status(403, "Forbidden"), StoreError),
        (401, b"Unauthorized", UnavailableError),
    ],
)
def test_error_mapping(code: int, body: bytes, error: type[StoreError]) -> None:
    mapped = error_from_response(code, body, "Secret default/s")
    assert type(mapped) is error
    if error is InvalidError:
        assert isinstance(mapped, InvalidError) and mapped.issues == [FieldIssue("", "m")]
