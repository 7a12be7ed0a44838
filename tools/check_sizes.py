"""Size limits from the style principles: modules and functions stay small enough to read.

Fails on a module over 600 lines or a function over 60; lists modules over 400 and functions
over 40 as warnings. Usage: python tools/check_sizes.py DIR [DIR ...]
"""

import ast
import sys
from pathlib import Path

MODULE_WARN, MODULE_FAIL = 400, 600
FUNCTION_WARN, FUNCTION_FAIL = 40, 60


def check(path: Path) -> tuple[list[str], list[str]]:
    source = path.read_text()
    warnings: list[str] = []
    failures: list[str] = []
    lines = len(source.splitlines())
    if lines > MODULE_WARN:
        (failures if lines > MODULE_FAIL else warnings).append(f"{path}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_WARN:
                found = f"{path}:{node.lineno} {node.name}(): {length} lines"
                (failures if length > FUNCTION_FAIL else warnings).append(found)
    return warnings, failures


def main(folders: list[str]) -> int:
    warnings: list[str] = []
    failures: list[str] = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            found_warnings, found_failures = check(path)
            warnings += found_warnings
            failures += found_failures
    for line in warnings:
        print(f"size warning: {line}")
    for line in failures:
        print(f"size limit exceeded: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
