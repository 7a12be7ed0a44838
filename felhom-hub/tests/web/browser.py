"""Debian's Chromium driven by Playwright (no browser download), and the hub seeded for it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from felhom_hub.jobs.schedule import HUB_TZ
from felhom_hub.secrets import hash_password
from felhom_hub.store import Database, customers
from tests.conftest import add_customer
from tests.hub_process import HubProcess, start_hub
from tests.web.helpers import PASSWORD, seed_event, seed_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
HISTORY_POINTS = 12  # reports two hours apart over the last day
XSS_HOST = "<script>window.pwned=1</script>\u202eevil"


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class SeededHub:
    hub: HubProcess
    pending_key: str


def seed(data_dir: Path) -> str:
    """The cast: ok/warn/down/pending/manual/blocked/xss customers; the pending one's key."""
    now = datetime.now(UTC)
    db = Database(data_dir / "hub.db")
    db.migrate()
    for customer_id in ("ok-co", "warn-co", "down-co", "blocked-co", "xss-co"):
        add_customer(db, customer_id, now)
    pending_key = add_customer(db, "pending-co", now).api_key
    for hours in range(HISTORY_POINTS - 1, -1, -1):
        cpu = 10.0 + 5 * hours
        at = now - timedelta(hours=2 * hours, minutes=1)
        seed_report(
            db,
            "ok-co",
            at,
            system={
                "cpu_percent": cpu,
                "memory_used_bytes": (hours + 2) << 29,
                "memory_total_bytes": 16 << 30,
            },
        )
    seed_report(db, "warn-co", now - timedelta(minutes=3), health="warn")
    seed_report(db, "down-co", now - timedelta(hours=5))
    seed_report(db, "manual-co", now - timedelta(minutes=4))
    seed_report(db, "blocked-co", now - timedelta(minutes=2))
    seed_report(db, "xss-co", now - timedelta(minutes=2), hostname=XSS_HOST)
    with db.write() as conn:
        customers.set_status(conn, customer_id="blocked-co", status="blocked", now=now)
    seed_event(db, "ok-co", "error", now - timedelta(hours=1))
    seed_event(db, "ok-co", "warning", now - timedelta(hours=2))
    seed_event(db, "ok-co", "warning", now - timedelta(hours=3))
    db.dispose()
    return pending_key


def start_seeded(data_dir: Path) -> SeededHub:
    key = seed(data_dir)
    auth = f'auth:\n  password_hash: "{hash_password(PASSWORD)}"\n'
    # The daily backup check half a day away: run within its hour it would add an
    # expected_backup_missed warning to the seeded counts.
    check_at = (datetime.now(HUB_TZ) + timedelta(hours=12)).strftime("%H:%M")
    alerting = f'alerting:\n  backup_check_at: "{check_at}"\n'
    return SeededHub(start_hub(data_dir, sections=auth + alerting), key)


def log_in(page: Page, url: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
