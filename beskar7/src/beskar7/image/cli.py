"""`python -m beskar7.image build [--out DIR] [--cache DIR] [--work DIR] [--lock FILE]`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from beskar7.image.build import Options, build
from beskar7.image.cpio import read


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m beskar7.image",
        description="Build beskar7's inspection image and test target OS from Debian bookworm.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="download, resolve, assemble (no root needed)")
    defaults = Options()
    make.add_argument("--out", type=Path, default=defaults.out, help="output directory")
    make.add_argument("--cache", type=Path, default=defaults.cache, help="download cache")
    make.add_argument("--work", type=Path, default=defaults.work, help="scratch directory")
    make.add_argument("--lock", type=Path, help="rebuild from the packages of this manifest.json")
    make.add_argument("--inputs", type=Path, default=defaults.inputs, help="static inputs")
    make.add_argument("--mirror", default=defaults.debian, help="Debian archive base URL")
    make.add_argument("--security-mirror", default=defaults.security, help="security archive")
    listing = commands.add_parser("list", help="list an initrd (newc cpio, gzip'd or not)")
    listing.add_argument("initrd", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.command == "list":
        for entry in read(args.initrd.read_bytes()):
            print(f"{entry.mode:07o} {len(entry.data):>9} {entry.path}")
        return 0
    options = Options(
        out=args.out,
        cache=args.cache,
        work=args.work,
        lock=args.lock,
        inputs=args.inputs,
        debian=args.mirror,
        security=args.security_mirror,
    )
    document = build(options)
    files = document["files"]
    for name in ("vmlinuz", "initrd.img", "target.tar.gz"):
        print(f"{options.out / name}: {files[name]['size'] / 1e6:.1f} MB")
    print(
        f"{options.out / 'manifest.json'}: {len(document['packages'])} packages, "
        f"built in {document['build_seconds']} s"
    )
    return 0
