"""Sending a notification: Resend's HTTP API or SMTP, chosen by configuration.

A send either returns, or raises ``Temporary`` (retry later: 429, 5xx, a network error, an SMTP
4xx) or ``Permanent`` (give up: a 4xx from Resend, an SMTP 5xx). Error texts name the server's
answer, never a key or password.
"""

import email.utils
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from felhom_hub.alerting.messages import Mail
from felhom_hub.config import NotificationSettings, SmtpSecurity, Transport


class Temporary(Exception):  # noqa: N818 - an outcome, not a bug
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Permanent(Exception):  # noqa: N818 - an outcome, not a bug
    pass


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message to one recipient; ``key`` identifies it across retries (idempotency)."""

    key: str
    sender: str
    recipient: str
    mail: Mail


class Mailer(Protocol):
    async def send(self, envelope: Envelope) -> None: ...


class NoMailer:
    """No transport configured: notifications stay queued until one is."""

    async def send(self, envelope: Envelope) -> None:
        raise Temporary("no e-mail transport is configured (notifications.transport)", 300)


class ResendMailer:
    def __init__(self, api_url: str, api_key: str, timeout: float = 30.0) -> None:
        self._client = httpx.AsyncClient(base_url=api_url, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {api_key}"}

    async def send(self, envelope: Envelope) -> None:
        body = {
            "from": envelope.sender,
            "to": [envelope.recipient],
            "subject": envelope.mail.subject,
            "text": envelope.mail.text,
            "html": envelope.mail.html,
        }
        # Resend keeps an idempotency key for 24 h: a retry after a lost answer sends nothing twice.
        headers = {**self._headers, "Idempotency-Key": envelope.key}
        try:
            response = await self._client.post("/emails", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise Temporary(f"Resend unreachable: {type(exc).__name__}") from None
        if response.status_code in (200, 201, 202):
            return
        reason = f"Resend answered {response.status_code}: {_message(response)}"
        if response.status_code == 429 or response.status_code >= 500:
            raise Temporary(reason, _retry_after(response))
        raise Permanent(reason)

    async def close(self) -> None:
        await self._client.aclose()


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    text = data.get("message") or data.get("name") if isinstance(data, dict) else None
    return str(text or response.reason_phrase)[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


class SmtpMailer:
    def __init__(self, settings: NotificationSettings) -> None:
        self._smtp = settings.smtp

    async def send(self, envelope: Envelope) -> None:
        smtp = self._smtp
        try:
            await aiosmtplib.send(
                _message_of(envelope),
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username or None,
                password=smtp.password or None,
                use_tls=smtp.security is SmtpSecurity.TLS,
                start_tls=smtp.security is SmtpSecurity.STARTTLS,
                timeout=smtp.timeout.total_seconds(),
            )
        except aiosmtplib.SMTPResponseException as exc:
            reason = f"SMTP server answered {exc.code}: {exc.message[:200]}"
            raise (Permanent(reason) if exc.code >= 500 else Temporary(reason)) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Temporary(f"SMTP failed: {type(exc).__name__}") from None


def _message_of(envelope: Envelope) -> EmailMessage:
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = envelope.recipient
    message["Subject"] = envelope.mail.subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    domain = envelope.sender.rpartition("@")[2] or "felhom.hub"
    message["Message-ID"] = f"<{envelope.key}@{domain}>"  # the same on a retry
    message.set_content(envelope.mail.text)
    message.add_alternative(envelope.mail.html, subtype="html")
    return message


def mailer_for(settings: NotificationSettings) -> Mailer:
    transport = settings.chosen_transport
    if transport is Transport.SMTP:
        return SmtpMailer(settings)
    if transport is Transport.RESEND:
        return ResendMailer(settings.resend_api_url, settings.resend_api_key)
    return NoMailer()
