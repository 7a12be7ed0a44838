"""felhom-hub migrate-data: how long a fleet's database takes to move to PostgreSQL and back.

Fills a SQLite hub as ``bench/hub_store.py`` does (``--nodes`` nodes reporting every 15 minutes
for ``--days`` days: whole reports for the last 7 days, series tiers before), starts a
PostgreSQL 15 in a temporary directory on loopback (``felhom-hub/tests/pg_server.py``), then
times the copy (``store/copy.py``: pages of ``--batch-rows`` in key order, a transaction each)
and the verification (count + SHA-256 of every table on both sides), SQLite -> PostgreSQL and
back to a new SQLite file.

    uv run python bench/hub_migrate_data.py [--nodes 100] [--days 30] [--batch-rows 5000]
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub_store import Node, fill, load
from sqlalchemy import make_url

from felhom_hub import migrate_data
from felhom_hub.store import Database
from felhom_hub.store import copy as store_copy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "felhom-hub"))
# The test suite's PostgreSQL server (a temporary cluster), found through the path above.
from tests import pg_server


def move(source: Database, target: Database, label: str, batch_rows: int) -> None:
    shapes = migrate_data.prepare(source, target, force=False)
    began, rows = time.perf_counter(), 0
    for shape in shapes:
        started = time.perf_counter()
        copied = store_copy.copy_table(
            source, target, shape, batch_rows=batch_rows, progress=lambda _t, _n: None
        )
        rows += copied
        if copied >= 10_000:
            seconds = time.perf_counter() - started
            print(f"  {shape.name}: {copied:,} rows, {copied / seconds:,.0f} rows/s")
    migrate_data.carry_counters(source, target)
    copy_s = time.perf_counter() - began
    began = time.perf_counter()
    found = migrate_data.compare(source, target, shapes, batch_rows=batch_rows)
    verify_s = time.perf_counter() - began
    assert all(c.equal for c in found), [c.table for c in found if not c.equal]
    print(
        f"{label}: {rows:,} rows copied in {copy_s:.1f} s ({rows / copy_s:,.0f} rows/s); "
        f"verified (both sides read and hashed) in {verify_s:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--batch-rows", type=int, default=store_copy.BATCH_ROWS)
    args = parser.parse_args()
    rng = random.Random(1)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="hub-move-") as tmp:
        folder = Path(tmp)
        source = Database(folder / "hub.db")
        source.migrate()
        nodes = [Node(i, rng, now - timedelta(days=args.days)) for i in range(args.nodes)]
        fill(source, nodes, now, args.days)
        size = (folder / "hub.db").stat().st_size
        print(
            f"{args.nodes} nodes x {args.days} days: SQLite file {size / 2**20:.0f} MiB; {load()}"
        )
        server = pg_server.PostgresServer()
        server.start()
        try:
            url = make_url(server.url(server.new_database()))
            pg = Database(url=url, password=pg_server.PASSWORD)
            move(source, pg, "SQLite -> PostgreSQL", args.batch_rows)
            back = Database(folder / "back.db")
            move(pg, back, "PostgreSQL -> SQLite", args.batch_rows)
            for db in (source, pg, back):
                db.dispose()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
