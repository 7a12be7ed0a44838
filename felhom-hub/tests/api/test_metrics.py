"""/metrics: Prometheus text with requests by route and status, reports ingested, rejections by
reason, the database size; no key needed and no customer named."""

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import GLOBAL_AUTH, report_body


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_metrics_count_what_happened(client: TestClient) -> None:
    for _ in range(2):
        client.post("/api/v1/report", json=report_body("secret-customer"), headers=GLOBAL_AUTH)
    client.post("/api/v1/report", json=report_body(), headers={"Authorization": "Bearer nope"})
    client.post("/api/v1/report", content=b"{", headers=GLOBAL_AUTH)
    client.get("/api/v1/customers/secret-customer", headers=GLOBAL_AUTH)
    found = samples(client)
    assert found[("felhom_hub_reports_ingested_total", ())] == 2
    route = (("route", "/api/v1/report"), ("status", "201"))
    assert found[("felhom_hub_http_requests_total", route)] == 2
    read = (("route", "/api/v1/customers/{customer_id}"), ("status", "200"))
    assert found[("felhom_hub_http_requests_total", read)] == 1
    assert found[("felhom_hub_rejected_requests_total", (("reason", "unauthorized"),))] == 1
    assert found[("felhom_hub_rejected_requests_total", (("reason", "bad_json"),))] == 1
    assert found[("felhom_hub_database_bytes", ())] > 10_000
    assert found[("felhom_hub_storage_ok", ())] == 1
    assert "secret-customer" not in client.get("/metrics").text
