"""`beskar7 convert -f FILE`: v1alpha1 manifests (the README seed's) rewritten to v1beta1, as
`kubectl convert` does. The converted YAML goes to stdout, per-object notes to stderr; nothing is
written anywhere. Exit 0 when every object would now apply, 1 when some need a hand edit."""

import io
import sys
from typing import TextIO

from ruamel.yaml import YAML

from beskar7.api.v1alpha1 import Converted, convert
from beskar7.cli.manifests import load


def render(converted: list[Converted]) -> str:
    """The objects as one multi-document YAML stream."""
    yaml = YAML()
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump_all([c.obj for c in converted], out)
    return out.getvalue() if converted else ""


def report(converted: list[Converted]) -> str:
    """Per object: what was done, and what still stops `apply`."""
    lines = []
    for c in converted:
        lines.append(f"{c.name}:")
        lines += [f"  - {note}" for note in c.notes]
        lines += [f"  ! before apply: {problem}" for problem in c.problems]
    return "".join(line + "\n" for line in lines)


def run(source: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    converted = [convert(obj) for obj in load(source)]
    out.write(render(converted))
    err.write(report(converted))
    blocked = sum(1 for c in converted if c.problems)
    if blocked:
        err.write(f"{blocked} of {len(converted)} object(s) need a hand edit before apply\n")
    return 1 if blocked else 0
