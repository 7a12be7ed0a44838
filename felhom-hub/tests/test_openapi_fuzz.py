"""Schemathesis against the OpenAPI document the real server serves: no input may cause a 5xx.

Cases are generated per operation with Hypothesis (schemathesis' pytest plugin is not used,
so the run does not depend on pytest internals).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.hub_process import GLOBAL_KEY, HubProcess, start_hub

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 100


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    process = start_hub(Path(tmp_path_factory.mktemp("fuzz")))
    yield process
    process.stop()


def operations(hub: HubProcess) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{hub.url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def test_the_served_document_covers_every_endpoint(hub: HubProcess) -> None:
    paths = {(op.method.upper(), op.path) for op in operations(hub)}
    assert ("POST", "/api/v1/report") in paths
    assert ("GET", "/api/v1/config/{customer_id}") in paths
    assert len(paths) == 18  # + the maintenance windows (add, list, remove)


def test_no_generated_input_causes_a_server_error(hub: HubProcess) -> None:
    headers = {"Authorization": f"Bearer {GLOBAL_KEY}"}
    seen: dict[str, set[int]] = {}
    for operation in operations(hub):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(base_url=hub.url, headers=headers, timeout=10)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            assert response.status_code < 500, f"{case.operation.label}: {response.text[:500]}"

        check()
    assert any(200 <= code < 300 for codes in seen.values() for code in codes), seen
    log = hub.log.read_text()
    assert "Traceback" not in log, log[-3000:]
