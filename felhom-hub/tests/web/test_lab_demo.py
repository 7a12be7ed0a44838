"""The lab's demo nodes (tools/lab_hub_demo.py) send what the hub accepts, so `make run` shows
a populated dashboard."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx

from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.secrets import verify_password
from felhom_hub.store import Database, dashboard, events
from tests.conftest import GLOBAL_AUTH, START, FakeClock
from tests.store.test_dashboard import CUTOFFS

DEMO = Path(__file__).resolve().parents[3] / "tools" / "lab_hub_demo.py"


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lab_hub_demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lab_hub_demo", module)
    spec.loader.exec_module(module)
    return module


def test_the_password_is_new_each_run_and_matches_its_hash() -> None:
    demo = _demo()
    (one, env), (two, _) = demo.dashboard_password(), demo.dashboard_password()
    assert one != two and verify_password(one, env["FELHOM_HUB_AUTH_PASSWORD_HASH"])


async def test_a_round_of_demo_reports_is_stored(settings: Settings, db: Database) -> None:
    demo = _demo()
    app = create_app(settings, db=db, clock=FakeClock(START), run_jobs=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub", headers=GLOBAL_AUTH
    ) as c:
        assert await demo._push_round(c, 0)
    with db.read() as conn:
        statuses = dashboard.counts(conn, CUTOFFS)
        warned = events.severity_counts(conn, customer_ids=list(demo.NODES), since=START)
    assert statuses == {"OK": 2, "WARN": 1}
    assert warned == {"demo-vienna": {"warning": 1}}
