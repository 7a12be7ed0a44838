"""The dashboard in a real browser (Debian's Chromium via Playwright) against the real hub."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import report_body
from tests.web.browser import (
    HISTORY_POINTS,
    XSS_HOST,
    SeededHub,
    chromium,
    log_in,
    shot,
    start_seeded,
)
from tests.web.helpers import PASSWORD

pytestmark = pytest.mark.slow

GREEN, YELLOW, RED, GRAY = (
    "rgb(31, 157, 85)",
    "rgb(217, 164, 0)",
    "rgb(214, 69, 69)",
    "rgb(138, 148, 163)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededHub]:
    hub = start_seeded(tmp_path_factory.mktemp("hub"))
    yield hub
    hub.hub.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, seeded: SeededHub) -> Page:
    page = context.new_page()
    log_in(page, seeded.hub.url)
    expect(page.locator("h1")).to_have_text("Fleet")
    return page


def badge(page: Page, customer_id: str) -> str:
    return page.locator(f'tr[data-customer="{customer_id}"] .status').inner_text()


def colour(page: Page, customer_id: str) -> str:
    locator = page.locator(f'tr[data-customer="{customer_id}"] .status')
    return str(locator.evaluate("el => getComputedStyle(el).backgroundColor"))


def test_the_fleet_shows_statuses_colours_and_badges(page: Page) -> None:
    expected = {"ok-co": ("OK", GREEN), "warn-co": ("WARN", YELLOW), "down-co": ("DOWN", RED)}
    expected |= {"pending-co": ("PENDING", GRAY), "manual-co": ("OK", GREEN)}
    for customer_id, (status, rgb) in expected.items():
        assert (badge(page, customer_id), colour(page, customer_id)) == (status, rgb)
    assert page.locator('tr[data-customer="blocked-co"]').count() == 0
    row = page.locator('tr[data-customer="ok-co"]')
    expect(row.locator(".pill.error")).to_have_text("1 error")
    expect(row.locator(".pill.warning")).to_have_text("2 warnings")
    expect(page.locator('[data-count="DOWN"] b')).to_have_text("1")
    shot(page, "fleet")


def test_filter_and_search(page: Page) -> None:
    page.select_option("select[name=status]", "WARN")
    page.click("form.filters button")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.fill("input[name=q]", "ok-co-node")
    page.select_option("select[name=status]", "")
    page.click("form.filters button")
    expect(page.locator("tbody tr[data-customer]")).to_have_count(1)
    assert badge(page, "ok-co") == "OK"


def test_controller_text_is_rendered_inert(page: Page) -> None:
    host = page.locator('tr[data-customer="xss-co"] td.host')
    expect(host).to_have_text("<script>window.pwned=1</script>\\u202eevil")
    assert page.evaluate("window.pwned") is None
    page.goto(page.url.split("/?")[0] + "/customers/xss-co")
    assert page.evaluate("window.pwned") is None
    assert XSS_HOST not in page.inner_text("body")


def test_the_reporting_customer_page_has_its_history_charts(page: Page) -> None:
    page.click('a[href="/customers/ok-co"]')
    expect(page.locator("#system")).to_contain_text("CPU")
    cpu = page.locator('[data-chart="CPU %"] polyline.line-0')
    assert int(cpu.get_attribute("data-points") or 0) == HISTORY_POINTS
    assert len((cpu.get_attribute("points") or "").split()) == HISTORY_POINTS
    expect(page.locator('[data-chart="Disk / used %"]')).to_have_count(1)
    expect(page.locator("#storage meter")).to_have_count(1)
    expect(page.locator("#events tbody tr")).to_have_count(3)
    page.click('#events a:text-is("error")')
    expect(page.locator("#events tbody tr")).to_have_count(1)
    shot(page, "customer-reporting")
    page.click('#history a:text-is("90d")')
    assert int(
        page.locator('[data-chart="CPU %"] polyline.line-0').get_attribute("data-points") or 0
    ) in (1, 2)


def test_the_waiting_and_manual_variants(page: Page, seeded: SeededHub) -> None:
    page.goto(f"{seeded.hub.url}/customers/pending-co")
    expect(page.locator("#waiting h2")).to_have_text("Waiting for first report")
    expect(page.locator("#credentials")).to_have_count(1)
    expect(page.locator("#history")).to_have_count(0)  # nothing to chart yet
    shot(page, "customer-waiting")
    page.goto(f"{seeded.hub.url}/customers/manual-co")
    expect(page.locator("button:text-is('Create Config')")).to_be_enabled()
    expect(page.locator("#block")).to_have_count(0)
    expect(page.locator("#credentials")).to_have_count(0)
    shot(page, "customer-manual")


def test_block_and_unblock_round_trip(page: Page, seeded: SeededHub) -> None:
    page.goto(f"{seeded.hub.url}/customers/warn-co")
    page.click("#block")
    expect(page.locator("#blocked-banner")).to_be_visible()
    shot(page, "customer-blocked")
    page.click("a:text-is('Fleet')")
    expect(page.locator('tr[data-customer="warn-co"]')).to_have_count(0)
    page.click("a:text-is('Customers')")
    blocked = page.locator('tr[data-customer="warn-co"]')
    expect(blocked).to_have_class("blocked")
    expect(blocked.locator(".status")).to_have_text("BLOCKED")
    shot(page, "customers")
    page.goto(f"{seeded.hub.url}/customers/warn-co")
    page.click("#blocked-banner button")
    expect(page.locator("#blocked-banner")).to_have_count(0)
    page.goto(seeded.hub.url)
    assert badge(page, "warn-co") == "WARN"


def test_a_post_without_the_csrf_token_is_refused(page: Page, seeded: SeededHub) -> None:
    answer = page.request.post(f"{seeded.hub.url}/customers/ok-co/block", form={"x": "1"})
    assert answer.status == 403
    forged = page.request.post(f"{seeded.hub.url}/customers/ok-co/block", form={"csrf": "0" * 64})
    assert forged.status == 403
    page.goto(f"{seeded.hub.url}/customers/ok-co")
    expect(page.locator("#blocked-banner")).to_have_count(0)


def test_a_maintenance_window_opened_through_the_form_is_listed(
    page: Page, seeded: SeededHub
) -> None:
    page.goto(f"{seeded.hub.url}/customers/manual-co")
    form = page.locator("#open-window")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", form.locator("[name=start]").input_value())
    form.locator("[name=hours]").fill("3")
    form.locator("[name=reason]").fill("<i>disk swap</i>")
    form.locator("button").click()
    rows = page.locator("#maintenance tr[data-window]")
    expect(rows).to_have_count(1)
    expect(rows.locator(".pill.active")).to_have_text("active now")
    expect(rows.locator("td.reason")).to_have_text("<i>disk swap</i>")  # text, not markup
    form.locator("[name=start]").fill("2030-01-15T09:00")
    form.locator("[name=hours]").fill("1.5")
    form.locator("[name=reason]").fill("planned: PSU")
    form.locator("button").click()
    expect(rows).to_have_count(2)
    planned = rows.nth(1)
    expect(planned).to_contain_text("2030-01-15 09:00 CET")
    expect(planned).to_contain_text("2030-01-15 10:30 CET")
    expect(planned.locator(".pill.active")).to_have_count(0)
    shot(page, "customer-maintenance")
    planned.locator("button.remove-window").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#maintenance")).not_to_contain_text("planned: PSU")


def test_the_fleet_refreshes_in_place(page: Page, seeded: SeededHub) -> None:
    page.goto(f"{seeded.hub.url}/?refresh=2")
    page.evaluate("window.stayed = true")
    assert badge(page, "pending-co") == "PENDING"
    body = report_body("pending-co", hostname="pending-node")
    headers = {"Authorization": f"Bearer {seeded.pending_key}"}
    assert (
        httpx.post(f"{seeded.hub.url}/api/v1/report", json=body, headers=headers).status_code == 201
    )
    expect(page.locator('tr[data-customer="pending-co"] .status')).to_have_text(
        "OK", timeout=10_000
    )
    assert page.evaluate("window.stayed") is True  # no full-page reload


def test_delete_asks_first_then_removes_the_customer(page: Page, seeded: SeededHub) -> None:
    page.goto(f"{seeded.hub.url}/customers/down-co")
    page.click("#delete")
    expect(page.locator("h1")).to_have_text("Delete down-co?")
    page.click("text=Cancel")
    expect(page.locator("h1")).to_contain_text("down-co")
    page.click("#delete")
    page.click("#confirm-delete")
    expect(page).to_have_url(re.compile(r"/configs$"))
    expect(page.locator('tr[data-customer="down-co"]')).to_have_count(0)


def test_phone_width_and_dark_mode(browser: Browser, seeded: SeededHub) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    try:
        page = ctx.new_page()
        log_in(page, seeded.hub.url)
        expect(page.locator("h1")).to_have_text("Fleet")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 23, 28)"
        shot(page, "fleet-phone-dark")
        page.goto(f"{seeded.hub.url}/customers/ok-co")
        shot(page, "customer-phone-dark")
    finally:
        ctx.close()


def test_logout(page: Page, seeded: SeededHub) -> None:
    page.click("text=Log out")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(seeded.hub.url)
    expect(page).to_have_url(re.compile(r"/login$"))


def test_login_refuses_a_wrong_password_then_rate_limits(browser: Browser, tmp_path: Path) -> None:
    hub = start_seeded(tmp_path)
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        log_in(page, hub.hub.url, "not the password")
        expect(page.locator("#login-error")).to_have_text("Wrong password.")
        shot(page, "login-refused")
        for _ in range(4):
            log_in(page, hub.hub.url, "still not it")
        log_in(page, hub.hub.url, PASSWORD)
        expect(page.locator("#login-error")).to_contain_text("Too many failed attempts")
        assert page.url.endswith("/login")
    finally:
        ctx.close()
        hub.hub.stop()
