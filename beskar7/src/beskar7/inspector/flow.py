"""One inspection run: collect, report, wait for the go-ahead (the hand-off, which brings the
final OS's seed URL), fetch the target, kexec."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from beskar7.inspector.client import Client, endpoint
from beskar7.inspector.deadline import (
    EXIT_INTERNAL,
    EXIT_OK,
    Deadline,
    ReportError,
    StepError,
)
from beskar7.inspector.hardware import collect
from beskar7.inspector.kexec import kexec_commands, run_kexec, shown
from beskar7.inspector.settings import Settings
from beskar7.inspector.target import fetch_target

log = logging.getLogger(__name__)

SEED_PLACEHOLDER = "<seed>/"


def run(
    settings: Settings,
    root: Path = Path("/"),
    *,
    skip_kexec: bool = False,
    dry_run: bool = False,
    once: bool = False,
    path: str | None = None,
    out: TextIO | None = None,
) -> int:
    """The whole flow; returns the exit code (see cli.py). Never raises for a failed step.

    `dry_run`: print the report and the plan, no network. `skip_kexec`: everything for real
    except kexec, whose commands are printed (token redacted). `once`: one attempt per network
    step. `path` is the PATH for dmidecode/lsblk/ip/kexec (None: the environment's).
    """
    stream = out if out is not None else sys.stdout
    report = collect(root, path=path)
    if dry_run:
        stream.write(json.dumps({"report": report, "plan": plan(settings)}, indent=2) + "\n")
        return EXIT_OK
    deadline = Deadline(settings.timeout)
    client = Client(settings, deadline, once=once)
    try:
        client.post_report(report)
    except ReportError as exc:
        log.error("%s", exc.reason)
        return exc.exit_code
    return _after_report(settings, client, deadline, skip_kexec=skip_kexec, path=path, out=stream)


def _after_report(
    settings: Settings,
    client: Client,
    deadline: Deadline,
    *,
    skip_kexec: bool,
    path: str | None,
    out: TextIO,
) -> int:
    """Every failure from here on is also reported to the API as provision-failed."""
    try:
        _provision(settings, client, deadline, skip_kexec=skip_kexec, path=path, out=out)
    except StepError as exc:
        reason, code = exc.reason, exc.exit_code
    except Exception as exc:  # a bug must still tell the controller, not strand the host
        reason = settings.redact(f"inspector internal error: {type(exc).__name__}: {exc}")
        code = EXIT_INTERNAL
    else:
        return EXIT_OK
    log.error("%s", reason)
    client.provision_failed(reason)
    return code


def _provision(
    settings: Settings,
    client: Client,
    deadline: Deadline,
    *,
    skip_kexec: bool,
    path: str | None,
    out: TextIO,
) -> None:
    """Wait for the go-ahead, fetch the target, kexec (or print the kexec commands)."""
    seed = client.wait_handoff()
    files = fetch_target(settings, deadline)
    commands = kexec_commands(settings, files.kernel, files.initrd, seed)
    if skip_kexec:
        log.info("--skip-kexec: not running kexec")
        out.write("".join(shown(settings, command) + "\n" for command in commands))
        return
    run_kexec(settings, commands, path=path)


def _kexec_plan(settings: Settings) -> list[list[str]]:
    return kexec_commands(settings, "<kernel>", "<initrd>", SEED_PLACEHOLDER)


def plan(settings: Settings) -> list[str]:
    """What a real run would do, one line per step, token redacted."""
    digest = f", verify {settings.target_digest}" if settings.target_digest else ""
    initrd = f"download the initrd {settings.target_initrd}" if settings.target_initrd else None
    steps = [
        f"POST {endpoint(settings, 'inspection')} with the report "
        f"(retry 5xx/429/unreachable every {settings.retry_delay:g}s doubling "
        f"to {settings.retry_cap:g}s, within {settings.timeout:g}s)",
        f"POST {endpoint(settings, 'handoff')} every {settings.poll_interval:g}s until 200: "
        "the final OS's seed URL",
        f"download {settings.target}{digest}; a tar archive is unpacked and searched for "
        "vmlinuz*|kernel|bzImage and initrd*|initramfs*",
        *([initrd] if initrd else []),
        *(
            shown(settings, command)
            for command in kexec_commands(settings, "<kernel>", "<initrd>", SEED_PLACEHOLDER)
        ),
        f"on failure after the report: POST {endpoint(settings, 'provision-failed')}",
    ]
    return [settings.redact(step) for step in steps]
