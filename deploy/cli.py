"""``python -m deploy.cli``: build the service images, make the Debian base, print sizes, pin.

build [--base IMAGE | --debian-base] [--engine podman|docker] [SERVICE ...]   (make images)
base                  make the mmdebstrap base and import it (prints its name)
sizes [SERVICE ...]   each image's size, and what it adds to its base
pin [--check]         write deploy/images.env into the manifests (--check: only compare)
"""

import argparse
import subprocess
import sys
from collections.abc import Sequence

from deploy import base, pins
from deploy.images import (
    BuildOptions,
    Engine,
    ImageError,
    build_command,
    coordinates,
    default_ca_bundle,
    find_engine,
    git_revision,
    parse_services,
    push_command,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.cli", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the images (all unless named)")
    build.add_argument("services", nargs="*", metavar="SERVICE")
    where = build.add_mutually_exclusive_group()
    where.add_argument("--base", help="base image (default: the Containerfiles' python slim)")
    where.add_argument("--debian-base", action="store_true", help="make and use the Debian base")
    build.add_argument("--engine", choices=[e.value for e in Engine])
    commands.add_parser("base", help="make the Debian base with mmdebstrap and import it")
    push = commands.add_parser("push", help="push the images (all unless named)")
    push.add_argument("services", nargs="*", metavar="SERVICE")
    push.add_argument("--no-tls-verify", action="store_true", help="plain-HTTP registry (podman)")
    push.add_argument("--engine", choices=[e.value for e in Engine])
    sizes = commands.add_parser("sizes", help="print the images' sizes")
    sizes.add_argument("services", nargs="*", metavar="SERVICE")
    pin = commands.add_parser("pin", help="write deploy/images.env into the manifests")
    pin.add_argument("--check", action="store_true", help="fail when a file differs")
    return parser


def _engine(args: argparse.Namespace) -> Engine:
    return Engine(args.engine) if getattr(args, "engine", None) else find_engine()


def cmd_build(args: argparse.Namespace) -> int:
    engine = _engine(args)
    services = parse_services(args.services)
    chosen = base.ensure_base([engine.value]) if args.debian_base else args.base
    options = BuildOptions(base=chosen, ca_bundle=default_ca_bundle(), revision=git_revision())
    where = coordinates()
    for service in services:
        command = build_command(engine, service, where.ref(service), options)
        print("+ " + " ".join(command), flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            raise ImageError(f"building {service.value} failed (see above)")
    return cmd_sizes(args)


def cmd_push(args: argparse.Namespace) -> int:
    engine = _engine(args)
    where = coordinates()
    for service in parse_services(args.services):
        command = push_command(engine, where.ref(service), tls_verify=not args.no_tls_verify)
        print("+ " + " ".join(command), flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            raise ImageError(f"pushing {where.ref(service)} failed (see above; logged in?)")
    return 0


def image_size(engine: str, ref: str) -> int:
    done = subprocess.run(
        [engine, "image", "inspect", "--format", "{{.Size}}", ref],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise ImageError(f"no image {ref}: build it first (make images)")
    return int(done.stdout.strip())


def cmd_sizes(args: argparse.Namespace) -> int:
    engine = _engine(args).value
    where = coordinates()
    for service in parse_services(args.services):
        ref = where.ref(service)
        print(f"{ref}: {image_size(engine, ref) / 1e6:.0f} MB")
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    where = coordinates()
    if args.check:
        stale = pins.stale(where)
        for path in stale:
            print(f"{path}: differs from deploy/images.env (run: make pin-images)")
        return 1 if stale else 0
    for path in pins.pin(where):
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"build": cmd_build, "push": cmd_push, "sizes": cmd_sizes, "pin": cmd_pin}
    try:
        if args.command == "base":
            print(base.ensure_base([find_engine().value]))
            return 0
        return handlers[args.command](args)
    except ImageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
