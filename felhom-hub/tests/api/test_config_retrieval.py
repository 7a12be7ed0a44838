"""GET /api/v1/config/{id}: the generated controller.yaml for a managed customer."""

import httpx2 as httpx
from fastapi.testclient import TestClient
from ruamel.yaml import YAML

from felhom_hub.configs import accounts
from felhom_hub.configs.accounts import Issued
from felhom_hub.store import Database, customers, templates
from tests.configs.helpers import TOKEN, managed
from tests.conftest import GLOBAL_AUTH, START, Customer


def create(client: TestClient, db: Database, **fields: object) -> Issued:
    vault = client.app.state.vault  # type: ignore[attr-defined]
    with db.write() as conn:
        return accounts.create(conn, vault, managed(**fields), now=START)


def fetch(client: TestClient, password: str | None, customer: str = "acme") -> httpx.Response:
    headers = {"X-Retrieval-Password": password} if password else {}
    return client.get(f"/api/v1/config/{customer}", headers=headers)


def test_the_generated_file_carries_identity_key_and_tokens(
    client: TestClient, db: Database
) -> None:
    client.app.state.settings.configs.hub_url = "https://hub.example"  # type: ignore[attr-defined]
    issued = create(client, db, overrides={"report": {"interval_seconds": 300}})
    response = client.get(
        "/api/v1/config/acme", headers={"X-Retrieval-Password": issued.retrieval_password or ""}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert "# felhom-controller configuration" in text  # the template's comments kept
    data = YAML(typ="safe").load(text)
    assert data["identity"] == {
        "customer_id": "acme",
        "hostname": "acme-node-1",
        "display_name": "Acme Kft.",
    }
    assert data["hub"]["url"] == "https://hub.example"
    assert data["hub"]["api_key"] == issued.api_key
    assert data["infrastructure"]["tokens"] == {"cloudflare": TOKEN}
    assert len(data["infrastructure"]["session_secret"]) >= 32
    assert data["report"] == {"interval_seconds": 300, "jitter_percent": 10}
    # The key just issued is the customer's key for the API.
    auth = {"Authorization": f"Bearer {issued.api_key}"}
    assert client.get("/api/v1/customers", headers=auth).status_code == 200


def test_the_401_403_404_rules_hold(client: TestClient, db: Database, globex: Customer) -> None:
    issued = create(client, db)
    assert fetch(client, None).status_code == 401
    assert fetch(client, "guess").status_code == 401
    assert fetch(client, globex.retrieval_password).status_code == 401
    assert client.get("/api/v1/config/acme", headers=GLOBAL_AUTH).status_code == 401
    # globex has credentials but no config: authenticated, nothing generated.
    assert fetch(client, globex.retrieval_password, "globex").status_code == 404
    with db.write() as conn:
        customers.set_status(conn, customer_id="acme", status="blocked", now=START)
    assert fetch(client, issued.retrieval_password).status_code == 403


def test_an_existing_customer_gets_fresh_credentials(
    client: TestClient, db: Database, acme: Customer
) -> None:
    issued = create(client, db)
    assert fetch(client, acme.retrieval_password).status_code == 401
    assert fetch(client, issued.retrieval_password).status_code == 200


def test_a_fetched_template_is_used(client: TestClient, db: Database) -> None:
    issued = create(client, db)
    body = "# fetched\nidentity: {}\nhub: {url: 'https://t.example'}\nextra: 1\n"
    with db.write() as conn:
        templates.record_good(
            conn, source="http://t", body=body, etag=None, last_modified=None, now=START
        )
    response = fetch(client, issued.retrieval_password)
    assert response.text.startswith("# fetched\n")
    data = YAML(typ="safe").load(response.text)
    assert data["extra"] == 1 and data["identity"]["customer_id"] == "acme"
