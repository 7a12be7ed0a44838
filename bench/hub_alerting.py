"""felhom-hub alerting benchmark: the staleness sweep at 100,000 customers, and notifications
dispatched per second to a local SMTP server (aiosmtpd).

    uv run python bench/hub_alerting.py [--customers 100000] [--due 100] [--mails 500]
"""

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from felhom_hub.alerting import dispatch
from felhom_hub.alerting.mailer import SmtpMailer
from felhom_hub.config import Settings
from felhom_hub.jobs import staleness
from felhom_hub.store import Database, events

T = timedelta(minutes=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def fill(db: Database, customers: int, due: int) -> None:
    """``customers`` reporting customers; ``due`` of them silent for 31 minutes."""
    fresh = int(NOW.timestamp()) + 600
    rows = []
    for n in range(customers):
        received = NOW - (timedelta(minutes=31) if n < due else timedelta(minutes=20))
        alert_after = int((received + T).timestamp()) if n < due else fresh
        rows.append(
            (f"c{n:06d}", received.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), alert_after, f"node-{n}")
        )
    with db.write() as conn:
        conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
            "INSERT INTO fleet (customer_id, report_id, received_at, controller_version, health,"
            " hostname, monitoring_paused, alert_state, alert_after)"
            " VALUES (?, 1, ?, '1.0', 'ok', ?, 0, 'up', ?)",
            [(c, r, h, a) for c, r, a, h in rows],
        )


def time_sweeps(db: Database, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        staleness.sweep(db, now=NOW, default_threshold=T)
        timings.append((time.perf_counter() - began) * 1000)
    return timings


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


async def send_all(db: Database, settings: Settings, mails: int) -> float:
    mailer = SmtpMailer(settings.notifications)
    began = time.perf_counter()
    sent = 0
    for _ in range(mails):  # bounded: each pass sends at least one or the loop ends
        result = await dispatch.send_once(db, mailer, "hub@felhom.eu", NOW)
        sent += result.sent
        if not result.sent:
            break
    elapsed = time.perf_counter() - began
    if sent != mails:
        raise SystemExit(f"sent {sent} of {mails}")
    return mails / elapsed


def notifications(folder: Path, mails: int) -> float:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        data = {
            "server": {"data_dir": str(folder)},
            "notifications": {
                "operator_email": "ops@example.com",
                "operator_cooldown": "1s",
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            },
        }
        settings = Settings.model_validate(data)
        db = Database(folder / "mail.db")
        db.migrate()
        with db.write() as conn:
            for n in range(mails):
                events.add(
                    conn,
                    customer_id=f"c{n}",
                    event_type="backup_failed",
                    severity="error",
                    message="m",
                    details_json="{}",
                    source="controller",
                    occurred_at=None,
                    received_at=NOW,
                )
        while dispatch.decide_once(db, settings, NOW):
            pass
        rate = asyncio.run(send_all(db, settings, mails))
        db.dispose()
        if sink.count != mails:
            raise SystemExit(f"the SMTP server got {sink.count} of {mails}")
        return rate
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--mails", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(folder / "hub.db")
        db.migrate()
        fill(db, args.customers, args.due)
        idle = time_sweeps(db, 1)  # warm
        idle = time_sweeps(db, 20)
        print(
            f"{args.customers:,} customers, none due: sweep p50 {statistics.median(idle):.2f} ms,"
            f" max {max(idle):.2f} ms (20 runs)"
        )
        db.dispose()
        db = Database(folder / "hub.db")
        fill_due = Database(folder / "due.db")
        fill_due.migrate()
        fill(fill_due, args.customers, args.due)
        began = time.perf_counter()
        found = staleness.sweep(fill_due, now=NOW, default_threshold=T)
        took = (time.perf_counter() - began) * 1000
        print(f"{args.customers:,} customers, {args.due} due: sweep {took:.1f} ms ({found})")
        fill_due.dispose()
        db.dispose()
        rate = notifications(folder, args.mails)
        print(f"notifications to a local SMTP server: {rate:,.0f} per second ({args.mails} mails)")


if __name__ == "__main__":
    main()
