"""Both report shapes, golden-tested: the canonical one and the architecture seed's, each
validated and stored exactly as the files under data/ say; the seed's shape refused clearly."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from beskar7.callback.report_shapes import is_seed_shape, normalize
from beskar7.callback.reports import BodyError, report_json, validate_report
from tests.fixtures.callback import HOST, NS, CallbackLab, bearer, golden_report

DATA = Path(__file__).parent / "data"
RECEIVED = datetime(2025, 11, 27, 10, 0, tzinfo=UTC)


def stored(body: dict[str, Any]) -> Any:
    return json.loads(report_json(validate_report(body, RECEIVED)))


def seed_report() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "seed-shape-report.json").read_text())
    return body


def test_a_canonical_report_with_one_section_wrong_is_not_taken_for_the_seed_shape() -> None:
    assert not is_seed_shape({**golden_report(), "cpus": {"cores": 4}})


def test_the_canonical_shape_is_stored_as_its_golden_file() -> None:
    golden = json.loads((DATA / "canonical-report.stored.json").read_text())
    assert not is_seed_shape(golden_report())
    assert stored(golden_report()) == golden


def test_the_architecture_seeds_shape_is_normalized_into_its_golden_file() -> None:
    golden = json.loads((DATA / "seed-shape-report.stored.json").read_text())
    assert is_seed_shape(seed_report())
    assert stored(seed_report()) == golden


def test_the_seed_shape_meets_the_same_requirements_as_its_canonical_twin() -> None:
    from beskar7.controllers.machine.requirements import totals

    found = totals(validate_report(seed_report(), RECEIVED))
    assert (found.cpu_cores, found.memory_gb, found.disk_gb) == (16, 68, 500)


def test_uneven_totals_stay_one_entry_and_the_envelope_is_kept() -> None:
    body = {
        "namespace": "ns",
        "hostName": "h",
        "cpus": {"count": 2, "cores": 3},
        "memory": {"totalGB": 8},
        "nics": [{"interface": "eno1", "speedMbps": 25000}],
    }
    assert normalize(body) == {
        "namespace": "ns",
        "hostName": "h",
        "cpus": [{"id": "CPU0", "cores": 3}],
        "memory": [{"id": "total", "capacity": "8GB"}],
        "disks": [],
        "nics": [{"name": "eno1", "speed": "25Gbps"}],
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda b: b["cpus"].update(cores="16"), "cpus.cores: must be a non-negative integer"),
        (lambda b: b["cpus"].update(sockets=2), "cpus.sockets: unknown field"),
        (lambda b: b["memory"].update(totalBytes=-1), "memory.totalBytes: must be a non-negative"),
        (lambda b: b["disks"][0].update(sizeBytes=True), "disks[].sizeBytes: must be a non-negat"),
        (lambda b: b["nics"][0].update(mtu=9000), "nics[0].mtu: unknown field"),
        (lambda b: b.update(disks={}), "disks: must be a list of objects"),
        (lambda b: b.update(bios={}), "bios: unknown field"),
        (lambda b: b["system"].update(model=7), "model"),
    ],
)
def test_a_bad_seed_shaped_report_names_the_field(edit: Any, message: str) -> None:
    body = seed_report()
    edit(body)
    with pytest.raises(BodyError) as raised:
        validate_report(body, RECEIVED)
    assert str(raised.value).startswith(message)


async def test_an_inspector_written_from_the_seed_is_accepted_by_the_server(
    callback_lab: CallbackLab,
) -> None:
    token = await callback_lab.mint()

    response = await callback_lab.client.post(
        f"/api/v1/inspection/{NS}/{HOST}", json=seed_report(), headers=bearer(token)
    )

    assert response.status_code == 202
    config_map = await callback_lab.config_map()
    assert config_map is not None
    saved = json.loads(config_map["data"]["report.json"])
    golden = json.loads((DATA / "seed-shape-report.stored.json").read_text())
    assert {k: v for k, v in saved.items() if k != "timestamp"} == {
        k: v for k, v in golden.items() if k != "timestamp"
    }
