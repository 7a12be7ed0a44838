"""Protocol steps 6 and 7 through the app: the hand-off, the single-use seed (user-data,
meta-data), the report token, and every token revoked once the host is provisioned."""

import asyncio
import logging
from typing import Any

import httpx
import pytest

from beskar7.api.kinds import SECRET
from beskar7.api.protocol import Annotation
from beskar7.callback import seed
from beskar7.callback.tokens import parse_record
from beskar7_testing.fleet import seed_meta_data
from tests.fixtures.callback import (
    BOOTSTRAP_DATA,
    BOOTSTRAP_SECRET,
    HOST,
    NS,
    URL_BASE,
    CallbackLab,
    bearer,
)

HANDOFF = f"/api/v1/handoff/{NS}/{HOST}"
PROVISIONED = f"/api/v1/provisioned/{NS}/{HOST}"
FAILED = f"/api/v1/provision-failed/{NS}/{HOST}"


async def provisioning(lab: CallbackLab) -> str:
    """The host's inspection token, its machine Provisioning (the go-ahead given)."""
    token = await lab.mint()
    await lab.set_host_status(state="Inspecting", inspectionPhase="Complete")
    await lab.set_machine_phase("Provisioning")
    return token


async def handed_off(lab: CallbackLab) -> tuple[str, str]:
    """(inspection token, seed path) after a successful hand-off."""
    token = await provisioning(lab)
    response = await lab.client.post(HANDOFF, headers=bearer(token))
    assert response.status_code == 200, response.text
    url: str = response.json()["seedURL"]
    assert url.startswith(URL_BASE)
    return token, url.removeprefix(URL_BASE)


async def fetch(lab: CallbackLab, path: str) -> httpx.Response:
    return await lab.client.get(path)


async def meta(lab: CallbackLab, seed_path: str) -> dict[str, Any]:
    response = await fetch(lab, seed_path + "meta-data")
    assert response.status_code == 200, response.text
    return seed_meta_data(response.text)


async def test_the_handoff_waits_for_provisioning_and_answers_a_seed_url(
    callback_lab: CallbackLab,
) -> None:
    token = await callback_lab.mint()
    early = await callback_lab.client.post(HANDOFF, headers=bearer(token))
    await callback_lab.set_machine_phase("Provisioning")
    ready = await callback_lab.client.post(HANDOFF, headers=bearer(token))
    no_token = await callback_lab.client.post(HANDOFF)

    assert (early.status_code, early.json()) == (404, {"detail": "not found"})
    assert no_token.status_code == 401
    assert ready.status_code == 200
    url = ready.json()["seedURL"]
    assert url.startswith(f"{URL_BASE}/api/v1/seed/{NS}/{HOST}/") and url.endswith("/")
    assert ready.json()["format"] == "cloud-config"
    secret = url.rstrip("/").rsplit("/", 1)[1]
    stored = (await callback_lab.annotations())[Annotation.SEED_TOKEN]
    assert secret not in stored  # only its digest is kept
    record = seed.parse_record(stored)
    assert record is not None and record.served == ()
    assert (record.expires_at - record.issued_at).total_seconds() == 900


async def test_user_data_is_the_bootstrap_secret_once_then_refused(
    callback_lab: CallbackLab,
) -> None:
    _, seed_path = await handed_off(callback_lab)

    first = await fetch(callback_lab, seed_path + "user-data")
    second = await fetch(callback_lab, seed_path + "user-data")

    assert first.status_code == 200
    assert first.content == BOOTSTRAP_DATA
    assert first.headers["content-type"] == "text/cloud-config; charset=utf-8"
    assert first.headers["cache-control"] == "no-store"
    assert (second.status_code, second.json()) == (404, {"detail": "not found"})


async def test_an_ignition_secret_is_served_as_ignition(callback_lab: CallbackLab) -> None:
    ignition = b'{"ignition": {"version": "3.4.0"}}'
    data = {"value": ignition.decode(), "format": "ignition"}
    await callback_lab.store.patch(SECRET, NS, BOOTSTRAP_SECRET, {"stringData": data})
    token = await provisioning(callback_lab)
    answer = (await callback_lab.client.post(HANDOFF, headers=bearer(token))).json()

    response = await fetch(callback_lab, answer["seedURL"].removeprefix(URL_BASE) + "user-data")

    assert answer["format"] == "ignition"
    assert response.content == ignition
    assert response.headers["content-type"] == "application/vnd.coreos.ignition+json"


async def test_an_unknown_format_refuses_the_handoff_clearly(callback_lab: CallbackLab) -> None:
    await callback_lab.store.patch(SECRET, NS, BOOTSTRAP_SECRET, {"stringData": {"format": "x"}})
    token = await provisioning(callback_lab)

    response = await callback_lab.client.post(HANDOFF, headers=bearer(token))

    assert response.status_code == 422
    assert (
        response.json()["detail"] == "bootstrap data format must be one of cloud-config, ignition"
    )
    assert Annotation.SEED_TOKEN not in await callback_lab.annotations()


async def test_meta_data_names_the_host_and_carries_a_report_token(
    callback_lab: CallbackLab,
) -> None:
    _, seed_path = await handed_off(callback_lab)

    values = await meta(callback_lab, seed_path)
    again = await fetch(callback_lab, seed_path + "meta-data")

    assert values["provider-id"] == values["providerid"] == f"b7://{NS}/{HOST}"
    assert values["local-hostname"] == values["name"] == HOST
    assert values["instance-id"]
    assert values["beskar7-report-url"] == f"{URL_BASE}{PROVISIONED}"
    report_token = values["beskar7-report-token"]
    stored = parse_record((await callback_lab.annotations())[Annotation.REPORT_TOKEN])
    assert stored is not None and report_token not in str(stored)
    assert again.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/seed/lab/h1/wrong-secret/user-data",
        "/api/v1/seed/lab/nobody/{secret}/user-data",
        "/api/v1/seed/lab/h1/{secret}/vendor-data",
    ],
)
async def test_a_wrong_secret_host_or_document_is_one_opaque_404(
    callback_lab: CallbackLab, path: str
) -> None:
    _, seed_path = await handed_off(callback_lab)
    secret = seed_path.rstrip("/").rsplit("/", 1)[1]
    before = await callback_lab.annotations()

    response = await fetch(callback_lab, path.format(secret=secret))

    assert (response.status_code, response.json()) == (404, {"detail": "not found"})
    assert await callback_lab.annotations() == before
    assert (await fetch(callback_lab, seed_path + "user-data")).status_code == 200


async def test_the_seed_expires(callback_lab: CallbackLab) -> None:
    _, seed_path = await handed_off(callback_lab)
    callback_lab.clock.advance(901)

    assert (await fetch(callback_lab, seed_path + "user-data")).status_code == 404


async def test_a_new_handoff_replaces_the_old_seed(callback_lab: CallbackLab) -> None:
    token, old = await handed_off(callback_lab)
    new = (await callback_lab.client.post(HANDOFF, headers=bearer(token))).json()["seedURL"]

    assert (await fetch(callback_lab, old + "user-data")).status_code == 404
    assert (await fetch(callback_lab, new.removeprefix(URL_BASE) + "user-data")).status_code == 200


async def test_the_report_token_reports_provisioned_and_every_token_is_revoked(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture
) -> None:
    token, seed_path = await handed_off(callback_lab)
    report = bearer((await meta(callback_lab, seed_path))["beskar7-report-token"])

    with caplog.at_level(logging.INFO):
        done = await callback_lab.client.post(
            PROVISIONED, json={"message": "ok 42"}, headers=report
        )

    assert done.status_code == 202
    annotations = await callback_lab.annotations()
    assert Annotation.PROVISIONED_REQUEST in annotations
    for key in (Annotation.BOOTSTRAP_TOKEN, Annotation.SEED_TOKEN, Annotation.REPORT_TOKEN):
        assert key not in annotations
    assert "reports its operating system is up: ok 42" in caplog.text
    for credential in (report, bearer(token)):
        again = await callback_lab.client.post(PROVISIONED, headers=credential)
        assert again.status_code == 401
    assert (await fetch(callback_lab, seed_path + "user-data")).status_code == 404


async def test_the_report_token_opens_only_the_report_endpoints(
    callback_lab: CallbackLab,
) -> None:
    _, seed_path = await handed_off(callback_lab)
    report = bearer((await meta(callback_lab, seed_path))["beskar7-report-token"])

    assert (await callback_lab.client.post(HANDOFF, headers=report)).status_code == 401
    bootstrap = await callback_lab.client.get(f"/api/v1/bootstrap/{NS}/{HOST}", headers=report)
    assert bootstrap.status_code == 401
    failed = await callback_lab.client.post(FAILED, json={"reason": "disk"}, headers=report)
    assert failed.status_code == 202


async def test_no_callback_is_taken_for_a_ready_host(callback_lab: CallbackLab) -> None:
    token = await provisioning(callback_lab)
    await callback_lab.set_host_status(state="Ready", inspectionPhase="Complete")
    before = await callback_lab.version()

    failed = await callback_lab.client.post(FAILED, json={"reason": "x"}, headers=bearer(token))
    handoff = await callback_lab.client.post(HANDOFF, headers=bearer(token))
    provisioned = await callback_lab.client.post(PROVISIONED, headers=bearer(token))

    assert [r.status_code for r in (failed, handoff, provisioned)] == [401, 401, 401]
    assert await callback_lab.version() == before


async def test_no_seed_document_is_served_once_the_host_is_ready(
    callback_lab: CallbackLab,
) -> None:
    _, seed_path = await handed_off(callback_lab)
    await callback_lab.set_host_status(state="Ready", inspectionPhase="Complete")

    assert (await fetch(callback_lab, seed_path + "user-data")).status_code == 404
    assert (await fetch(callback_lab, seed_path + "meta-data")).status_code == 404


async def test_a_provisioned_message_must_be_a_string(callback_lab: CallbackLab) -> None:
    token = await provisioning(callback_lab)

    response = await callback_lab.client.post(
        PROVISIONED, json={"message": 7}, headers=bearer(token)
    )

    assert (response.status_code, response.json()) == (400, {"detail": "message: must be a string"})
    assert Annotation.PROVISIONED_REQUEST not in await callback_lab.annotations()


async def test_seed_secrets_and_tokens_never_reach_the_logs(
    callback_lab: CallbackLab, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        _, seed_path = await handed_off(callback_lab)
        values = await meta(callback_lab, seed_path)
        await fetch(callback_lab, seed_path + "user-data")

    server = [r for r in caplog.records if r.name.startswith("beskar7.")]  # not the test client
    text = "\n".join(r.getMessage() for r in server)
    assert "served user-data" in text and "served meta-data" in text
    assert seed_path.rstrip("/").rsplit("/", 1)[1] not in text
    assert values["beskar7-report-token"] not in text
    assert "cloud-config" not in text


async def test_two_racing_fetches_of_one_document_serve_it_once(
    callback_lab: CallbackLab,
) -> None:
    _, seed_path = await handed_off(callback_lab)

    answers = await asyncio.gather(
        *(fetch(callback_lab, seed_path + "user-data") for _ in range(4))
    )

    assert sorted(r.status_code for r in answers) == [200, 404, 404, 404]
