"""The ``felhom-controller`` command: run, once, restore, check-config.

Exit codes: 0 success; 1 the command failed (``once``: the report stayed queued for the next
run); 2 invalid configuration (the message names the key).
"""

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from felhom_controller import __version__
from felhom_controller.api import ApiServer
from felhom_controller.config import (
    DEFAULT_PATH,
    ConfigError,
    Settings,
    config_path,
    load_settings,
    split_listen,
)
from felhom_controller.cycle import Controller
from felhom_controller.events import Event
from felhom_controller.loop import Runner
from felhom_controller.restore import (
    RestoreError,
    apply_plan,
    fetch_backup,
    outcome_event,
    plan_restore,
    present_uuids,
)
from felhom_controller.update import Updater, report_finished_update

log = logging.getLogger("felhom_controller")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="felhom-controller", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"felhom-controller {__version__}")
    parser.add_argument("--config", type=Path, help="controller.yaml (default: see docs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="collect and report every interval until stopped")
    once = commands.add_parser("once", help="collect, push one report and its events, exit")
    once.add_argument("--print", action="store_true", help="print the JSON, send nothing")
    commands.add_parser("check-config", help="validate the configuration and exit")
    restore = commands.add_parser("restore", help="bring this node back from the hub's backup")
    restore.add_argument("--apply", action="store_true", help="do it (default: print the plan)")
    return parser


def cmd_once(settings: Settings, config_file: Path | None, print_only: bool) -> int:
    controller = Controller(settings, config_file)
    try:
        now = datetime.now(UTC)
        if print_only:
            report, events, _ = controller.evaluate(now)
            customer = settings.identity.customer_id
            payloads = [event.payload(customer, now) for event in events]
            print(json.dumps({"report": report, "events": payloads}, indent=2))
            return 0
        result = controller.run_once(now)
    finally:
        controller.close()
    queued = len(controller.spool)
    print(
        f"health {result.report['health']}; {len(result.events)} event(s); "
        f"sent {result.drained.sent}, rejected {result.drained.rejected}, {queued} queued"
    )
    return 0 if queued == 0 and result.drained.rejected == 0 else 1


def cmd_restore(settings: Settings, config_file: Path, apply: bool) -> int:
    """Print the restore plan; with ``apply`` carry it out and report the outcome."""
    controller = Controller(settings, config_file)
    try:
        try:
            backup = fetch_backup(controller.hub, settings.identity.customer_id)
            plan = plan_restore(backup, present_uuids(), config_file, settings.backup.settings_json)
        except RestoreError as exc:
            print(f"restore failed: {exc}", file=sys.stderr)
            if apply:
                _report_restore(controller, outcome_event([str(exc)], None))
            return 1
        print(plan.describe())
        if not apply:
            print("dry run: nothing written, mounted or sent (add --apply)")
            return 0
        problems = apply_plan(plan, settings.backup.fstab)
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        _report_restore(controller, outcome_event(problems, plan))
        return 0 if not problems else 1
    finally:
        controller.close()


def _report_restore(controller: Controller, event: Event) -> None:
    controller.emit(event, datetime.now(UTC))
    sent = controller.drain().sent
    print(event.message, "(reported to the hub)" if sent else "(queued for the hub)")


def cmd_run(settings: Settings, config_file: Path | None) -> int:
    stop = threading.Event()

    controller = Controller(settings, config_file)

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("stopping (signal %d)", signum)
        stop.set()
        controller.wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    report_finished_update(controller)
    server = None
    if settings.api.listen:
        host, port = split_listen(settings.api.listen)
        server = ApiServer(controller, Updater(controller), host, port)
        server.start()
        log.info("API listening on %s:%d", host, server.port)
    log.info(
        "reporting to %s as %s every %.0fs",
        settings.hub.url,
        settings.identity.customer_id,
        settings.report.interval_seconds,
    )
    try:
        Runner(controller).run(stop)
    finally:
        if server is not None:
            server.stop()
        controller.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config_file = config_path(args.config)
    try:
        settings = load_settings(config_file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"configuration OK: customer {settings.identity.customer_id}, hub {settings.hub.url}")
        return 0
    if args.command == "restore":
        return cmd_restore(settings, config_file or DEFAULT_PATH, args.apply)
    if args.command == "once":
        return cmd_once(settings, config_file, args.print)
    return cmd_run(settings, config_file)


if __name__ == "__main__":
    sys.exit(main())
