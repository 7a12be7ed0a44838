"""Storage faults: nothing is acknowledged that is not durable; /healthz says what is wrong;
answers are JSON 503 (507 when full), never a bare 500; the hub recovers when the fault clears."""

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from felhom_hub.store import Database, reports
from felhom_hub.store.schema import from_micros
from tests.conftest import GLOBAL_AUTH, file_of, report_body

pytestmark = (
    pytest.mark.sqlite_only
)  # the file under SQLite; PostgreSQL's faults: test_postgres_faults.py


def post(client: TestClient, **overrides: Any) -> Any:
    return client.post("/api/v1/report", json=report_body(**overrides), headers=GLOBAL_AUTH)


def health(client: TestClient) -> tuple[int, str | None]:
    response = client.get("/healthz")
    return response.status_code, response.json().get("reason")


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_a_deleted_database_refuses_writes_until_a_copy_is_restored(
    client: TestClient, db: Database, tmp_path: Path
) -> None:
    assert post(client, hostname="before").status_code == 201
    backup = tmp_path / "backup.db"
    with closing(sqlite3.connect(file_of(db))) as live, closing(sqlite3.connect(backup)) as copy:
        live.backup(copy)
    remove_database(file_of(db))

    refused = post(client, hostname="during")
    assert refused.status_code == 503
    assert refused.json()["detail"].startswith("storage unavailable: database file was deleted")
    assert refused.headers["retry-after"] == "30"
    assert health(client) == (503, "database file was deleted")

    shutil.copy(backup, file_of(db))  # the operator restores the file
    assert health(client) == (200, None)
    assert post(client, hostname="after").status_code == 201
    with db.read() as conn:
        names = [
            r.report["hostname"]
            for r in reports.raw_page(
                conn, customer_id="acme", before_id=None, since=from_micros(0), limit=10
            )[0]
        ]
    assert names == ["after", "before"]  # the refused one was never stored


def test_a_file_replaced_by_garbage_is_a_fault_not_a_500(client: TestClient, db: Database) -> None:
    assert post(client).status_code == 201
    remove_database(file_of(db))
    file_of(db).write_bytes(b"this is not a database" * 500)
    response = post(client)
    assert response.status_code == 503 and "replaced" in response.json()["detail"]
    assert health(client)[0] == 503
    read = client.get("/api/v1/customers", headers=GLOBAL_AUTH)
    assert read.status_code in (200, 503)  # pooled readers may still see the old file
    assert read.headers["content-type"] == "application/json"


@pytest.fixture
def page_cap(db: Database) -> Iterator[dict[str, int]]:
    """Caps the database at ``cap["pages"]`` pages: SQLite answers SQLITE_FULL beyond it, as it
    does on a full disk."""
    cap = {"pages": 1_000_000}

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={cap['pages']}")

    event.listen(db.engine, "connect", limit)
    db.dispose()
    yield cap
    event.remove(db.engine, "connect", limit)


def test_a_full_disk_is_507_then_recovers(
    client: TestClient, db: Database, page_cap: dict[str, int]
) -> None:
    assert post(client).status_code == 201
    with db.read() as conn:
        page_cap["pages"] = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    db.dispose()
    answers = [post(client, pad=os.urandom(20000).hex()).status_code for _ in range(5)]
    assert 507 in answers and 500 not in answers
    assert health(client) == (503, "disk or database is full")
    with db.read() as conn:
        kept = reports.count(conn)
    assert kept == 1 + answers.count(201)  # every 201 is stored, every 507 is not

    page_cap["pages"] = 1_000_000  # space freed
    db.dispose()
    assert post(client).status_code == 201
    assert health(client) == (200, None)


def test_corrupt_pages_make_reads_and_health_503(client: TestClient, db: Database) -> None:
    for n in range(200):
        assert post(client, hostname=f"node-{n}", pad="y" * 3000).status_code == 201
    db.dispose()
    with closing(sqlite3.connect(file_of(db))) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = file_of(db).stat().st_size
    with file_of(db).open("r+b") as damaged:  # scribble over the pages after the schema
        damaged.seek(8 * 4096)
        damaged.write(b"\xde\xad\xbe\xef" * ((size - 8 * 4096) // 4))
    answers = [
        client.get("/api/v1/customers/acme/reports", headers=GLOBAL_AUTH).status_code,
        post(client).status_code,
    ]
    assert 503 in answers and 500 not in answers
    assert health(client) == (503, "database file is corrupt")
