"""The ``felhom-hub`` command: serve, init, migrate, migrate-data, prune, hash-password,
customer, maintenance."""

import argparse
import gc
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from felhom_hub import __version__, migrate_data
from felhom_hub.accounts import InvalidCustomerIdError, create_customer
from felhom_hub.clock import utcnow
from felhom_hub.config import CONFIG_ENV, ConfigError, Settings, load_settings
from felhom_hub.jobs.prune import prune
from felhom_hub.migrate_data import Comparison, CopyRefusedError
from felhom_hub.secrets import hash_password, new_token
from felhom_hub.storage import location, open_database, same_database
from felhom_hub.storage import password as storage_password
from felhom_hub.store import Database, customers, deadman, maintenance
from felhom_hub.store.faults import StorageFault
from felhom_hub.web.guard import open_dashboard_refusal, shared_keys_refusal

DEFAULT_CONFIG = Path("hub.yaml")


class CommandError(Exception):
    """A command could not do what was asked; the message says why."""

    exit_code = 1


class RefusedError(CommandError):
    """A command refused its input before changing anything."""

    exit_code = 2


def _config_path(args: argparse.Namespace) -> Path | None:
    if args.config:
        return Path(args.config)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _settings(args: argparse.Namespace) -> Settings:
    path = _config_path(args)
    settings = load_settings(path)
    data_dir = settings.server.data_dir
    if path is not None and not data_dir.is_absolute():
        settings.server.data_dir = path.parent / data_dir
    return settings


def _database(settings: Settings) -> Database:
    try:
        return open_database(settings.storage, settings.server.data_dir)
    except ValueError as exc:  # an unreadable password file
        raise CommandError(str(exc)) from None


def _migrated(settings: Settings) -> Database:
    db = _database(settings)
    db.migrate()
    return db


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from felhom_hub.app import create_app

    settings = _settings(args)
    refusal = open_dashboard_refusal(settings) or shared_keys_refusal(settings)
    if refusal:
        raise CommandError(refusal)
    server, config = settings.server, _config_path(args)
    host = f"[{server.host}]" if ":" in server.host else server.host
    print(f"felhom-hub {__version__} listening on http://{host}:{server.port}")
    db = _database(settings)
    print(f"database: {db.kind} {db.describe()}")
    try:
        db.migrate()  # here, so that an unreachable database is one clear line, not a trace
    except StorageFault as fault:
        raise CommandError(f"database {db.describe()}: {fault.kind.value}") from None
    if settings.api.report_api_key:
        where = f"api.report_api_key in {config}" if config else "api.report_api_key"
        print(f"API calls: 'Authorization: Bearer <key>' with the global key ({where})")
    print(
        f"dashboard: http://{host}:{server.port}/"
        + ("" if settings.auth.password_hash else " (no password: loopback only)")
    )
    print("per-customer keys: 'felhom-hub customer create <id>'", flush=True)
    app = create_app(settings, db=db)
    # Database work runs on threads; a shorter GIL switch interval (5 ms by default) lets the
    # event loop answer between their steps (measured: /healthz p99 under a busy fleet list).
    sys.setswitchinterval(0.001)
    # Everything built so far (modules, the app, its schemas and templates: ~hundreds of
    # thousands of objects) lives as long as the process; frozen, the collector stops walking
    # it. Unfrozen, each full collection took ~85 ms, one every ~800 reports under load: the
    # ingest p99 was 110 ms and throughput a fifth lower (bench/README.md).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=server.host,
        port=server.port,
        access_log=args.access_log,
        limit_concurrency=server.max_connections,
        timeout_keep_alive=int(server.keep_alive_timeout.total_seconds()),
        h11_max_incomplete_event_size=64 * 1024,  # request line and headers
    )


def cmd_init(args: argparse.Namespace) -> None:
    path = Path(args.config) if args.config else DEFAULT_CONFIG
    if path.exists():
        print(f"{path} exists; keeping it")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_token()
    path.write_text(
        "# felhom-hub configuration (created by 'felhom-hub init'); see docs/felhom-hub.md\n"
        f'api:\n  report_api_key: "{key}"\n'
        f'server:\n  listen: "{args.listen}"\n  data_dir: "."  # relative to this file\n'
    )
    path.chmod(0o600)
    print(f"wrote {path}; global API key (also in that file): {key}")


def cmd_migrate(args: argparse.Namespace) -> None:
    db = _database(_settings(args))
    applied = db.migrate()
    db.dispose()
    print("applied: " + ", ".join(applied) if applied else "database is up to date")


def cmd_prune(args: argparse.Namespace) -> None:
    settings = _settings(args)
    db = _migrated(settings)
    result = prune(db, now=utcnow(), retention=settings.retention)
    db.dispose()
    print(
        f"deleted {result.reports} reports, {result.events} events, "
        f"{result.series} series buckets, {result.infra_backups} old infra backups"
    )


def cmd_migrate_data(args: argparse.Namespace) -> None:
    source, target = _data_sides(args)
    print(f"from: {source.kind} {source.describe()}")
    print(f"to:   {target.kind} {target.describe()}", flush=True)
    try:
        if args.verify_only:
            found = migrate_data.verify_only(source, target, batch_rows=args.batch_rows)
        else:
            shapes = migrate_data.prepare(source, target, force=args.force)
            found = migrate_data.copy(
                source, target, shapes, force=args.force, batch_rows=args.batch_rows, say=_say
            )
    except CopyRefusedError as exc:
        raise RefusedError(str(exc)) from None
    except (StorageFault, DBAPIError) as exc:
        raise CommandError(f"database error: {_driver_message(exc)}") from None
    finally:
        source.dispose()
        target.dispose()
    _print_comparison(found)
    differing = [c.table for c in found if not c.equal]
    if differing:
        raise CommandError(f"verification failed: {', '.join(differing)} differ")
    print(f"verified: {len(found)} tables, {sum(c.source.rows for c in found)} rows equal")


def _data_sides(args: argparse.Namespace) -> tuple[Database, Database]:
    try:
        source, target = location(args.source), location(args.target)
        # The hub's own storage password (FELHOM_HUB_STORAGE_PASSWORD[_FILE] or hub.yaml's).
        password = storage_password(_settings(args).storage)
    except ValueError as exc:
        raise RefusedError(f"migrate-data: {exc}") from None
    if same_database(source, target):
        raise RefusedError("--from and --to name the same database")
    for flag, url in (("--from", source), ("--to", target)):
        path = Path(url.database or "")
        # The target file may be new (unless only compared); the source must exist (opening
        # it would create it).
        may_be_new = flag == "--to" and not args.verify_only
        sqlite = url.get_backend_name() == "sqlite"
        if sqlite and not path.is_file() and (not may_be_new or path.exists()):
            raise RefusedError(f"{flag} {path}: no such SQLite file")
    # A sqlite:/// URL opens its file (Database reads it as a path).
    return Database(url=source, password=password), Database(url=target, password=password)


def _driver_message(exc: Exception) -> str:
    """What the driver said (a refused password, an unknown database): the hub's fault kinds
    alone ("does not answer") do not tell an operator what to fix. Never holds the password."""
    cause = exc if isinstance(exc, DBAPIError) else exc.__context__
    if isinstance(cause, DBAPIError):
        return " ".join(str(cause.orig).split())
    return str(exc)


def _say(line: str) -> None:
    print(line, flush=True)


def _print_comparison(found: list[Comparison]) -> None:
    print(f"{'table':<24} {'source rows':>11} {'target rows':>11}  source sha256  target sha256")
    for c in found:
        mark = "equal" if c.equal else "DIFFERENT"
        print(
            f"{c.table:<24} {c.source.rows:>11} {c.target.rows:>11}  "
            f"{c.source.sha256[:12]}   {c.target.sha256[:12]}   {mark}"
        )


def cmd_hash_password(args: argparse.Namespace) -> None:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CommandError("the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise CommandError("use a password of at least 8 characters")
    print(hash_password(password))


def cmd_customer(args: argparse.Namespace) -> None:
    settings = _settings(args)
    db = _migrated(settings)
    try:
        if args.action == "create":
            _create_customer(db, args.customer_id)
        else:
            status = "blocked" if args.action == "block" else "active"
            with db.write() as conn:
                found = customers.set_status(
                    conn, customer_id=args.customer_id, status=status, now=utcnow()
                )
                # An unblocked customer's switch is armed again from its latest report.
                deadman.rearm_all(conn, default_threshold=settings.alerting.stale_threshold)
            if not found:
                raise CommandError(f"no customer {args.customer_id!r}")
            print(f"customer {args.customer_id} is {status}")
    finally:
        db.dispose()


def cmd_maintenance(args: argparse.Namespace) -> None:
    settings = _settings(args)
    db = _migrated(settings)
    now = utcnow()
    try:
        with db.write() as conn:
            if args.action == "add":
                start = _when(args.start) if args.start else now
                end = start + timedelta(hours=args.hours)
                window_id = maintenance.add(
                    conn,
                    customer_id=args.customer_id,
                    starts_at=start,
                    ends_at=end,
                    reason=args.reason,
                    now=now,
                )
                print(f"window {window_id}: {start.isoformat()} to {end.isoformat()}")
            elif args.action == "remove":
                if not maintenance.remove(conn, customer_id=args.customer_id, window_id=args.id):
                    raise CommandError(f"no window {args.id} for {args.customer_id!r}")
                print(f"window {args.id} removed")
            else:
                for w in maintenance.windows(conn, customer_id=args.customer_id, ending_after=now):
                    print(f"{w.id}\t{w.starts_at.isoformat()}\t{w.ends_at.isoformat()}\t{w.reason}")
    finally:
        db.dispose()


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--start {text!r} is not an ISO time (e.g. 2026-12-24T08:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise CommandError("--start needs a time zone (e.g. 2026-12-24T08:00+01:00)")
    return value


def _create_customer(db: Database, customer_id: str) -> None:
    try:
        created = create_customer(db, customer_id, now=utcnow())
    except InvalidCustomerIdError as exc:
        raise CommandError(str(exc)) from None
    except customers.CustomerExistsError:
        raise CommandError(f"customer {customer_id!r} exists already") from None
    print(f"customer {customer_id} created")
    print(f"api key:            {created.api_key}")
    print(f"retrieval password: {created.retrieval_password}")
    print("Shown once: the hub stores only their hashes.")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _migrate_data_arguments(data: argparse.ArgumentParser) -> None:
    data.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="sqlite:///PATH, postgresql://USER@HOST/DB or a path",
    )
    data.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="the same forms; the password is the hub's (FELHOM_HUB_STORAGE_PASSWORD[_FILE])",
    )
    data.add_argument(
        "--force", action="store_true", help="copy into a non-empty target: resume or overwrite"
    )
    data.add_argument("--verify-only", action="store_true", help="compare only; change nothing")
    data.add_argument(
        "--batch-rows", type=_positive, default=migrate_data.BATCH_ROWS, help="rows per transaction"
    )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", help=f"hub.yaml (default ${CONFIG_ENV} or ./hub.yaml)"
    )
    parser = argparse.ArgumentParser(prog="felhom-hub", description="felhom fleet hub")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        p.set_defaults(func=func)
        return p

    serve = add("serve", cmd_serve, "run the hub")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    init = add("init", cmd_init, "write a starter config with a generated API key")
    init.add_argument("--listen", default="127.0.0.1:8080")
    add("migrate", cmd_migrate, "apply database migrations")
    _migrate_data_arguments(
        add("migrate-data", cmd_migrate_data, "copy the whole database to another engine, verified")
    )
    add("prune", cmd_prune, "delete reports and events past retention.max_days")
    add("hash-password", cmd_hash_password, "print an Argon2 hash for auth.password_hash")
    customer = add("customer", cmd_customer, "create, block or unblock a customer")
    customer.add_argument("action", choices=["create", "block", "unblock"])
    customer.add_argument("customer_id")
    window = add("maintenance", cmd_maintenance, "add, list or remove maintenance windows")
    window.add_argument("action", choices=["add", "list", "remove"])
    window.add_argument("customer_id")
    window.add_argument("id", nargs="?", type=int, help="the window to remove")
    window.add_argument("--start", help="ISO time with a zone (default: now)")
    window.add_argument("--hours", type=float, default=2.0, help="length (default 2)")
    window.add_argument("--reason", default="", help="shown with the window")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as exc:
        print(f"felhom-hub: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"felhom-hub: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
