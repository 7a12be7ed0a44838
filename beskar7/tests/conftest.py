"""Fixtures for beskar7's tests: every module under tests/fixtures/ is a pytest plugin."""

from pathlib import Path

pytest_plugins = [
    f"tests.fixtures.{path.stem}"
    for path in sorted((Path(__file__).parent / "fixtures").glob("*.py"))
    if path.stem != "__init__"
]
