"""The notification dispatcher: every stored event passes ``decide_once`` (claimed and decided in
one transaction, so exactly once), and ``send_once`` sends what was queued (claimed before the
send; a claim whose sender died is retried after the lease, never sent twice within a cooldown
because the cooldown counts queued and claimed notices too)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Connection

from felhom_hub.alerting.decide import Channel, ChannelFacts, Decision, Facts, decide
from felhom_hub.alerting.mailer import Envelope, Mailer, Permanent, Temporary
from felhom_hub.alerting.messages import Mail, Notice, customer_mail, operator_mail
from felhom_hub.config import Settings
from felhom_hub.events import EventType, Severity
from felhom_hub.store import Database, fleet, maintenance, notifications
from felhom_hub.store.notifications import FLAP_SUMMARY, ClaimedEvent, Entry

log = logging.getLogger(__name__)
DECIDE_BATCH = 100
SEND_BATCH = 20
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
HOUR = timedelta(hours=1)


def _channel(
    conn: Connection, event: ClaimedEvent, channel: Channel, cooldown: timedelta, now: datetime
) -> tuple[bool, bool]:
    """(in cooldown, heard an outage) for one channel."""
    args = {"customer_id": event.customer_id, "channel": channel.value}
    cooling = cooldown > timedelta(0) and notifications.notified_since(
        conn, event_type=event.event_type, since=now - cooldown, **args
    )
    return cooling, notifications.heard_outage(conn, **args)


def gather(
    conn: Connection, event: ClaimedEvent, settings: Settings, now: datetime
) -> tuple[Facts, Notice]:
    """What the decision needs to know, read in the dispatcher's transaction."""
    note = settings.notifications
    rows = fleet.page(conn, after=None, limit=1, only=event.customer_id)
    prefs = notifications.preferences(conn, customer_id=event.customer_id)
    event_type = EventType(event.event_type)
    op_cooling, op_heard = _channel(conn, event, Channel.OPERATOR, note.operator_cooldown, now)
    cu_cooldown = timedelta(hours=prefs.cooldown_hours) if prefs else timedelta(0)
    cu_cooling, cu_heard = _channel(conn, event, Channel.CUSTOMER, cu_cooldown, now)
    since = now - HOUR
    transitions = notifications.node_transitions_since(
        conn, customer_id=event.customer_id, since=since
    )
    facts = Facts(
        event_type=event_type,
        severity=Severity(event.severity),
        blocked=bool(rows and rows[0].blocked),
        in_maintenance=maintenance.active(conn, customer_id=event.customer_id, at=now),
        flapping=transitions > settings.alerting.flap_limit,
        flap_summary_sent=notifications.flap_summary_since(
            conn, customer_id=event.customer_id, since=since
        ),
        operator=ChannelFacts(
            note.operator_email or None, note.operator_enabled, op_cooling, op_heard
        ),
        customer=ChannelFacts(
            prefs.email if prefs else None,
            bool(prefs and event_type.value in prefs.enabled_events),
            cu_cooling,
            cu_heard,
        ),
    )
    notice = Notice(
        customer_id=event.customer_id,
        hostname=rows[0].hostname if rows else None,
        event_type=event_type,
        severity=facts.severity,
        message=event.message,
        at=event.received_at,
        subject_hint=str(event.details.get("subject") or "") or None,
    )
    return facts, notice


def _entry(event: ClaimedEvent, notice: Notice, decision: Decision) -> Entry:
    render = operator_mail if decision.channel is Channel.OPERATOR else customer_mail
    mail = render(notice, flap_summary=decision.flap_summary)
    reason = FLAP_SUMMARY if decision.flap_summary else decision.reason
    return Entry(
        customer_id=event.customer_id,
        channel=decision.channel.value,
        event_type=event.event_type,
        event_id=event.id,
        recipient=decision.recipient,
        subject=mail.subject,
        message=mail.text,
        status=decision.outcome.value,
        reason=None if reason is None else str(reason),
    )


def decide_once(db: Database, settings: Settings, now: datetime) -> int:
    """Decide a batch of new events; the number decided (0: nothing is waiting)."""
    with db.write() as conn:
        claimed = notifications.claim_events(conn, limit=DECIDE_BATCH)
        for event in claimed:
            if event.event_type not in EventType.__members__.values():
                continue  # a type this hub does not know has no template
            facts, notice = gather(conn, event, settings, now)
            for decision in decide(facts):
                notifications.record(conn, _entry(event, notice, decision), now=now)
    return len(claimed)


@dataclass(frozen=True, slots=True)
class _Outcome:
    entry_id: int
    claimed_at: datetime | None
    status: str
    error: str | None
    retry_at: datetime | None

    def record(self, conn: Connection, *, now: datetime) -> bool:
        return notifications.finish(
            conn,
            entry_id=self.entry_id,
            status=self.status,
            now=now,
            error=self.error,
            retry_at=self.retry_at,
            claimed_at=self.claimed_at,
        )


@dataclass(frozen=True, slots=True)
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def retry_delay(attempts: int, hint: float | None) -> timedelta:
    """Backoff after the ``attempts``-th try: 30 s doubling to an hour, or the server's hint."""
    backoff = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 12)), HOUR)
    return max(backoff, timedelta(seconds=hint or 0))


async def send_once(db: Database, mailer: Mailer, sender: str, now: datetime) -> SendResult:
    """Send a batch of due notifications; each outcome recorded as it happens."""
    claimed = await db.writing(
        lambda conn: notifications.claim_due(conn, now=now, lease=LEASE, limit=SEND_BATCH)
    )
    sent = retried = failed = 0
    for entry in claimed:
        envelope = Envelope(
            key=f"felhom-notification-{entry.id}",
            sender=sender,
            recipient=entry.recipient or "",
            mail=Mail(entry.subject, entry.message),
        )
        status, error, retry_at = "sent", None, None
        try:
            await mailer.send(envelope)
            sent += 1
        except Temporary as exc:
            error = str(exc)
            if entry.attempts >= MAX_ATTEMPTS:
                status, failed = "failed", failed + 1
            else:
                status, retried = "queued", retried + 1
                retry_at = now + retry_delay(entry.attempts, exc.retry_after)
        except Permanent as exc:
            status, error, failed = "failed", str(exc), failed + 1
        outcome = _Outcome(entry.id, entry.claimed_at, status, error, retry_at)
        await db.writing(partial(outcome.record, now=now))
        if error:
            log.warning("notification %d to %s: %s (%s)", entry.id, entry.channel, error, status)
    return SendResult(sent, retried, failed)
