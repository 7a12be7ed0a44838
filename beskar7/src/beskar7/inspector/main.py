"""Entry point of the `beskar7-inspector` console script (the command itself is in cli.py)."""

from beskar7.inspector.cli import main

__all__ = ["main"]
