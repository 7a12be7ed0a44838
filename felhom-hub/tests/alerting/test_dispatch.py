"""The dispatcher over the real store and a real SMTP server: decisions recorded once per event
and channel, cooldowns, blocked and maintenance skips, claim-then-send with retries."""

import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from felhom_hub.alerting import dispatch
from felhom_hub.alerting.mailer import SmtpMailer
from felhom_hub.config import Settings
from felhom_hub.store import Database, customers, maintenance, notifications
from tests.alerting.peers import smtp_server
from tests.conftest import GLOBAL_AUTH, FakeClock, make_settings, sibling


def configured(settings: Settings, **notifications_: Any) -> Settings:
    data = settings.model_dump(mode="json")
    data["notifications"].update({"operator_email": "ops@example.com", **notifications_})
    return Settings.model_validate(data)


def event(client: TestClient, event_type: str = "backup_failed", severity: str = "error") -> None:
    body = {"customer_id": "acme", "event_type": event_type, "severity": severity, "message": "m"}
    assert client.post("/api/v1/event", json=body, headers=GLOBAL_AUTH).status_code == 201


def prefs(client: TestClient, *enabled: str, cooldown_hours: int = 6) -> None:
    body = {
        "customer_id": "acme",
        "email": "owner@example.com",
        "enabled_events": list(enabled),
        "cooldown_hours": cooldown_hours,
    }
    assert client.post("/api/v1/preferences", json=body, headers=GLOBAL_AUTH).status_code == 200


def log(db: Database) -> list[tuple[str, str, str | None]]:
    with db.read() as conn:
        entries = notifications.log_for(conn, customer_id="acme")
    return [(e.channel, e.status, e.reason) for e in entries]


def test_an_event_is_decided_once_per_channel_and_cooldowns_hold(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    s = configured(settings)
    prefs(client, "backup_failed")
    event(client)
    assert dispatch.decide_once(db, s, clock()) == 1
    assert dispatch.decide_once(db, s, clock()) == 0
    assert log(db) == [("operator", "queued", None), ("customer", "queued", None)]
    clock.advance(minutes=59)
    event(client)
    dispatch.decide_once(db, s, clock())
    assert log(db)[2:] == [("operator", "skipped", "cooldown"), ("customer", "skipped", "cooldown")]
    clock.advance(minutes=2)  # past the operator's hour, inside the customer's six
    event(client)
    dispatch.decide_once(db, s, clock())
    assert log(db)[4:] == [("operator", "queued", None), ("customer", "skipped", "cooldown")]


def test_blocked_and_maintenance_are_recorded_as_skipped(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock, acme: Any
) -> None:
    s = configured(settings)
    with db.write() as conn:
        maintenance.add(
            conn,
            customer_id="acme",
            starts_at=clock(),
            ends_at=clock() + timedelta(hours=1),
            reason="disk swap",
            now=clock(),
        )
    event(client)
    dispatch.decide_once(db, s, clock())
    assert {r for _, _, r in log(db)} == {"maintenance"}
    clock.advance(hours=2)
    with db.write() as conn:
        customers.set_status(conn, customer_id="acme", status="blocked", now=clock())
    event(client, "disk_space_low", "warning")
    dispatch.decide_once(db, s, clock())
    assert {r for _, _, r in log(db)[2:]} == {"blocked"}


def test_two_dispatchers_decide_each_event_once(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    s = configured(settings, operator_cooldown="1s")
    for _ in range(250):
        event(client)
    hubs = [sibling(db), sibling(db)]

    def drain(hub: Database) -> None:
        while dispatch.decide_once(hub, s, clock()):
            pass

    threads = [threading.Thread(target=drain, args=(hub,)) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with db.read() as conn:
        ids = (
            conn.exec_driver_sql("SELECT event_id FROM notification_log WHERE channel = 'operator'")
            .scalars()
            .all()
        )
    assert len(ids) == 250 and len(set(ids)) == 250
    for hub in hubs:
        hub.dispose()


async def test_sending_retries_temporary_failures_and_records_permanent_ones(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    event(client)
    with smtp_server() as (box, port):
        s = configured(settings, smtp={"host": "127.0.0.1", "port": port, "security": "none"})
        dispatch.decide_once(db, s, clock())
        mailer = SmtpMailer(s.notifications)
        box.answers.append("451 greylisted")
        first = await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())
        assert first == dispatch.SendResult(retried=1)
        assert (
            await dispatch.send_once(db, mailer, "hub@felhom.eu", clock()) == dispatch.SendResult()
        )
        clock.advance(seconds=31)  # the first retry waits 30 s
        assert (await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())).sent == 1
        event(client, "disk_space_low", "warning")
        dispatch.decide_once(db, s, clock())
        box.answers.append("550 mailbox unknown")
        assert (await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())).failed == 1
    assert [m["To"] for m in box.messages] == ["ops@example.com"]
    with db.read() as conn:
        entries = [
            e for e in notifications.log_for(conn, customer_id="acme") if e.channel == "operator"
        ]
    assert [(e.status, e.attempts) for e in entries] == [("sent", 2), ("failed", 1)]
    assert entries[1].error is not None and "550" in entries[1].error


async def test_a_claim_whose_sender_died_is_retried_after_the_lease(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    event(client)
    with smtp_server() as (box, port):
        s = configured(settings, smtp={"host": "127.0.0.1", "port": port, "security": "none"})
        dispatch.decide_once(db, s, clock())
        with db.write() as conn:  # a sender claims it, then dies before sending
            [claimed] = notifications.claim_due(conn, now=clock(), lease=dispatch.LEASE, limit=10)
        mailer = SmtpMailer(s.notifications)
        assert (await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())).sent == 0
        clock.advance(minutes=6)
        assert (await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())).sent == 1
        assert (await dispatch.send_once(db, mailer, "hub@felhom.eu", clock())).sent == 0
    assert len(box.messages) == 1 and claimed.status == "sending"


def test_nothing_to_send_without_a_transport(tmp_path: Any) -> None:
    settings = make_settings(tmp_path)
    assert settings.notifications.chosen_transport.value == "none"


def test_two_senders_claiming_at_once_never_claim_one_notification_twice(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    s = configured(settings, operator_cooldown="1s")
    for _ in range(120):  # each past the operator's cooldown: 120 queued mails
        event(client)
        dispatch.decide_once(db, s, clock())
        clock.advance(seconds=2)
    hubs = [sibling(db) for _ in range(4)]
    claims: list[int] = []
    barrier = threading.Barrier(len(hubs))

    def claim(hub: Database) -> None:
        barrier.wait(timeout=10)
        for _ in range(100):
            with hub.write() as conn:
                got = notifications.claim_due(conn, now=clock(), lease=dispatch.LEASE, limit=7)
            if not got:
                return
            claims.extend(e.id for e in got)

    threads = [threading.Thread(target=claim, args=(hub,)) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for hub in hubs:
        hub.dispose()
    assert len(claims) == 120 and len(set(claims)) == 120


def test_a_sender_slower_than_the_lease_does_not_overwrite_the_next_claim(
    client: TestClient, db: Database, settings: Settings, clock: FakeClock
) -> None:
    event(client)
    dispatch.decide_once(db, configured(settings), clock())
    with db.write() as conn:
        [slow] = notifications.claim_due(conn, now=clock(), lease=dispatch.LEASE, limit=10)
    clock.advance(minutes=6)
    with db.write() as conn:  # the lease passed: another sender claims it again
        [again] = notifications.claim_due(conn, now=clock(), lease=dispatch.LEASE, limit=10)
    assert again.id == slow.id and again.attempts == 2
    with db.write() as conn:  # the slow sender's late failure is not recorded over the claim
        assert not notifications.finish(
            conn,
            entry_id=slow.id,
            status="failed",
            now=clock(),
            error="late",
            claimed_at=slow.claimed_at,
        )
        assert notifications.finish(
            conn, entry_id=again.id, status="sent", now=clock(), claimed_at=again.claimed_at
        )
        entries = notifications.log_for(conn, customer_id="acme")
    assert [(e.status, e.error) for e in entries if e.id == slow.id] == [("sent", None)]
