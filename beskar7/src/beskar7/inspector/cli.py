"""The `beskar7-inspector` command (also `python3 -m beskar7.inspector`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from beskar7.inspector.deadline import EXIT_INTERNAL, EXIT_USAGE
from beskar7.inspector.flow import run
from beskar7.inspector.hardware import collect
from beskar7.inspector.settings import REDACTED, Settings, SettingsError, parse_cmdline

log = logging.getLogger("beskar7.inspector")

EPILOG = """\
kernel parameters (from /proc/cmdline under --root, or --cmdline / --cmdline-file):
  beskar7.api=URL           callback API base, e.g. http://10.0.0.1:8082     (required)
  beskar7.token=TOKEN       bearer token for the API; never printed          (required)
  beskar7.namespace=NS      the PhysicalHost's namespace                     (required)
  beskar7.host=NAME         the PhysicalHost's name                          (required)
  beskar7.target=URL        tar archive (.tar.gz/.tgz/.tar) with vmlinuz*|kernel|bzImage and
                            optionally initrd*|initramfs*, or a kernel itself (required)
  beskar7.target-initrd=URL initrd for a bare kernel target (overrides an archive's)
  beskar7.target-digest=sha256:HEX  checked against the downloaded target
  beskar7.config=URL        the final OS's configuration; needs beskar7.os
  beskar7.os=FAMILY         kairos | talos | flatcar | leap-micro | cloud-init
  beskar7.timeout=SECONDS   overall budget (default 600)
  beskar7.debug=true        debug logging
  BOOTIF=01-aa-bb-cc-dd-ee-ff  the boot NIC (logged)
  console=...               kept on the final OS's command line

exit codes:
  0 done (kexec executed, or --skip-kexec / --dry-run finished)
  1 internal error          2 usage or kernel parameters
  3 report not accepted     4 no go-ahead (hand-off)
  5 target download, digest or archive failed                6 kexec failed
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beskar7-inspector",
        description="Inspect this machine, report it to beskar7, then kexec the target OS.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", type=Path, default=Path("/"), help="read hardware under DIR")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--cmdline-file", type=Path, metavar="F", help="kernel command line file")
    source.add_argument("--cmdline", metavar="S", help="kernel command line text")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the report and the plan; no network"
    )
    parser.add_argument(
        "--skip-kexec", action="store_true", help="do everything but kexec; print its commands"
    )
    parser.add_argument(
        "--once", action="store_true", help="one attempt per network step: no retries or polling"
    )
    parser.add_argument(
        "--state-dir", type=Path, help="bootstrap data and downloads (default /run/beskar7)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = _cmdline_text(args)
    except OSError as exc:
        sys.stderr.write(f"beskar7-inspector: cannot read the kernel command line: {exc}\n")
        return EXIT_USAGE
    try:
        settings = parse_cmdline(text)
    except SettingsError as exc:
        return _settings_error(args, str(exc))
    if args.state_dir is not None:
        settings = dataclasses.replace(settings, state_dir=args.state_dir)
    _configure_logging(settings)
    if settings.boot_mac:
        log.info("booted from the NIC with MAC %s", settings.boot_mac)
    try:
        return run(
            settings, args.root, skip_kexec=args.skip_kexec, dry_run=args.dry_run, once=args.once
        )
    except Exception as exc:
        log.error("internal error: %s", settings.redact(f"{type(exc).__name__}: {exc}"))
        return EXIT_INTERNAL


def _cmdline_text(args: argparse.Namespace) -> str:
    if args.cmdline is not None:
        return str(args.cmdline)
    path = args.cmdline_file or args.root / "proc" / "cmdline"
    return Path(path).read_text(encoding="utf-8", errors="replace")


def _settings_error(args: argparse.Namespace, message: str) -> int:
    """Exit 2; a dry run still prints the report, so the collectors can be tried anywhere."""
    if args.dry_run:
        print(json.dumps({"report": collect(args.root), "error": message}, indent=2))
    sys.stderr.write(f"beskar7-inspector: {message}\n")
    return EXIT_USAGE


class _RedactToken(logging.Filter):
    """Belt and braces: no log line leaves with the token in it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token and self.token in message:
            record.msg, record.args = message.replace(self.token, REDACTED), None
        return True


def _configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactToken(settings.token))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if settings.debug else logging.INFO)
