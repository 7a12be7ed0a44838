"""Maintenance windows from the customer page through the ASGI app: open, list, remove, refuse."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, maintenance
from tests.conftest import FakeClock, add_customer, make_settings
from tests.web.helpers import PASSWORD, csrf_of, seed_report


@pytest.fixture
def web(tmp_path: Path, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, auth={"password_hash": hash_password(PASSWORD)})
    with TestClient(create_app(settings, db=db, clock=clock, run_jobs=False)) as client:
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"csrf": token, "password": PASSWORD})
        yield client


def _windows(db: Database, clock: FakeClock, customer_id: str) -> list[maintenance.Window]:
    with db.read() as conn:
        return maintenance.windows(conn, customer_id=customer_id, ending_after=clock.now)


def _section(html: str) -> str:
    return html.split('id="maintenance"')[1].split("</section>")[0]


def test_open_list_and_remove_a_window(web: TestClient, db: Database, clock: FakeClock) -> None:
    add_customer(db, "acme")
    page = web.get("/customers/acme").text
    assert 'name="start" value="2026-11-22T13:00"' in page  # now, Budapest time
    form = {"csrf": csrf_of(page), "start": "2026-11-22T12:30", "hours": "3", "reason": "<b>x"}
    answer = web.post("/customers/acme/maintenance", data=form)
    assert answer.status_code == 200 and answer.url.path == "/customers/acme"
    (window,) = _windows(db, clock, "acme")
    assert (window.starts_at, window.ends_at) == (
        clock.now - timedelta(minutes=30),
        clock.now + timedelta(hours=2, minutes=30),
    )
    shown = _section(answer.text)
    assert "2026-11-22 12:30 CET" in shown and "2026-11-22 15:30 CET" in shown
    assert "active now" in shown and "&lt;b&gt;x" in shown and "<b>x" not in shown
    remove = f"/customers/acme/maintenance/{window.id}/remove"
    answer = web.post(remove, data={"csrf": csrf_of(answer.text)})
    assert answer.status_code == 200 and _windows(db, clock, "acme") == []
    assert "No maintenance window open or planned." in _section(answer.text)
    assert web.post(remove, data={"csrf": csrf_of(answer.text)}).status_code == 404


def test_a_manual_customer_has_windows_too(web: TestClient, db: Database, clock: FakeClock) -> None:
    seed_report(db, "solo", clock.now)
    page = web.get("/customers/solo").text
    form = {"csrf": csrf_of(page), "start": "2026-11-23T08:00", "hours": "1", "reason": "move"}
    shown = _section(web.post("/customers/solo/maintenance", data=form).text)
    assert "2026-11-23 08:00 CET" in shown and "move" in shown and "active now" not in shown


def test_posts_without_the_csrf_token_are_refused(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    add_customer(db, "acme")
    with db.write() as conn:
        window_id = maintenance.add(
            conn,
            customer_id="acme",
            starts_at=clock.now,
            ends_at=clock.now + timedelta(hours=1),
            reason="",
            now=clock.now,
        )
    for form in ({}, {"csrf": "0" * 64}):
        opened = web.post("/customers/acme/maintenance", data={**form, "hours": "1"})
        removed = web.post(f"/customers/acme/maintenance/{window_id}/remove", data=form)
        assert (opened.status_code, removed.status_code) == (403, 403)
    assert [w.id for w in _windows(db, clock, "acme")] == [window_id]


@pytest.mark.parametrize(
    ("path", "fields", "status", "message"),
    [
        ("/customers/acme/maintenance", {"hours": "0"}, 400, "more than 0 and at most 720"),
        ("/customers/acme/maintenance", {"start": "soon"}, 400, "is not a time like"),
        ("/customers/acme/maintenance", {"reason": "x" * 501}, 400, "at most 500 characters"),
        ("/customers/nobody/maintenance", {"hours": "1"}, 404, "No such customer."),
        ("/customers/acme/maintenance/x1/remove", {}, 400, "is not a number"),
        ("/customers/acme/maintenance/99/remove", {}, 404, "No maintenance window 99"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    web: TestClient,
    db: Database,
    clock: FakeClock,
    path: str,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    add_customer(db, "acme")
    answer = web.post(path, data={"csrf": csrf_of(web.get("/customers/acme").text), **fields})
    assert answer.status_code == status and message in answer.text
    assert _windows(db, clock, "acme") == [] and _windows(db, clock, "nobody") == []
