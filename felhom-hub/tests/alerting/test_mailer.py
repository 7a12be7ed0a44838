"""The two transports against real peers: SMTP (aiosmtpd) and Resend's HTTP contract."""

from datetime import timedelta

import pytest

from felhom_hub.alerting.mailer import Envelope, Permanent, ResendMailer, SmtpMailer, Temporary
from felhom_hub.alerting.messages import Mail
from felhom_hub.config import NotificationSettings
from tests.alerting.peers import resend_server, smtp_server
from tests.hub_process import free_port

ENVELOPE = Envelope(
    key="felhom-notification-7",
    sender="monitoring@felhom.eu",
    recipient="ops@example.com",
    mail=Mail("[felhom] acme: node is down (error)", "Host: node-1\nMessage: <b>down</b>"),
)


def smtp(port: int, **extra: object) -> SmtpMailer:
    settings = NotificationSettings.model_validate(
        {"smtp": {"host": "127.0.0.1", "port": port, "security": "none", **extra}}
    )
    return SmtpMailer(settings)


async def test_smtp_delivers_text_and_html_with_a_stable_message_id() -> None:
    with smtp_server() as (box, port):
        await smtp(port, username="hub", password="smtp-secret").send(ENVELOPE)
    [message] = box.messages
    assert box.recipients == [["ops@example.com"]] and box.logins == [("hub", "smtp-secret")]
    assert message["Subject"] == ENVELOPE.mail.subject
    assert message["Message-ID"] == "<felhom-notification-7@felhom.eu>"
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in message.walk()}
    assert b"<b>down</b>" in parts["text/plain"]
    assert b"&lt;b&gt;down&lt;/b&gt;" in parts["text/html"]


@pytest.mark.parametrize(
    ("answer", "kind"), [("451 try later", Temporary), ("550 no such user", Permanent)]
)
async def test_smtp_4xx_is_temporary_and_5xx_permanent(answer: str, kind: type[Exception]) -> None:
    with smtp_server() as (box, port):
        box.answers.append(answer)
        with pytest.raises(kind) as raised:
            await smtp(port).send(ENVELOPE)
    assert answer.split()[0] in str(raised.value)


async def test_smtp_wrong_password_and_no_server_do_not_leak_the_password() -> None:
    with smtp_server() as (_, port), pytest.raises((Permanent, Temporary)) as raised:
        await smtp(port, username="hub", password="wrong-secret", timeout="3s").send(ENVELOPE)
    assert "wrong-secret" not in str(raised.value)
    with pytest.raises(Temporary):
        await smtp(free_port(), timeout="2s").send(ENVELOPE)


async def test_resend_contract() -> None:
    with resend_server() as (log, url):
        mailer = ResendMailer(url, "re_test_key")
        await mailer.send(ENVELOPE)
        log.answers.append(
            (429, {"name": "rate_limit_exceeded", "message": "slow down"}, {"retry-after": "7"})
        )
        with pytest.raises(Temporary) as limited:
            await mailer.send(ENVELOPE)
        log.answers.append((500, {"name": "internal_server_error", "message": "oops"}, {}))
        with pytest.raises(Temporary):
            await mailer.send(ENVELOPE)
        log.answers.append((422, {"name": "validation_error", "message": "bad to"}, {}))
        with pytest.raises(Permanent) as invalid:
            await mailer.send(ENVELOPE)
        await mailer.close()
    headers, body = log.requests[0]
    assert headers["authorization"] == "Bearer re_test_key"
    assert headers["idempotency-key"] == "felhom-notification-7"
    assert body["to"] == ["ops@example.com"] and body["from"] == "monitoring@felhom.eu"
    assert body["subject"] == ENVELOPE.mail.subject and "&lt;b&gt;" in body["html"]
    assert limited.value.retry_after == 7.0
    assert "bad to" in str(invalid.value) and "re_test_key" not in str(invalid.value)
    assert timedelta(seconds=limited.value.retry_after or 0) == timedelta(seconds=7)
