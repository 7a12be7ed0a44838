"""``felhom-hub migrate-data``: a hub's database copied to another engine, verified, resumable.

1. Both sides must be at this hub's schema: the source at the newest migration this hub knows
   (an older one is refused: ``felhom-hub migrate`` it first; the copy never changes the
   source), the target is migrated here (it may be empty or new).
2. A target with rows is refused unless ``force``; with ``force`` the copy resumes after each
   table's highest key (``store/copy.py``), so a second run after an interruption finishes it.
3. Every table is compared: row count and SHA-256 on both sides. With ``force``, a table that
   still differs (the target held other data) is emptied and copied again, then compared again.
"""

from collections.abc import Callable
from dataclasses import dataclass

from felhom_hub.store import Database
from felhom_hub.store import copy as store_copy
from felhom_hub.store.copy import Shape, TableSum
from felhom_hub.store.migrate import available_migrations, current_version

BATCH_ROWS = store_copy.BATCH_ROWS


class CopyRefusedError(Exception):
    """The copy cannot start; nothing was changed. The message says why and what to do."""


@dataclass(frozen=True)
class Comparison:
    table: str
    source: TableSum
    target: TableSum

    @property
    def equal(self) -> bool:
        return self.source == self.target


Say = Callable[[str], None]


def known_version(db: Database) -> int:
    return max(version for version, _name, _step in available_migrations(db.kind))


def prepare(source: Database, target: Database, *, force: bool) -> list[Shape]:
    """Check both sides, migrate the target, and return the tables to copy."""
    _check_source(source)
    with target.read() as conn:
        version, full = current_version(conn), store_copy.occupied(conn)
    if version is not None and version > known_version(target):
        raise CopyRefusedError(
            f"target {target.describe()} is at migration {version}, newer than this "
            f"felhom-hub knows ({known_version(target)}): use the newer felhom-hub"
        )
    if full and not force:
        raise CopyRefusedError(
            f"target {target.describe()} is not empty ({', '.join(full)} hold rows); "
            "--force resumes an interrupted copy into it or overwrites it"
        )
    target.migrate()
    return _shapes(source, target)


def _check_source(db: Database, role: str = "source") -> None:
    with db.read() as conn:
        version = current_version(conn)
    known = known_version(db)
    if version is None:
        raise CopyRefusedError(f"{role} {db.describe()} is not a felhom-hub database")
    if version < known:
        raise CopyRefusedError(
            f"{role} {db.describe()} is at migration {version}, this felhom-hub at "
            f"{known}: run 'felhom-hub migrate' with that hub's configuration first"
        )
    if version > known:
        raise CopyRefusedError(
            f"{role} {db.describe()} is at migration {version}, newer than this "
            f"felhom-hub knows ({known}): use the newer felhom-hub"
        )


def _shapes(source: Database, target: Database) -> list[Shape]:
    with source.read() as src, target.read() as dst:
        for side, conn in (("source", src), ("target", dst)):
            unknown = store_copy.tables(conn) - set(store_copy.TABLES)
            if unknown:
                raise CopyRefusedError(
                    f"the {side} has tables this felhom-hub does not copy: "
                    + ", ".join(sorted(unknown))
                )
        shapes = [store_copy.shape(src, name) for name in store_copy.TABLES]
        differing = [s.name for s in shapes if store_copy.shape(dst, s.name) != s]
    if differing:
        raise CopyRefusedError(f"the two schemas differ in {', '.join(differing)}")
    return shapes


def copy(
    source: Database,
    target: Database,
    shapes: list[Shape],
    *,
    force: bool,
    batch_rows: int = store_copy.BATCH_ROWS,
    say: Say = print,
) -> list[Comparison]:
    """Copy every table (resuming where the target ends), carry the id counters, compare."""

    def progress(table: str, rows: int) -> None:
        say(f"  {table}: {rows} rows copied")

    for shape in shapes:
        store_copy.copy_table(source, target, shape, batch_rows=batch_rows, progress=progress)
    carry_counters(source, target)
    found = compare(source, target, shapes, batch_rows=batch_rows)
    redo = [c.table for c in found if not c.equal]
    if not force or not redo:
        return found
    say(f"the target differs in {', '.join(redo)}: copying those tables again")
    for shape in (s for s in shapes if s.name in redo):
        with target.write() as conn:
            store_copy.clear(conn, shape.name)
        store_copy.copy_table(source, target, shape, batch_rows=batch_rows, progress=progress)
    carry_counters(source, target)
    return compare(source, target, shapes, batch_rows=batch_rows)


def carry_counters(source: Database, target: Database) -> None:
    """Set each identity counter of the target to the source's (or past the target's ids)."""
    with source.read() as conn:
        marks = {name: store_copy.high_water(conn, name) for name in store_copy.IDENTITY}
    with target.write() as conn:
        for name, mark in marks.items():
            store_copy.set_high_water(conn, name, mark)


def compare(
    source: Database, target: Database, shapes: list[Shape], *, batch_rows: int
) -> list[Comparison]:
    return [
        Comparison(
            shape.name,
            store_copy.checksum(source, shape, batch_rows=batch_rows),
            store_copy.checksum(target, shape, batch_rows=batch_rows),
        )
        for shape in shapes
    ]


def verify_only(source: Database, target: Database, *, batch_rows: int) -> list[Comparison]:
    """Compare without changing either side (both must already be at this hub's schema)."""
    _check_source(source)
    _check_source(target, "target")
    return compare(source, target, _shapes(source, target), batch_rows=batch_rows)
