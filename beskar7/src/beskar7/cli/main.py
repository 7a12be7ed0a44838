"""The `beskar7` command: manager, apply, convert, get, delete, crds, components."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from beskar7 import __version__
from beskar7.api import components, crds
from beskar7.api.errors import NotFoundError, StoreError
from beskar7.api.kinds import UnknownKindError, find_kind
from beskar7.cli import convert, flags, get
from beskar7.cli.apply import DEFAULT_NAMESPACE, ApplyError, apply
from beskar7.cli.manager import ManagerOptions, run_manager
from beskar7.cli.manifests import ManifestError, load
from beskar7.store.open import open_store


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except (ApplyError, ManifestError, UnknownKindError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, help="embedded store file (default ./var/beskar7.db)")
    parser.add_argument("--kubeconfig", type=Path, help="use this cluster instead of the store")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beskar7", description=__doc__)
    parser.add_argument("--version", action="version", version=f"beskar7 {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _manager_parser(commands.add_parser("manager", help="run the controllers"))
    p = commands.add_parser("apply", help="create or update objects from manifests")
    _store_flags(p)
    p.add_argument("-f", "--filename", required=True, help="file, directory or - for stdin")
    p.add_argument("-n", "--namespace", default=DEFAULT_NAMESPACE)
    p.set_defaults(run=_apply)
    p = commands.add_parser("convert", help="rewrite v1alpha1 manifests to v1beta1 (stdout)")
    p.add_argument("-f", "--filename", required=True, help="file, directory or - for stdin")
    p.set_defaults(run=lambda args: convert.run(args.filename))
    p = commands.add_parser("get", help="show objects")
    _store_flags(p)
    p.add_argument("kind", help="kind, plural, singular or short name (ph, b7mt, ...)")
    p.add_argument("name", nargs="?")
    p.add_argument("-n", "--namespace", default=DEFAULT_NAMESPACE)
    p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument("-l", "--selector", help="label selector, e.g. zone=a,tier!=db")
    p.add_argument("-o", "--output", choices=get.FORMATS, default="table")
    p.set_defaults(run=_get)
    p = commands.add_parser("delete", help="delete an object (finalizers run first)")
    _store_flags(p)
    p.add_argument("kind")
    p.add_argument("name")
    p.add_argument("-n", "--namespace", default=DEFAULT_NAMESPACE)
    p.set_defaults(run=_delete)
    p = commands.add_parser("components", help="print infrastructure-components.yaml")
    p.add_argument("--output", type=Path, help="write it to this file instead")
    p.set_defaults(run=_components)
    p = commands.add_parser("crds", help="print the CustomResourceDefinitions")
    p.add_argument("--output-dir", type=Path, help="write one file per CRD here instead")
    p.set_defaults(run=_crds)
    return parser


def _manager_parser(p: argparse.ArgumentParser) -> None:
    _store_flags(p)
    d = ManagerOptions()
    p.add_argument("--metrics-bind-address", default=d.metrics_bind_address, help="0 disables")
    p.add_argument("--health-probe-bind-address", default=d.health_probe_bind_address)
    p.add_argument(
        "--leader-elect", type=flags.boolean, nargs="?", const=True, default=d.leader_elect
    )
    p.add_argument("--leader-election-namespace", default=d.leader_election_namespace)
    p.add_argument("--watch-namespaces", type=flags.namespaces, default=[], help="a,b (all)")
    p.add_argument(
        "--namespace", dest="watch_namespace", default="", help="watch only this one (clusterctl)"
    )
    p.add_argument(
        "--watch-filter", default="", help="only objects labelled cluster.x-k8s.io/watch-filter="
    )
    p.add_argument("--concurrency", type=int, default=d.concurrency, help="workers per controller")
    p.add_argument("--redfish-timeout", type=flags.duration, default=d.redfish_timeout)
    p.add_argument("--inspection-port", type=int, default=d.inspection_port)
    p.add_argument(
        "--inspection-bind-address", default=d.inspection_bind_address, help="all; 0 disables"
    )
    p.add_argument("--bootstrap-url-base", default=d.bootstrap_url_base)
    p.add_argument("--inspection-timeout", type=flags.duration, default=d.inspection_timeout)
    p.add_argument("--deployment-timeout", type=flags.duration, default=d.deployment_timeout)
    p.add_argument("--boot-rate", type=float, default=d.boot_rate, help="per client address /s")
    p.add_argument("--boot-burst", type=int, default=d.boot_burst)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.set_defaults(run=_manager)


class FlagError(ValueError):
    pass


def manager_options(argv: Sequence[str]) -> ManagerOptions:
    """The options of `beskar7 manager ARGV...`; FlagError when the flags disagree."""
    return _options(_parser().parse_args(["manager", *argv]))


def _options(args: argparse.Namespace) -> ManagerOptions:
    names = ManagerOptions.__dataclass_fields__
    options = ManagerOptions(**{k: v for k, v in vars(args).items() if k in names})
    if args.watch_namespace:
        if options.watch_namespaces and options.watch_namespaces != [args.watch_namespace]:
            raise FlagError("--namespace and --watch-namespaces disagree")
        options.watch_namespaces = [args.watch_namespace]
    return options


def _manager(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
    except FlagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not asyncio.run(run_manager(options)):
        print("error: lost leadership; exiting to compete again", file=sys.stderr)
        return 1
    return 0


def _apply(args: argparse.Namespace) -> int:
    objects = load(args.filename)

    async def run() -> None:
        store = await open_store(args.store, args.kubeconfig)
        try:
            for applied in await apply(store, objects, args.namespace):
                print(applied)
        finally:
            await store.close()

    asyncio.run(run())
    return 0


def _get(args: argparse.Namespace) -> int:
    kind = find_kind(args.kind)
    namespace = None if args.all_namespaces else args.namespace

    async def run() -> str:
        store = await open_store(args.store, args.kubeconfig)
        try:
            if args.name:
                items = [await store.get(kind, args.namespace, args.name)]
            else:
                items = (await store.list(kind, namespace, args.selector)).items
        finally:
            await store.close()
        now = datetime.now(UTC)
        if not items and args.output == "table":
            where = "any namespace" if namespace is None else f"namespace {namespace}"
            return f"No {kind.plural} found in {where}.\n"
        single, every = bool(args.name), namespace is None
        return get.render(kind, items, args.output, now, single=single, all_namespaces=every)

    sys.stdout.write(asyncio.run(run()))
    return 0


def _delete(args: argparse.Namespace) -> int:
    kind = find_kind(args.kind)

    async def run() -> None:
        store = await open_store(args.store, args.kubeconfig)
        try:
            left = await store.delete(kind, args.namespace, args.name)
        finally:
            await store.close()
        what = f"{kind.plural}.{kind.group or 'core'}/{args.name}"
        pending = (left or {}).get("metadata", {}).get("finalizers")
        print(
            f"{what} deleted"
            + (f" (waiting for finalizers: {', '.join(pending)})" if pending else "")
        )

    try:
        asyncio.run(run())
    except NotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _components(args: argparse.Namespace) -> int:
    if args.output:
        print(components.write(args.output))
        return 0
    sys.stdout.write(components.generate())
    return 0


def _crds(args: argparse.Namespace) -> int:
    if args.output_dir:
        for path in crds.write(args.output_dir):
            print(path)
        return 0
    sys.stdout.write("---\n".join(crds.generate()[name] for name in sorted(crds.generate())))
    return 0
