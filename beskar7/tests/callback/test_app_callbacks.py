"""The token-checked endpoints over the ASGI app against a seeded embedded store: reports,
bootstrap data, provisioned / provision-failed, and health."""

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from beskar7.api.capi import CLUSTER_NAME_LABEL, PAUSED_ANNOTATION
from beskar7.api.kinds import CLUSTER, CONFIG_MAP, PHYSICAL_HOST, SECRET
from beskar7.api.physicalhost import InspectionReport
from beskar7.api.protocol import Annotation, Label
from tests.fixtures.callback import (
    BOOTSTRAP_DATA,
    BOOTSTRAP_SECRET,
    HOST,
    NS,
    CallbackLab,
    bearer,
    golden_report,
)

REPORT_URL = f"/api/v1/inspection/{NS}/{HOST}"
MIB = 1 << 20


async def test_an_accepted_report_lands_in_a_config_map_and_an_annotation(
    callback_lab: CallbackLab,
) -> None:
    token = await callback_lab.mint()
    status_before = (await callback_lab.host())["status"]

    response = await callback_lab.client.post(
        REPORT_URL, json=golden_report(), headers=bearer(token)
    )

    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    config_map = await callback_lab.config_map()
    assert config_map is not None
    assert config_map["metadata"]["labels"] == {
        Label.OWNED_BY: "beskar7",
        Label.HOST: HOST,
    }
    stored = InspectionReport.model_validate_json(config_map["data"]["report.json"])
    assert stored.model_dump(exclude={"timestamp"}) == InspectionReport.model_validate(
        golden_report()
    ).model_dump(exclude={"timestamp"})
    assert stored.timestamp == callback_lab.clock()
    annotations = await callback_lab.annotations()
    assert annotations[Annotation.INSPECTION_RESULT_REF] == f"{HOST}-inspection-result"
    assert (await callback_lab.host())["status"] == status_before


async def test_a_second_report_updates_the_config_map(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    await callback_lab.client.post(REPORT_URL, json=golden_report(), headers=bearer(token))

    changed = {**golden_report(), "model": "PowerEdge R650"}
    response = await callback_lab.client.post(REPORT_URL, json=changed, headers=bearer(token))

    assert response.status_code == 202
    config_map = await callback_lab.config_map()
    assert config_map is not None
    assert json.loads(config_map["data"]["report.json"])["model"] == "PowerEdge R650"
    assert len((await callback_lab.store.list(CONFIG_MAP, NS)).items) == 1


BadHeaders = Callable[[CallbackLab, str], Awaitable[tuple[str, dict[str, str]]]]


async def _no_header(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return REPORT_URL, {}


async def _basic(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return REPORT_URL, {"Authorization": f"Basic {token}"}


async def _empty_bearer(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return REPORT_URL, {"Authorization": "Bearer "}


async def _wrong(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return REPORT_URL, bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))


async def _stored_hash(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return REPORT_URL, bearer(await lab.token_hash() or "")


async def _expired(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    lab.clock.advance(600 + 1200 + 1)
    return REPORT_URL, bearer(token)


async def _superseded(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    await lab.mint()
    return REPORT_URL, bearer(token)


async def _other_hosts_token(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    await lab.add_host("h2", None)
    return REPORT_URL, bearer(await lab.mint("h2"))


async def _token_for_another_host(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    await lab.add_host("h2", None)
    await lab.mint("h2")
    return f"/api/v1/inspection/{NS}/h2", bearer(token)


async def _unknown_host(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return f"/api/v1/inspection/{NS}/nobody", bearer(token)


async def _unknown_namespace(lab: CallbackLab, token: str) -> tuple[str, dict[str, str]]:
    return f"/api/v1/inspection/elsewhere/{HOST}", bearer(token)


BAD_TOKENS = [
    _no_header,
    _basic,
    _empty_bearer,
    _wrong,
    _stored_hash,
    _expired,
    _superseded,
    _other_hosts_token,
    _token_for_another_host,
    _unknown_host,
    _unknown_namespace,
]


async def _reference_401(lab: CallbackLab) -> httpx.Response:
    return await lab.client.post(REPORT_URL, json=golden_report())


@pytest.mark.parametrize("variant", BAD_TOKENS, ids=lambda f: f.__name__.strip("_"))
async def test_every_bad_token_gets_the_same_401_and_changes_nothing(
    callback_lab: CallbackLab, variant: BadHeaders
) -> None:
    token = await callback_lab.mint()
    reference = await _reference_401(callback_lab)
    url, headers = await variant(callback_lab, token)
    before = await callback_lab.version()

    response = await callback_lab.client.post(url, json=golden_report(), headers=headers)

    assert response.status_code == 401
    assert response.content == reference.content == b'{"detail":"unauthorized"}'
    assert response.headers["www-authenticate"] == "Bearer"
    assert await callback_lab.version() == before
    assert await callback_lab.config_map() is None


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/bootstrap/{NS}/{HOST}",
        f"/api/v1/provisioned/{NS}/{HOST}",
        f"/api/v1/provision-failed/{NS}/{HOST}",
    ],
)
async def test_the_provisioning_endpoints_want_the_token_too(
    callback_lab: CallbackLab, path: str
) -> None:
    token = await callback_lab.mint()
    await callback_lab.set_machine_phase("Provisioning")
    before = await callback_lab.version()
    method = "GET" if "bootstrap" in path else "POST"

    for headers in ({}, bearer(token + "x"), bearer("")):
        response = await callback_lab.client.request(method, path, headers=headers)
        assert (response.status_code, response.content) == (401, b'{"detail":"unauthorized"}')

    assert await callback_lab.version() == before


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b" " * n


async def test_bodies_over_the_cap_get_413_declared_or_chunked(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    before = await callback_lab.version()
    headers = {**bearer(token), "Content-Type": "application/json"}

    declared = await callback_lab.client.post(REPORT_URL, content=b" " * (MIB + 1), headers=headers)
    chunked = await callback_lab.client.post(REPORT_URL, content=_chunks(MIB + 1), headers=headers)

    assert declared.status_code == chunked.status_code == 413
    assert await callback_lab.version() == before


def _bad(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    body = golden_report()
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (_bad(("cpus", 0, "cores"), "many"), "cpus[0].cores: must be an integer"),
        (_bad(("extra",), 1), "extra: unknown field"),
        (_bad(("disks", 0, "sizeGB"), "960"), "disks[0].sizeGB: must be an integer"),
        (b"{not json", "body: must be JSON"),
        (b"[1, 2]", "body: must be a JSON object"),
    ],
)
async def test_schema_violations_get_400_naming_the_field_and_no_writes(
    callback_lab: CallbackLab, body: dict[str, Any] | bytes, detail: str
) -> None:
    token = await callback_lab.mint()
    before = await callback_lab.version()
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = await callback_lab.client.post(REPORT_URL, content=content, headers=bearer(token))

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert await callback_lab.version() == before


async def test_a_host_that_is_not_inspecting_does_not_take_a_report(
    callback_lab: CallbackLab,
) -> None:
    token = await callback_lab.mint()
    await callback_lab.set_host_status(state="InUse")
    before = await callback_lab.version()

    response = await callback_lab.client.post(
        REPORT_URL, json=golden_report(), headers=bearer(token)
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "not expecting a report"}
    assert await callback_lab.version() == before


async def test_the_v04_body_form_works_with_the_same_token(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    body = {**golden_report(), "namespace": NS, "hostName": HOST}

    no_token = await callback_lab.client.post("/api/v1/inspection", json=body)
    no_host = await callback_lab.client.post(
        "/api/v1/inspection", json=golden_report(), headers=bearer(token)
    )
    accepted = await callback_lab.client.post(
        "/api/v1/inspection", json=body, headers=bearer(token)
    )

    assert no_token.status_code == 401
    assert no_host.status_code == 400
    assert no_host.json() == {"detail": "namespace: required"}
    assert accepted.status_code == 202
    assert accepted.json() == {"status": "accepted"}
    config_map = await callback_lab.config_map()
    assert config_map is not None
    assert "hostName" not in config_map["data"]["report.json"]


async def test_bootstrap_data_is_withheld_until_the_machine_is_provisioning(
    callback_lab: CallbackLab,
) -> None:
    token = await callback_lab.mint()
    url = f"/api/v1/bootstrap/{NS}/{HOST}"

    waiting = await callback_lab.client.get(url, headers=bearer(token))
    await callback_lab.set_machine_phase("Provisioning")
    ready = await callback_lab.client.get(url, headers=bearer(token))

    assert waiting.status_code == 404
    assert waiting.json() == {"detail": "not found"}
    assert ready.status_code == 200
    assert ready.content == BOOTSTRAP_DATA
    assert ready.headers["content-type"] == "application/octet-stream"


async def test_bootstrap_without_the_secret_is_the_same_404(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    await callback_lab.set_machine_phase("Provisioning")
    await callback_lab.store.delete(SECRET, NS, BOOTSTRAP_SECRET)

    response = await callback_lab.client.get(
        f"/api/v1/bootstrap/{NS}/{HOST}", headers=bearer(token)
    )

    assert (response.status_code, response.json()) == (404, {"detail": "not found"})


async def test_provisioned_annotates_the_host_with_the_time(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    callback_lab.clock.advance(90.25)

    response = await callback_lab.client.post(
        f"/api/v1/provisioned/{NS}/{HOST}", headers=bearer(token)
    )

    assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    annotations = await callback_lab.annotations()
    assert annotations[Annotation.PROVISIONED_REQUEST] == "2025-03-01T12:01:30Z"


async def test_provision_failed_annotates_a_sanitized_reason(callback_lab: CallbackLab) -> None:
    token = await callback_lab.mint()
    url = f"/api/v1/provision-failed/{NS}/{HOST}"
    reason = "kexec: bad image\n\x1b[1m" + "x" * 1000

    bad = await callback_lab.client.post(url, json={"reason": 5}, headers=bearer(token))
    response = await callback_lab.client.post(url, json={"reason": reason}, headers=bearer(token))

    assert bad.status_code == 400
    assert response.status_code == 202
    value = (await callback_lab.annotations())[Annotation.PROVISION_FAILED_REQUEST]
    assert value.startswith("inspector reported deploy failure: kexec: bad image [1mxxx")
    assert len(value) == 256
    assert value.isprintable()


async def test_secrets_never_reach_the_logs(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        token = await callback_lab.mint()
        await callback_lab.client.post(REPORT_URL, json=golden_report(), headers=bearer(token))
        await callback_lab.set_machine_phase("Provisioning")
        await callback_lab.client.get(f"/api/v1/bootstrap/{NS}/{HOST}", headers=bearer(token))
        await callback_lab.client.post(REPORT_URL, json=golden_report(), headers=bearer("x"))

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "handed the inspection boot script" in text
    assert token not in text
    assert "cloud-config" not in text


async def test_healthz_follows_the_store(callback_lab: CallbackLab) -> None:
    healthy = await callback_lab.client.get("/healthz")
    await callback_lab.store.close()
    unhealthy = await callback_lab.client.get("/healthz")
    boot = await callback_lab.boot()

    assert (healthy.status_code, healthy.json()) == (200, {"status": "ok"})
    assert unhealthy.status_code == 503
    assert boot.status_code == 503
    assert boot.json() == {"detail": "store unavailable"}


async def test_no_api_documentation_is_served(callback_lab: CallbackLab) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await callback_lab.client.get(path)).status_code == 404


@pytest.mark.parametrize("how", ["annotation", "cluster"])
async def test_paused_a_paused_hosts_state_changes_are_refused_until_unpaused(
    callback_lab: CallbackLab, how: str
) -> None:
    """clusterctl move pauses the Cluster: the callback server changes nothing for its hosts
    (503, the caller retries) and hands out no boot script meanwhile."""
    token = await callback_lab.mint()
    store = callback_lab.store
    if how == "cluster":
        meta = {"name": "c", "namespace": NS}
        cluster = {"apiVersion": CLUSTER.api_version, "kind": CLUSTER.kind, "metadata": meta}
        await store.create({**cluster, "spec": {"paused": True}})
        paused: dict[str, Any] = {"labels": {CLUSTER_NAME_LABEL: "c"}}
        resume: dict[str, Any] = {"labels": {CLUSTER_NAME_LABEL: None}}
    else:
        paused = {"annotations": {PAUSED_ANNOTATION: "true"}}
        resume = {"annotations": {PAUSED_ANNOTATION: None}}
    await store.patch(PHYSICAL_HOST, NS, HOST, {"metadata": paused})
    version = await callback_lab.version()

    report = await callback_lab.client.post(REPORT_URL, json=golden_report(), headers=bearer(token))
    done = await callback_lab.client.post(f"/api/v1/provisioned/{NS}/{HOST}", headers=bearer(token))
    booted = await callback_lab.boot()

    assert (report.status_code, done.status_code) == (503, 503)
    assert booted.status_code == 404, "the wait-and-retry script"
    assert await callback_lab.version() == version and await callback_lab.config_map() is None

    await store.patch(PHYSICAL_HOST, NS, HOST, {"metadata": resume})
    again = await callback_lab.client.post(REPORT_URL, json=golden_report(), headers=bearer(token))
    assert again.status_code == 202
