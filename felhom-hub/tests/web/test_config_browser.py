"""The config form, the YAML preview and the diff table in a real browser (Debian's Chromium via
Playwright), against a real hub process and a real felhom-controller process that reports to it."""

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from ruamel.yaml import YAML

from felhom_hub.secrets import hash_password
from tests.configs.controller_process import ControllerProcess, sane_overrides
from tests.hub_process import HubProcess, free_port, start_hub
from tests.web.browser import chromium, log_in, shot
from tests.web.helpers import PASSWORD

pytestmark = pytest.mark.slow
TOKEN = "browser-cf-token-secret-99"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    port = free_port()
    sections = f'auth:\n  password_hash: "{hash_password(PASSWORD)}"\n'
    sections += f'configs:\n  hub_url: "http://127.0.0.1:{port}"\n'
    running = start_hub(data_dir, port=port, sections=sections)
    yield running
    running.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        yield context.new_page()
        context.close()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ControllerProcess]:
    folder = tmp_path / "node"
    folder.mkdir()
    process = ControllerProcess(folder, port=free_port())
    yield process
    process.stop()


def overrides_yaml(node: ControllerProcess) -> str:
    out = io.StringIO()
    YAML(typ="safe").dump(sane_overrides(node.folder, node.port), out)
    return out.getvalue()


def fill_form(page: Page, node: ControllerProcess, hostname: str) -> None:
    page.fill("#f-customer_id", "acme")
    page.fill("#f-display_name", "Acme Kft.")
    page.fill("#f-hostname", hostname)
    page.fill("#f-tokens", f"cloudflare: {TOKEN}")
    page.check("input[name=event_backup_failed]")
    page.fill("#f-overrides", overrides_yaml(node))


def wait_for_report(hub: HubProcess, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = httpx.get(f"{hub.url}/api/v1/customers/acme", headers=auth, timeout=5)
        if answer.status_code == 200 and answer.json().get("received_at"):
            return
        time.sleep(0.3)
    raise AssertionError("the controller's first report did not arrive")


def test_form_preview_push_and_diff(hub: HubProcess, node: ControllerProcess, page: Page) -> None:
    log_in(page, hub.url)
    page.goto(f"{hub.url}/configs")
    page.click("#new-config")
    expect(page.locator("#legacy")).not_to_have_attribute("open", "")  # collapsed
    fill_form(page, node, hostname="-bad-")
    page.click("#save-config")
    expect(page.locator("#error-hostname")).to_contain_text("should match pattern")
    expect(page.locator("#f-display_name")).to_have_value("Acme Kft.")  # what was typed stays
    page.fill("#f-hostname", "acme-node-1")
    page.fill("#f-tokens", f"cloudflare: {TOKEN}")
    page.click("#save-config")
    key = page.locator("#issued-api-key").inner_text()
    expect(page.locator("#issued-retrieval-password")).to_be_visible()
    shot(page, "config-credentials")

    node.start(customer_id="acme", api_key=key, hub_url=hub.url)
    wait_for_report(hub, key)
    page.goto(f"{hub.url}/customers/acme")
    preview = page.locator("#yaml-preview")
    expect(preview).to_contain_text('customer_id: "acme"')
    expect(preview).to_contain_text(f'url: "{hub.url}"')
    expect(preview).to_contain_text("cloudflare: ••••••")
    assert TOKEN not in page.content() and key not in page.content()
    shot(page, "config-preview")

    page.click("#show-diff")  # the node still runs its hand-written file
    table = page.locator("#diff-table")
    expect(table).to_be_visible()
    expect(page.locator("tr[data-key='identity.display_name']")).to_have_class("diff-added")
    expect(page.locator("tr[data-key='infrastructure.tokens.cloudflare'] td").nth(3)).to_have_text(
        '"••••••"'
    )
    empty = page.locator("tr[data-key='api.tls_cert'] td")  # null in the hub, absent on the node
    expect(empty.nth(2)).to_have_text("\u2013")  # the dash of an absent value
    expect(empty.nth(3)).to_have_text("null")
    added = page.locator("tr.diff-added td").nth(1)
    assert added.evaluate("e => getComputedStyle(e).color") == "rgb(31, 157, 85)"
    shot(page, "config-diff")

    page.goto(f"{hub.url}/customers/acme")
    page.click("#push-config")
    expect(page.locator("#action-result")).to_contain_text("the controller applied it")
    page.goto(f"{hub.url}/customers/acme/config-diff")
    expect(page.locator("#no-diff")).to_be_visible()

    page.goto(f"{hub.url}/configs/acme/edit")
    expect(page.locator("#f-tokens")).to_have_value("cloudflare: ••••••\n")
    page.fill("#f-display_name", "Acme Zrt.")
    page.click("#save-config")
    page.click("#show-diff")
    rows = page.locator("#diff-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class("diff-changed")
    expect(rows.first.locator("td").nth(2)).to_have_text('"Acme Kft."')
    expect(rows.first.locator("td").nth(3)).to_have_text('"Acme Zrt."')
    for log in (hub.log.read_text(), node.log()):  # no secret in either process's log
        assert key not in log and TOKEN not in log


def test_an_unreachable_controller_is_a_clear_message(hub: HubProcess, page: Page) -> None:
    log_in(page, hub.url)
    page.goto(f"{hub.url}/configs/new")
    page.fill("#f-customer_id", "acme")
    page.fill("#f-display_name", "Acme")
    page.fill("#f-hostname", "acme-1")
    page.click("#save-config")
    key = page.locator("#issued-api-key").inner_text()
    body = {
        "customer_id": "acme",
        "hostname": "acme-1",
        "controller_version": "0.1.0",
        "controller_url": f"http://127.0.0.1:{free_port()}",
        "health": "ok",
        "timestamp": "2026-11-22T11:59:00Z",
    }
    answer = httpx.post(
        f"{hub.url}/api/v1/report", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 201, answer.text
    page.goto(f"{hub.url}/customers/acme")
    page.click("#pull-config")
    expect(page.locator("#action-result")).to_contain_text("cannot reach the controller")
    expect(page.locator("main")).to_contain_text("Nothing was changed in the hub.")
    shot(page, "config-unreachable")
