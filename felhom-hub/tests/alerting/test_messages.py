from datetime import UTC, datetime

from felhom_hub.alerting.messages import (
    TITLES_EN,
    TITLES_HU,
    Notice,
    customer_mail,
    one_line,
    operator_mail,
)
from felhom_hub.events import EventType, Severity

NOTICE = Notice(
    customer_id="acme",
    hostname="node-1",
    event_type=EventType.NODE_DOWN,
    severity=Severity.ERROR,
    message="node-1 has not reported for 61 minutes (down)",
    at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
)


def test_every_event_type_has_both_titles() -> None:
    assert set(TITLES_EN) == set(EventType) == set(TITLES_HU)


def test_the_operator_gets_english_with_the_time_in_budapest() -> None:
    mail = operator_mail(NOTICE)
    assert mail.subject == "[felhom] acme: node is down (error)"
    assert "Time: 2026-07-01 12:00 CEST" in mail.text and "Host: node-1" in mail.text


def test_the_customer_gets_hungarian() -> None:
    mail = customer_mail(NOTICE)
    assert mail.subject == "A szerver nem elérhető - node-1"
    assert "Kedves Ügyfelünk!" in mail.text and "Időpont: 2026-07-01 12:00 CEST" in mail.text


def test_no_header_injection_and_html_is_escaped() -> None:
    hostile = Notice(
        customer_id="acme",
        hostname="evil\r\nBcc: victim@example.com",
        event_type=EventType.NOTIFY_RELAY,
        severity=Severity.WARNING,
        message="<script>alert(1)</script>",
        at=NOTICE.at,
        subject_hint="hello\nBcc: x@example.com",
    )
    for mail in (operator_mail(hostile), customer_mail(hostile)):
        assert "\n" not in mail.subject and "\r" not in mail.subject
        assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert one_line("a" * 500).endswith("…") and len(one_line("a" * 500)) == 180
