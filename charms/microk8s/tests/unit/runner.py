"""A fake ``subprocess.run`` that records argv lists and answers from a script."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeRunner:
    """Records every command; replies with the first matching scripted output or failure."""

    calls: list[list[str]] = field(default_factory=list)
    outputs: dict[tuple[str, ...], str] = field(default_factory=dict)
    failures: dict[tuple[str, ...], int] = field(default_factory=dict)
    side_effects: dict[tuple[str, ...], Callable[[list[str]], None]] = field(default_factory=dict)

    def __call__(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs == {"check": True, "capture_output": True, "text": True}
        argv = list(argv)
        self.calls.append(argv)
        for prefix, effect in self.side_effects.items():
            if tuple(argv[: len(prefix)]) == prefix:
                effect(argv)
        for prefix, times in self.failures.items():
            if tuple(argv[: len(prefix)]) == prefix and times > 0:
                self.failures[prefix] = times - 1
                raise subprocess.CalledProcessError(1, argv, "", "boom")
        stdout = next((out for p, out in self.outputs.items() if tuple(argv[: len(p)]) == p), "")
        return subprocess.CompletedProcess(argv, 0, stdout, "")
