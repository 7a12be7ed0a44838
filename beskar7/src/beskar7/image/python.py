"""Debian's python3.11 in the image: the interpreter, a pruned standard library, the inspector.

The standard library loses what a one-shot stdlib-only program never imports (tests, GUI, IDE,
packaging, databases, asyncio, multiprocessing, mail servers, CJK codecs, ...). The builder
checks the result by running the image's own interpreter on the staged tree (see `check`).
"""

from __future__ import annotations

from pathlib import Path

from beskar7.image.tree import Tree

VERSION = "3.11"
STDLIB = f"usr/lib/python{VERSION}"
DYNLOAD_SUFFIX = ".cpython-311-x86_64-linux-gnu.so"
SITE = "usr/lib/python3/dist-packages"

PRUNED_DIRS = frozenset(
    "test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data unittest distutils venv "  # noqa: SIM905
    "asyncio multiprocessing curses dbm sqlite3 xmlrpc wsgiref ctypes concurrent __phello__ "
    "xml html tomllib zoneinfo __pycache__".split()
)
PRUNED_FILES = frozenset(
    "pydoc turtle doctest _pydecimal pdb antigravity this __hello__ tabnanny smtpd smtplib "  # noqa: SIM905
    "imaplib nntplib poplib ftplib telnetlib mailbox cgi cgitb aifc sunau wave chunk sndhdr "
    "imghdr xdrlib pipes mailcap uu nturl2path _aix_support _osx_support _pyio pickletools "
    "pyclbr trace profile cProfile pstats timeit webbrowser sitecustomize bdb code codeop "
    "modulefinder zipapp imp asyncore asynchat sched statistics "
    "decimal fractions difflib plistlib rlcompleter".split()
)
KEPT_EXTENSIONS = frozenset(
    "_bz2 _lzma _json _hashlib _ssl _queue _contextvars _typing mmap resource termios".split()  # noqa: SIM905
)


def stdlib_wanted(relative: Path) -> bool:
    """Whether a path under /usr/lib/python3.11 goes into the image."""
    parts = relative.parts
    if any(part in PRUNED_DIRS for part in parts[:-1]):
        return False
    if parts[0] == "lib-dynload":
        return relative.name.removesuffix(DYNLOAD_SUFFIX) in KEPT_EXTENSIONS
    if relative.suffix == ".py" and len(parts) == 1:
        return relative.stem not in PRUNED_FILES
    return relative.suffix in (".py", ".so") or relative.name == "LICENSE.txt"


def add_python(tree: Tree) -> None:
    """The interpreter (python3 -> python3.11) and the pruned standard library."""
    tree.add_elf("usr/bin/python3.11")
    tree.add_symlink("usr/bin/python3", "python3.11")
    root = tree.source(STDLIB)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or not stdlib_wanted(relative):
            continue
        if path.suffix == ".so":
            tree.add_elf(f"{STDLIB}/{relative}")
        else:
            tree.add_from(f"{STDLIB}/{relative}")


def add_inspector(tree: Tree, source: Path) -> None:
    """beskar7/__init__.py and beskar7/inspector/ (sources only) into dist-packages."""
    tree.add_file(f"{SITE}/beskar7/__init__.py", (source / "__init__.py").read_bytes())
    package = source / "inspector"
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(source)
        if "__pycache__" not in relative.parts:
            tree.add_file(f"{SITE}/beskar7/{relative.as_posix()}", path.read_bytes())
