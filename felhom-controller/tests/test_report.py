"""The report from a real collection of this machine satisfies the hub's own schema."""

from datetime import UTC, datetime
from pathlib import Path

import psutil

from felhom_controller.cycle import Controller
from felhom_hub.api.report_schema import Report
from tests.conftest import make_settings


def test_a_real_collection_validates_against_the_hubs_report_model(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api={"public_url": "http://10.0.0.5:8090"})
    report, _, _ = Controller(settings).evaluate(datetime.now(UTC))
    parsed = Report.model_validate(report)
    assert parsed.customer_id == "acme"
    assert str(parsed.controller_url) == "http://10.0.0.5:8090/"
    assert parsed.system.memory_total_bytes == psutil.virtual_memory().total
    assert parsed.system.uptime_seconds and parsed.system.uptime_seconds > 0
    root = next(fs for fs in parsed.storage if fs.mount_point == "/")
    assert root.total_bytes == psutil.disk_usage("/").total


def test_a_configured_mount_that_is_absent_fails_the_health(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, storage={"mounts": ["/", "/srv/nothing-here"]})
    report, events, _ = Controller(settings).evaluate(datetime.now(UTC))
    Report.model_validate(report)
    assert report["health"] == "fail"
    assert "fail: /srv/nothing-here is not mounted" in report["health_reasons"]
    assert [e.event_type.value for e in events] == ["mount_failed"]


def test_an_absent_engine_is_a_warning_and_the_report_still_goes(tmp_path: Path) -> None:
    engine = {"enabled": True, "socket": str(tmp_path / "docker.sock")}
    report, _, _ = Controller(make_settings(tmp_path, engine=engine)).evaluate(datetime.now(UTC))
    Report.model_validate(report)
    assert report["health"] == "warn"
    assert report["containers"] == []
    assert any("container engine unavailable" in p for p in report["problems"])
