"""Test doubles for the inspector tests: recorded trees, fake commands on PATH, a loopback
callback API (the fixtures in conftest.py hand them out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

TREES = Path(__file__).parent / "trees"
TOKEN = "tok-Zq9xVb3WmR7pL2nK8sD4fG6hJ1cY5tE0uA3oI7wQ"

# Prints the recorded output of `<name> <args>` from <commands>/<name>_<arg>_<arg>.txt, else fails.
_FAKE_COMMAND = """#!/bin/sh
f="{commands}/${{0##*/}}$(printf '_%s' "$@").txt"
[ -f "$f" ] && exec /bin/cat "$f"
echo "not recorded: $0 $*" >&2
exit 1
"""

# Appends its arguments (one per line) and an end marker to {log}; fails on `--{fail}`.
_FAKE_KEXEC = """#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg" >> "{log}"; done
echo "--end--" >> "{log}"
[ "$1" = "--{fail}" ] && {{ echo "kexec_load failed: Invalid argument" >&2; exit 1; }}
exit 0
"""


def tree(name: str) -> Path:
    return TREES / name / "root"


def expected_report(name: str) -> dict[str, object]:
    report: dict[str, object] = json.loads((TREES / name / "expected.json").read_text())
    return report


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@dataclass
class FakeBin:
    """A directory to use as PATH, holding fake dmidecode/lsblk/ip and a recording kexec."""

    directory: Path
    kexec_log: Path

    @property
    def path(self) -> str:
        return str(self.directory)

    def record(self, tree_name: str, *commands: str) -> None:
        """Fake `commands` answering from trees/<tree_name>/commands/."""
        recorded = TREES / tree_name / "commands"
        for command in commands:
            _executable(self.directory / command, _FAKE_COMMAND.format(commands=recorded))

    def kexec(self, *, fail: str = "never") -> None:
        _executable(self.directory / "kexec", _FAKE_KEXEC.format(log=self.kexec_log, fail=fail))

    def kexec_calls(self) -> list[list[str]]:
        if not self.kexec_log.exists():
            return []
        calls: list[list[str]] = [[]]
        for line in self.kexec_log.read_text().splitlines():
            if line == "--end--":
                calls.append([])
            else:
                calls[-1].append(line)
        return calls[:-1]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ApiServer:
    """Loopback HTTP server: scripted answers per (method, path), every request recorded.

    The answers of a route are used in order; the last one repeats. Unknown routes get 404.
    """

    url: str = ""
    routes: dict[tuple[str, str], list[tuple[int, bytes]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, path: str, *answers: tuple[int, bytes]) -> None:
        self.routes[(method, path)] = list(answers)

    def answer(self, request: Recorded) -> tuple[int, bytes]:
        with self.lock:
            self.requests.append(request)
            answers = self.routes.get((request.method, request.path), [(404, b"not found")])
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def calls(self, method: str, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if (r.method, r.path) == (method, path)]


def handler_for(api: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = Recorded(self.command, self.path, dict(self.headers.items()), body)
            status, payload = api.answer(recorded)
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


CmdlineFor = Callable[..., str]
