"""Real peers for the notification tests: an SMTP server (aiosmtpd) and a loopback HTTP server
that answers as Resend's API documents."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.hub_process import free_port


@dataclass
class Mailbox:
    """What the SMTP server received; ``answers`` scripts its replies to DATA ("250 OK" when
    empty), e.g. "451 try later" or "550 no such user"."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.answers:
            return self.answers.pop(0)
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"smtp-secret")


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,
        auth_required=False,
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@dataclass
class ResendLog:
    """Requests received, and the scripted answers: (status, body, headers)."""

    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)


@contextmanager
def resend_server() -> Iterator[tuple[ResendLog, str]]:
    log = ResendLog()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            log.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status, answer, headers = (
                log.answers.pop(0)
                if log.answers
                else (200, {"id": f"email-{len(log.requests)}"}, {})
            )
            if self.path != "/emails":
                status, answer = 404, {"name": "not_found", "message": "no such route"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield log, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
