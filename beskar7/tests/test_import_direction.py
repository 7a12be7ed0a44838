"""beskar7's packages import downwards only: api at the bottom, the command line (cli/) on top.

Each package of the wheel has a declared place, and none imports the test doubles
(beskar7_testing, a dev-only package). A module that imports a package its own package may not
import (an upward import), or that sits in a package nobody placed, fails here with its line.
"""

import ast
from pathlib import Path

import beskar7

SOURCE = Path(beskar7.__file__).parent

# What each package may import from the others (its own modules are always allowed).
ALLOWED: dict[str, frozenset[str]] = {
    "api": frozenset(),
    "redfish": frozenset(),
    "inspector": frozenset(),  # runs in the inspection image: standard library only
    "image": frozenset(),
    "store": frozenset({"api"}),
    "runtime": frozenset({"api", "store"}),
    "callback": frozenset({"api", "store"}),
    "controllers": frozenset({"api", "store", "runtime", "redfish"}),
    "cli": frozenset({"api", "store", "runtime", "controllers", "callback", "(root)"}),
}
TOP: frozenset[str] = frozenset()  # the package root holds only the version


def _package(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return parts[0] if len(parts) > 1 else "(root)"


def _imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, package) for each `beskar7.<package>` this module imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "beskar7":
                names = [f"beskar7.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "beskar7_testing":  # test doubles: never imported by the wheel
                found.append((node.lineno, "beskar7_testing"))
            elif parts[0] == "beskar7" and len(parts) > 1:
                target = parts[1] if (SOURCE / parts[1]).is_dir() else "(root)"
                found.append((node.lineno, target))
    return found


def violations() -> list[str]:
    out: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        package = _package(path)
        allowed = TOP if package == "(root)" else ALLOWED.get(package)
        if allowed is None:
            out.append(f"{path.relative_to(SOURCE)}: package {package!r} has no declared place")
            continue
        for line, target in _imported_packages(path):
            if target != package and target not in allowed:
                out.append(f"{path.relative_to(SOURCE)}:{line}: {package} imports {target}")
    return out


def test_packages_import_downwards_only() -> None:
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The parser finds `from beskar7.runtime...` and `from beskar7 import store` forms."""
    module = tmp_path / "probe.py"
    module.write_text(
        "from beskar7.runtime.controller import Result\nfrom beskar7 import store\n"
        "import beskar7_testing.lab\n"
    )
    assert _imported_packages(module) == [(1, "runtime"), (2, "store"), (3, "beskar7_testing")]


def test_every_package_is_placed() -> None:
    packages = {p.name for p in SOURCE.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(ALLOWED), sorted(packages - set(ALLOWED))
