"""The dashboard through the ASGI app: access, sessions, CSRF, pages and actions."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, customers, operator
from felhom_hub.web.login_limit import PER_CLIENT
from tests.conftest import GLOBAL_AUTH, FakeClock, add_customer, make_settings, report_body
from tests.web.helpers import PASSWORD, csrf_of, seed_event, seed_report

HASH = hash_password(PASSWORD)


def _client(settings: Settings, db: Database, clock: FakeClock) -> TestClient:
    return TestClient(create_app(settings, db=db, clock=clock, run_jobs=False))


@pytest.fixture
def secured(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, auth={"password_hash": HASH, "trusted_proxies": ["127.0.0.9"]})


@pytest.fixture
def web(secured: Settings, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    with _client(secured, db, clock) as client:
        yield client


def login(client: TestClient, password: str = PASSWORD) -> int:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"csrf": token, "password": password}, follow_redirects=False
    )
    return answer.status_code


def test_pages_need_a_login(web: TestClient) -> None:
    for path in ("/", "/configs", "/customers/acme"):
        answer = web.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")


def test_login_sets_a_strict_cookie_and_opens_the_fleet(web: TestClient) -> None:
    token = csrf_of(web.get("/login").text)
    answer = web.post("/login", data={"csrf": token, "password": PASSWORD}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert "max-age=604800" in cookie
    page = web.get("/")
    assert page.status_code == 200 and "<h1>Fleet</h1>" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_cookie_is_secure_behind_a_trusted_https_proxy(
    secured: Settings, db: Database, clock: FakeClock
) -> None:
    https = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7"}
    with TestClient(
        create_app(secured, db=db, clock=clock, run_jobs=False), client=("127.0.0.9", 5000)
    ) as proxied:
        assert "secure" in proxied.get("/login", headers=https).headers["set-cookie"].lower()
    with _client(secured, db, clock) as direct:  # the header from an untrusted peer is ignored
        assert "secure" not in direct.get("/login", headers=https).headers["set-cookie"].lower()


def test_a_wrong_password_is_refused_and_then_rate_limited(web: TestClient) -> None:
    for _ in range(PER_CLIENT):
        assert login(web, "wrong password") == 401
    answer_code = login(web)  # even the right one, while locked out
    assert answer_code == 429
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_form_without_its_csrf_token_is_refused(web: TestClient) -> None:
    answer = web.post("/login", data={"password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_new_password_hash_ends_the_session(
    web: TestClient, tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    assert login(web) == 303
    cookies = dict(web.cookies)
    changed = make_settings(tmp_path, auth={"password_hash": hash_password("another password")})
    with _client(changed, db, clock) as after:
        after.cookies.update(cookies)
        assert after.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(web: TestClient) -> None:
    assert login(web) == 303
    token = csrf_of(web.get("/").text)
    assert web.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_legacy_bcrypt_hash_logs_in_and_is_upgraded_to_argon2(
    tmp_path: Path, db: Database, clock: FakeClock
) -> None:
    import bcrypt

    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    settings = make_settings(tmp_path, auth={"password_hash": legacy})
    with _client(settings, db, clock) as client:
        assert login(client, "wrong password") == 401
        with db.read() as conn:
            assert operator.upgraded_hash(conn, configured=legacy) is None
        assert login(client) == 303
        with db.read() as conn:
            upgraded = operator.upgraded_hash(conn, configured=legacy)
        assert upgraded is not None and upgraded.startswith("$argon2id$")
        assert client.get("/").status_code == 200  # the upgrade does not end the session
        assert login(client) == 303  # later logins verify against the Argon2 hash
        with db.read() as conn:
            assert operator.upgraded_hash(conn, configured=legacy) == upgraded
    replaced = make_settings(tmp_path, auth={"password_hash": HASH})
    with _client(replaced, db, clock) as client, db.read() as conn:
        assert operator.upgraded_hash(conn, configured=HASH) is None  # the old upgrade is moot
        assert login(client) == 303


def test_the_fleet_shows_statuses_badges_and_hides_blocked(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    add_customer(db, "pending-co")
    add_customer(db, "gone-co")
    seed_report(db, "ok-co", clock.now - timedelta(minutes=2))
    seed_report(db, "gone-co", clock.now - timedelta(hours=3))
    with db.write() as conn:
        customers.set_status(conn, customer_id="gone-co", status="blocked", now=clock.now)
    seed_event(db, "ok-co", "error", clock.now - timedelta(hours=1))
    seed_event(db, "ok-co", "warning", clock.now - timedelta(hours=2))
    seed_event(db, "ok-co", "error", clock.now - timedelta(hours=30))  # outside 24 h
    assert login(web) == 303
    html = web.get("/").text
    assert 'data-customer="ok-co"' in html and 'data-customer="pending-co"' in html
    assert "gone-co" not in html
    assert 'data-errors="1"' in html and 'data-warnings="1"' in html
    assert 'data-count="PENDING">PENDING <b>1</b>' in html
    configs = web.get("/configs").text
    assert 'class="blocked"' in configs and 'data-status="BLOCKED"' in configs
    assert 'data-type="MANUAL"' in configs


def test_bad_parameters_get_a_clear_400(web: TestClient) -> None:
    assert login(web) == 303
    assert "status must be one of" in web.get("/?status=NOPE").text
    assert web.get("/?sort=x").status_code == 400
    assert web.get("/customers/x?period=5y").status_code == 400
    assert web.get("/customers/nobody").status_code == 404


def test_block_unblock_needs_csrf_and_round_trips(web: TestClient, db: Database) -> None:
    add_customer(db, "acme")
    assert login(web) == 303
    page = web.get("/customers/acme").text
    assert web.post("/customers/acme/block", data={}, follow_redirects=False).status_code == 403
    with db.read() as conn:
        assert not customers.get(conn, customer_id="acme").blocked  # type: ignore[union-attr]
    answer = web.post("/customers/acme/block", data={"csrf": csrf_of(page)})
    assert answer.status_code == 200 and 'id="blocked-banner"' in answer.text
    assert "acme" not in web.get("/").text.split("<tbody>")[1]
    answer = web.post("/customers/acme/unblock", data={"csrf": csrf_of(answer.text)})
    assert 'id="blocked-banner"' not in answer.text and 'id="block"' in answer.text


def test_a_deleted_customer_comes_back_as_manual_when_it_reports(
    web: TestClient, db: Database
) -> None:
    add_customer(db, "acme")
    assert login(web) == 303
    assert 'href="/customers/acme/delete"' in web.get("/customers/acme").text
    confirm = web.get("/customers/acme/delete")  # asks first, changes nothing
    assert confirm.status_code == 200 and 'id="confirm-delete"' in confirm.text
    assert web.get("/customers/acme").status_code == 200
    assert web.post("/customers/acme/delete", data={}).status_code == 403
    token = csrf_of(confirm.text)
    assert web.post("/customers/acme/delete", data={"csrf": token}).url.path == "/configs"
    assert web.get("/customers/acme").status_code == 404
    assert web.post("/api/v1/report", json=report_body(), headers=GLOBAL_AUTH).status_code == 201
    assert 'data-type="MANUAL"' in web.get("/configs").text


def test_controller_text_is_escaped_and_made_inert(
    web: TestClient, db: Database, clock: FakeClock
) -> None:
    hostile = "<script>alert(1)</script>\u202eevil\x00"
    seed_report(
        db,
        "acme",
        clock.now,
        hostname=hostile,
        containers=[{"name": "<img src=x>", "state": "running"}],
    )
    assert login(web) == 303
    for html in (web.get("/").text, web.get("/customers/acme").text):
        assert "<script>alert" not in html and "\u202e" not in html and "\x00" not in html
        # PostgreSQL's text holds no NUL: it keeps U+FFFD (store/postgres.py), shown as such.
        nul = "\\u0000" if db.kind == "sqlite" else "\ufffd"
        assert f"&lt;script&gt;alert(1)&lt;/script&gt;\\u202eevil{nul}" in html
    assert "&lt;img src=x&gt;" in web.get("/customers/acme").text


def test_an_open_dashboard_needs_no_login(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    with _client(settings, db, clock) as client:
        page = client.get("/", follow_redirects=False)
        assert page.status_code == 200 and "Log out" not in page.text
