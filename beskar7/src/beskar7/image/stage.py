"""The inspection tree written out to a directory, and the image's own python run on it.

The check runs the interpreter that goes into the image (through the image's ld.so and
libraries, so it does not matter what the build machine has) with `-I`, imports every inspector
module, exercises the standard library pieces the inspector uses (hashlib, gzip/xz tar files,
urllib, ssl), checks that no module came from outside the tree, and runs
`python3 -m beskar7.inspector --dry-run`. The same interpreter byte-compiles the tree
(unchecked-hash pycs, so the image's fixed timestamps do not matter; a fixed hash seed, so
the pycs are the same on every build).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from beskar7.image.python import SITE, STDLIB
from beskar7.image.tree import Tree

LOADER = "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBRARY_PATH = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu")
TIMEOUT = 300
COMPILE_ENV = {"PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}  # the same bytes on every build

SMOKE = r"""
import importlib, io, json, pkgutil, sys, tarfile
import beskar7.inspector
names = [i.name for i in pkgutil.walk_packages(beskar7.inspector.__path__, "beskar7.inspector.")]
for name in names:
    if name != "beskar7.inspector.__main__":
        importlib.import_module(name)
import gzip, hashlib, lzma, bz2, ssl, urllib.request, http.client, subprocess, zlib
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
for mode in ("w:gz", "w:xz", "w:bz2"):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        info = tarfile.TarInfo("boot/vmlinuz"); info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    buffer.seek(0)
    assert tarfile.open(fileobj=buffer).getnames() == ["boot/vmlinuz"]
context = ssl.create_default_context()
prefix = sys.argv[1]
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
outside = sorted(n for n, f in files.items() if f and not f.startswith(prefix))
print(json.dumps({"inspector_modules": len(names), "modules": len(files), "outside": outside,
                  "ca_certificates": context.cert_store_stats()["x509_ca"]}))
"""


class CheckError(Exception):
    """The image's python cannot run the inspector."""


def write(tree: Tree, directory: Path) -> None:
    """Materialise the tree (absolute symlinks are kept as they are: they point into the image)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for entry in tree:
        path = directory / entry.path
        if entry.kind == "dir":
            path.mkdir(exist_ok=True)
            path.chmod(entry.mode & 0o7777 | 0o700)
        elif entry.kind == "symlink":
            os.symlink(entry.data.decode(), path)
        else:
            path.write_bytes(entry.data)
            path.chmod(entry.mode & 0o7777)


def python_command(staged: Path, *args: str, isolated: bool = True) -> list[str]:
    """The image's python3.11, started through the image's ld.so and libraries."""
    staged = staged.resolve()
    library_path = ":".join(str(staged / folder) for folder in LIBRARY_PATH)
    loader, python = staged / LOADER, staged / "usr/bin/python3.11"
    flags = ["-B", "-I"] if isolated else ["-B", "-s"]  # -B: only compileall writes pycs
    return [str(loader), "--library-path", library_path, str(python), *flags, *args]


def _run(staged: Path, *args: str, env: dict[str, str] | None = None) -> str:
    command = python_command(staged, *args, isolated=env is None)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=staged, env=env
    )
    if done.returncode != 0:
        raise CheckError(f"{' '.join(args[:3])}: exit {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def check(staged: Path) -> dict[str, object]:
    """Run the smoke script and the inspector's dry run with the image's interpreter."""
    staged = staged.resolve()
    result: dict[str, object] = json.loads(_run(staged, "-c", SMOKE, str(staged)))
    if result["outside"]:
        raise CheckError(f"modules imported from outside the image: {result['outside']}")
    cmdline = (
        "console=ttyS0 beskar7.api=http://10.0.2.2:8082 beskar7.token=t beskar7.namespace=ns "
        "beskar7.host=h beskar7.target=http://10.0.2.2:8082/t.tar.gz"
    )
    output = _run(
        staged, "-m", "beskar7.inspector", "--dry-run", "--root", str(staged), "--cmdline", cmdline
    )
    result["dry_run_plan_steps"] = len(json.loads(output)["plan"])
    return result


def compile_tree(tree: Tree, staged: Path) -> int:
    """Byte-compile the standard library and the inspector; the pycs join the tree."""
    staged = staged.resolve()
    folders = [str(staged / STDLIB), str(staged / SITE)]
    options = ["-q", "-f", "--invalidation-mode", "unchecked-hash", "-s", str(staged), "-p", "/"]
    _run(staged, "-m", "compileall", *options, *folders, env=COMPILE_ENV)
    count = 0
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.pyc")):
            tree.add_file(path.relative_to(staged).as_posix(), path.read_bytes())
            count += 1
    return count
