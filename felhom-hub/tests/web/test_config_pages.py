"""The config form through the ASGI app: create (credentials shown once), inline errors,
edit with masked secrets kept, CSRF, and the customer page's config panel."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.configs import records
from felhom_hub.configs.diff import MASK
from felhom_hub.configs.model import StoredConfig
from felhom_hub.secrets import hash_password, token_hash
from felhom_hub.store import Database, customers, templates
from tests.conftest import START, FakeClock, make_settings
from tests.web.helpers import PASSWORD, csrf_of, seed_report

TOKEN = "cf-token-that-must-not-leak-123"


@pytest.fixture
def web(tmp_path: Path, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path,
        auth={"password_hash": hash_password(PASSWORD)},
        configs={"hub_url": "https://hub.example"},
    )
    with TestClient(create_app(settings, db=db, clock=clock, run_jobs=False)) as client:
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"csrf": token, "password": PASSWORD})
        yield client


def form(page: str, **fields: str) -> dict[str, str]:
    values = {
        "csrf": csrf_of(page),
        "customer_id": "acme",
        "display_name": "Acme Kft.",
        "contact_email": "ops@acme.example",
        "hostname": "acme-node-1",
        "tokens": f"cloudflare: {TOKEN}\n",
        "cooldown_hours": "6",
        "event_backup_failed": "on",
        "overrides": "report:\n  interval_seconds: 300\n",
    }
    return {**values, **fields}


def create(web: TestClient) -> str:
    answer = web.post("/configs/new", data=form(web.get("/configs/new").text))
    assert answer.status_code == 200
    return answer.text


def stored(web: TestClient, db: Database) -> StoredConfig:
    with db.read() as conn:
        found = records.load(conn, web.app.state.vault, "acme")  # type: ignore[attr-defined]
    assert found is not None
    return found


def test_create_shows_the_credentials_once(web: TestClient, db: Database) -> None:
    page = create(web)
    key = re.search(r'id="issued-api-key">([^<]+)<', page)
    password = re.search(r'id="issued-retrieval-password">([^<]+)<', page)
    assert key and password and "Shown once" in page
    assert "https://hub.example/api/v1/config/acme" in page
    with db.read() as conn:
        customer = customers.get(conn, customer_id="acme")
    assert customer is not None
    assert customer.retrieval_password_hash == token_hash(password.group(1))
    assert stored(web, db).credentials.api_key == key.group(1)
    customer_page = web.get("/customers/acme").text
    assert key.group(1) not in customer_page and password.group(1) not in customer_page
    assert TOKEN not in customer_page
    assert "interval_seconds: 300" in customer_page and f"cloudflare: {MASK}" in customer_page
    download = web.get("/api/v1/config/acme", headers={"X-Retrieval-Password": password.group(1)})
    assert TOKEN in download.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer_id", "bad id!", "should match pattern"),
        ("display_name", "", "at least 1 character"),
        ("contact_email", "not-mail", "is not an e-mail address"),
        ("hostname", "-x-", "should match pattern"),
        ("tokens", "no colon here", "line 1: write it as 'name: value'"),
        ("overrides", "a: [unclosed", "not valid YAML"),
        ("overrides", "- a list", "must be a YAML mapping"),
        ("overrides", "hub: {api_key: sneaky}", "hub.api_key is set by the form"),
        ("stale_threshold_minutes", "0", "greater than or equal to 1"),
        ("cooldown_hours", "soon", "must be a whole number"),
    ],
)
def test_bad_fields_get_inline_errors_and_nothing_is_stored(
    web: TestClient, db: Database, field: str, value: str, message: str
) -> None:
    page = web.get("/configs/new").text
    answer = web.post("/configs/new", data=form(page, **{field: value}))
    assert answer.status_code == 400
    error = re.search(rf'id="error-{field}" role="alert">([^<]+)<', answer.text)
    assert error and message in error.group(1).replace("&#39;", "'")
    assert 'id="form-errors"' in answer.text
    with db.read() as conn:
        assert customers.get(conn, customer_id="acme") is None


def test_edit_shows_secrets_masked_and_keeps_them(web: TestClient, db: Database) -> None:
    create(web)
    page = web.get("/configs/acme/edit").text
    assert TOKEN not in page and f"cloudflare: {MASK}" in page
    assert 'value="Acme Kft."' in page
    fields = form(page, display_name="Acme Zrt.", tokens=f"cloudflare: {MASK}\nnew: n-token\n")
    fields.pop("customer_id")
    answer = web.post("/configs/acme/edit", data=fields)
    assert answer.status_code == 200 and answer.url.path == "/customers/acme"
    after = stored(web, db)
    assert after.config.display_name == "Acme Zrt."
    assert after.config.tokens == {"cloudflare": TOKEN, "new": "n-token"}


def test_a_second_create_is_refused(web: TestClient) -> None:
    create(web)
    answer = web.post("/configs/new", data=form(web.get("/configs/new").text))
    assert answer.status_code == 409 and "already has a config" in answer.text


def test_forms_without_csrf_change_nothing(web: TestClient, db: Database) -> None:
    answer = web.post("/configs/new", data={**form(web.get("/configs/new").text), "csrf": "0"})
    assert answer.status_code == 403
    with db.read() as conn:
        assert customers.get(conn, customer_id="acme") is None


def test_create_config_from_a_manual_customers_report(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    seed_report(db, "solo", clock.now, hostname="solo-box")
    page = web.get("/customers/solo").text
    assert 'id="create-config-top"' in page
    answer = web.post("/customers/solo/create-config", data={"csrf": csrf_of(page)})
    assert answer.status_code == 200 and 'id="issued-api-key"' in answer.text
    assert 'href="/configs/solo/edit"' in answer.text
    edit = web.get("/configs/solo/edit").text
    assert 'value="solo-box"' in edit
    page = web.get("/customers/solo").text
    assert "MANAGED" in page and 'id="yaml-preview"' in page


def test_regenerate_shows_the_new_key_once(web: TestClient, db: Database) -> None:
    create(web)
    old = stored(web, db).credentials.api_key
    page = web.get("/customers/acme").text
    answer = web.post("/customers/acme/regenerate/api-key", data={"csrf": csrf_of(page)})
    new = re.search(r'id="issued-api-key">([^<]+)<', answer.text)
    assert new and new.group(1) != old
    after = stored(web, db).credentials
    assert after.api_key == new.group(1) and after.previous_api_key == old
    assert 'id="key-pending"' in web.get("/customers/acme").text
    answer = web.post("/customers/acme/regenerate/retrieval-password", data={"csrf": csrf_of(page)})
    password = re.search(r'id="issued-retrieval-password">([^<]+)<', answer.text)
    assert password
    download = web.get("/api/v1/config/acme", headers={"X-Retrieval-Password": password.group(1)})
    assert download.status_code == 200


def test_delete_removes_the_config_and_reports_make_it_manual(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    create(web)
    page = web.get("/customers/acme/delete").text
    assert web.post("/customers/acme/delete", data={"csrf": csrf_of(page)}).status_code == 200
    seed_report(db, "acme", clock.now)
    page = web.get("/customers/acme").text
    assert "MANUAL" in page and 'id="create-config-top"' in page
    with db.read() as conn:
        assert records.load(conn, web.app.state.vault, "acme") is None  # type: ignore[attr-defined]


def test_a_new_stale_threshold_rearms_the_dead_mans_switch(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    create(web)
    seed_report(db, "acme", clock.now)
    fields = form(web.get("/configs/acme/edit").text, stale_threshold_minutes="90")
    assert web.post("/configs/acme/edit", data=fields).status_code == 200
    with db.read() as conn:
        (alert_after,) = conn.exec_driver_sql(
            "SELECT alert_after FROM fleet WHERE customer_id = 'acme'"
        ).one()
    assert alert_after == int(clock.now.timestamp()) + 90 * 60


def test_a_failed_template_refresh_is_shown(web: TestClient, db: Database) -> None:
    create(web)
    with db.write() as conn:
        templates.record_failure(
            conn, source="https://git.example/t?token=s3cr3t", error="HTTP 500", now=START
        )
    page = web.get("/customers/acme").text
    assert 'id="template-error"' in page and "HTTP 500" in page
    assert "s3cr3t" not in page and "https://git.example/t" not in page  # package example used


def test_a_template_url_is_shown_without_its_credentials(web: TestClient, db: Database) -> None:
    create(web)
    body = "identity: {}\nhub: {}\n"
    with db.write() as conn:
        templates.record_good(
            conn,
            source="https://user:pw@git.example:3000/raw/t?token=s3cr3t",
            body=body,
            etag=None,
            last_modified=None,
            now=START,
        )
    page = web.get("/customers/acme").text
    assert "https://git.example:3000/raw/t" in page
    assert "s3cr3t" not in page and "user:pw" not in page
