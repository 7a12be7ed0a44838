"""Hostile and odd input: anything acknowledged can be read back; everything refused is
refused with a JSON 4xx that quotes nothing, and stores nothing. Each case here answered 201
(then 500 on every read) or 500 on the first hub."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from felhom_hub.store import Database, events, infra_backups, reports
from tests.api.test_ingest import backup_body
from tests.conftest import GLOBAL_AUTH, Customer, FakeClock, report_body

JSON = {**GLOBAL_AUTH, "Content-Type": "application/json"}


def stored(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return (
            reports.count(conn),
            events.count(conn),
            infra_backups.count(conn, customer_id="acme"),
        )


def raw_report(**extra: Any) -> str:
    return json.dumps(report_body(**extra), ensure_ascii=False)


BAD_BODIES = {
    "utf-8 byte-order mark": (b"\xef\xbb\xbf" + raw_report().encode(), 415),
    "utf-16": (raw_report().encode("utf-16"), 415),
    "utf-16-le without a mark": (raw_report().encode("utf-16-le"), 415),
    "utf-32": (raw_report().encode("utf-32"), 415),
    "invalid utf-8": (raw_report(x="é").encode().replace(b"\xc3\xa9", b"\xc3\x28"), 400),
    "lone surrogate in a value": (raw_report(x="PLACE").replace("PLACE", "\\ud800").encode(), 400),
    "lone surrogate in a key": (raw_report(x=1).replace('"x"', '"\\udfff"').encode(), 400),
    "nested 33 deep": (raw_report(x="PLACE").replace('"PLACE"', "[" * 33 + "]" * 33).encode(), 400),
    "nested 100000 deep": (raw_report(x="PLACE").replace('"PLACE"', "[" * 100000).encode(), 400),
    "NaN": (raw_report(x="PLACE").replace('"PLACE"', "NaN").encode(), 400),
    "Infinity": (raw_report(x="PLACE").replace('"PLACE"', "-Infinity").encode(), 400),
    "1e999": (raw_report(x="PLACE").replace('"PLACE"', "1e999").encode(), 400),
    "duplicate customer_id": (('{"customer_id":"globex",' + raw_report()[1:]).encode(), 400),
    "duplicate nested key": (
        raw_report(x="PLACE").replace('"PLACE"', '{"a":1,"a":2}').encode(),
        400,
    ),
    "5000-digit integer": (raw_report(x="PLACE").replace('"PLACE"', "9" * 5000).encode(), 400),
}


@pytest.mark.parametrize("case", BAD_BODIES)
def test_unreadable_report_bodies_are_refused_and_store_nothing(
    client: TestClient, db: Database, case: str
) -> None:
    body, code = BAD_BODIES[case]
    response = client.post("/api/v1/report", content=body, headers=JSON)
    assert response.status_code == code, response.text
    assert response.headers["content-type"] == "application/json"
    assert len(response.content) < 300  # says what is wrong, quotes nothing
    assert stored(db) == (0, 0, 0)
    assert client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH).status_code == 404


@pytest.mark.parametrize("case", ["lone surrogate in a value", "NaN", "duplicate nested key"])
def test_the_same_holds_for_events_and_infra_backups(
    client: TestClient, db: Database, case: str
) -> None:
    good_event = {"customer_id": "acme", "event_type": "backup_failed", "severity": "error"}
    for path, body in (
        ("/api/v1/event", {**good_event, "message": "PLACE"}),
        ("/api/v1/infra-backup", backup_body(note="PLACE")),
    ):
        bad = {
            "lone surrogate in a value": '"\\ud800"',
            "NaN": "NaN",
            "duplicate nested key": '{"a":1,"a":2}',
        }[case]
        text = json.dumps(body).replace('"PLACE"', bad)
        assert client.post(path, content=text, headers=JSON).status_code in (400, 422)
    assert stored(db) == (0, 0, 0)


def test_nesting_up_to_the_bound_and_non_ascii_text_round_trip(client: TestClient) -> None:
    deep: Any = "bottom"
    for _ in range(30):  # the report itself is level 1, "x" level 2
        deep = [deep]
    body = report_body(x=deep, note="árvíztűrő tükörfúrógép ✓ 🚀", hostname="node-é")
    assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201
    latest = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH).json()["report"]
    assert latest["x"] == deep and latest["note"] == body["note"]
    raw = client.get("/api/v1/customers/acme/reports", headers=GLOBAL_AUTH).json()
    assert raw["reports"][0]["report"] == body
    assert client.get("/api/v1/customers/acme/history", headers=GLOBAL_AUTH).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "2026-11-22T12:00:00"),  # no time zone
        ("timestamp", "9999-12-31T23:59:59-14:00"),
        ("timestamp", "0001-01-01T00:00:00+14:00"),
        ("timestamp", "1969-12-31T23:59:59Z"),
    ],
)
def test_timestamps_without_a_zone_or_out_of_range_are_422(
    client: TestClient, db: Database, field: str, value: str
) -> None:
    response = client.post(
        "/api/v1/report", json=report_body(**{field: value}), headers=GLOBAL_AUTH
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert stored(db) == (0, 0, 0)


@pytest.mark.parametrize("value", ["2026-11-22T12:00:00", "9999-12-31T23:59:59Z"])
def test_event_times_are_checked_the_same_way(client: TestClient, value: str) -> None:
    event = {
        "customer_id": "acme",
        "event_type": "backup_failed",
        "severity": "error",
        "message": "m",
        "occurred_at": value,
    }
    assert client.post("/api/v1/event", json=event, headers=GLOBAL_AUTH).status_code == 422


def test_backup_times_too(client: TestClient) -> None:
    backups = [
        {"kind": "restic", "target": "a", "status": "ok", "last_success_at": "0001-01-01T00:00:00Z"}
    ]
    response = client.post("/api/v1/report", json=report_body(backups=backups), headers=GLOBAL_AUTH)
    assert response.status_code == 422


def test_a_huge_rejected_value_is_not_reflected(client: TestClient) -> None:
    secret = "s3cr3t-" * 30000  # ~200 KB
    event = {"customer_id": "acme", "event_type": secret, "severity": "error", "message": "m"}
    response = client.post("/api/v1/event", json=event, headers=GLOBAL_AUTH)
    assert response.status_code == 422
    assert "s3cr3t" not in response.text and len(response.content) < 2000


def test_numbers_too_large_to_store_are_422_not_500(client: TestClient, db: Database) -> None:
    for system in ({"memory_used_bytes": 10**30}, {"load_average": [1e300]}):
        response = client.post(
            "/api/v1/report", json=report_body(system=system), headers=GLOBAL_AUTH
        )
        assert response.status_code == 422
    assert stored(db) == (0, 0, 0)


class TestLimits:
    def test_a_customer_key_over_its_rate_gets_429_with_retry_after(
        self, client: TestClient, db: Database, acme: Customer, clock: FakeClock
    ) -> None:
        client.app.state.limiter.per_minute = 3  # type: ignore[attr-defined]
        codes = [
            client.post("/api/v1/report", json=report_body(), headers=acme.auth).status_code
            for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        refused = client.post("/api/v1/report", json=report_body(), headers=acme.auth)
        assert int(refused.headers["retry-after"]) >= 1
        assert stored(db)[0] == 3
        clock.advance(seconds=20)  # one token back
        ok = client.post("/api/v1/report", json=report_body(), headers=acme.auth)
        assert ok.status_code == 201

    def test_the_daily_byte_budget_is_per_key_and_renews_at_midnight(
        self, client: TestClient, db: Database, acme: Customer, clock: FakeClock
    ) -> None:
        limiter = client.app.state.limiter  # type: ignore[attr-defined]
        limiter.daily_bytes = 2500
        body = report_body(pad="x" * 1000)
        assert client.post("/api/v1/report", json=body, headers=acme.auth).status_code == 201
        over = client.post("/api/v1/report", json=body, headers=acme.auth)
        assert over.status_code == 429 and "budget" in over.json()["detail"]
        assert int(over.headers["retry-after"]) == 12 * 3600  # START is noon UTC
        assert stored(db)[0] == 1
        # The operator's global key is not limited.
        assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201
        clock.advance(hours=12)
        assert client.post("/api/v1/report", json=body, headers=acme.auth).status_code == 201

    def test_unknown_keys_are_refused_before_the_body_is_looked_at(
        self, client: TestClient
    ) -> None:
        # An unauthenticated malformed body: 401, not 400 (the body was never parsed).
        response = client.post(
            "/api/v1/report",
            content=b"\xef\xbb\xbfnot json",
            headers={"Authorization": "Bearer nope"},
        )
        assert response.status_code == 401


def test_every_error_is_json_and_head_healthz_works(client: TestClient) -> None:
    for response in (
        client.get("/nowhere"),
        client.delete("/api/v1/report", headers=GLOBAL_AUTH),
        client.post("/api/v1/report", content=b"{", headers=JSON),
    ):
        assert response.status_code >= 400
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""


def test_an_unexpected_error_is_a_json_500_without_details(
    settings: Any, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from felhom_hub.app import create_app
    from felhom_hub.store import series

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(series, "add", broken)
    app = create_app(settings, db=db, clock=clock, run_jobs=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/report", json=report_body(), headers=GLOBAL_AUTH)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the hub's log"}
    assert stored(db) == (0, 0, 0)  # the report's transaction rolled back whole


def test_a_mount_fuller_than_full_is_capped_not_a_500(client: TestClient) -> None:
    storage = [{"mount_point": "/", "total_bytes": 1, "used_bytes": 2**63 - 1}]
    response = client.post("/api/v1/report", json=report_body(storage=storage), headers=GLOBAL_AUTH)
    assert response.status_code == 201
    history = client.get("/api/v1/customers/acme/history?period=1h", headers=GLOBAL_AUTH).json()
    assert history["points"][0]["disk_used_percent_max"] == 1000.0
