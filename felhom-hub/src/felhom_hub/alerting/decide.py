"""Who hears of an event: a pure function from the event and what is known about its customer
to one decision per channel — queued (to send) or skipped, with the reason.

- Operator channel (English): warning and error events, when ``notifications.operator_enabled``
  and an address is set; one per customer and event type per ``operator_cooldown`` (1 h).
- Customer channel (Hungarian): the event types in the customer's ``enabled_events``, to its
  address, one per type per its ``cooldown_hours`` (6 h by default).
- Nothing for a blocked customer, nor inside a maintenance window (both recorded as skipped).
- ``node_recovered`` goes, whatever the cooldown, to each channel that heard the outage.
- A customer that flapped (up/down) more than ``flap_limit`` times in the last hour gets one
  summary per hour instead of a storm.
- A legacy relay (``notify_relay``) goes to the customer's address, else to the operator.
"""

from dataclasses import dataclass
from enum import StrEnum

from felhom_hub.events import EventType, Severity

OUTAGE = frozenset({EventType.NODE_STALE, EventType.NODE_DOWN})
FLAPPING = frozenset({EventType.NODE_STALE, EventType.NODE_DOWN, EventType.NODE_RECOVERED})


class Channel(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"


class Outcome(StrEnum):
    QUEUED = "queued"
    SKIPPED = "skipped"


class SkipReason(StrEnum):
    BLOCKED = "blocked"
    MAINTENANCE = "maintenance"
    COOLDOWN = "cooldown"
    NOT_ENABLED = "event type not enabled"
    NO_ADDRESS = "no address"
    OPERATOR_OFF = "operator notifications off"
    BELOW_WARNING = "below warning"
    NOT_HEARD = "outage not notified"
    FLAPPING = "flapping"


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """What the store knows about one channel for this event."""

    address: str | None
    enabled: bool  # operator: operator_enabled; customer: the type is in enabled_events
    in_cooldown: bool  # a notice of this type went out within the channel's cooldown
    heard_outage: bool  # the latest outage notice on this channel is not yet followed by recovery


@dataclass(frozen=True, slots=True)
class Facts:
    event_type: EventType
    severity: Severity
    blocked: bool
    in_maintenance: bool
    flapping: bool  # more than flap_limit node transitions within the last hour
    flap_summary_sent: bool  # a flap summary went out within the last hour
    operator: ChannelFacts
    customer: ChannelFacts


@dataclass(frozen=True, slots=True)
class Decision:
    channel: Channel
    outcome: Outcome
    reason: SkipReason | None = None
    recipient: str | None = None
    flap_summary: bool = False


def _skip(channel: Channel, reason: SkipReason) -> Decision:
    return Decision(channel, Outcome.SKIPPED, reason)


def _wanted(channel: Channel, facts: Facts, own: ChannelFacts) -> SkipReason | None:
    """Why this channel does not want the event at all (None: it does)."""
    if channel is Channel.OPERATOR:
        if not own.enabled:
            return SkipReason.OPERATOR_OFF
        if facts.severity is Severity.INFO and facts.event_type is not EventType.NODE_RECOVERED:
            return SkipReason.BELOW_WARNING
    elif not own.enabled:
        return SkipReason.NOT_ENABLED
    return None


def _one(channel: Channel, facts: Facts, own: ChannelFacts) -> Decision:
    not_wanted = _wanted(channel, facts, own)
    if not_wanted is not None:
        return _skip(channel, not_wanted)
    if not own.address:
        return _skip(channel, SkipReason.NO_ADDRESS)
    if facts.event_type is EventType.NODE_RECOVERED:
        if not own.heard_outage:
            return _skip(channel, SkipReason.NOT_HEARD)
        return Decision(channel, Outcome.QUEUED, recipient=own.address)
    if facts.flapping and facts.event_type in FLAPPING:
        if facts.flap_summary_sent:
            return _skip(channel, SkipReason.FLAPPING)
        return Decision(channel, Outcome.QUEUED, recipient=own.address, flap_summary=True)
    if own.in_cooldown:
        return _skip(channel, SkipReason.COOLDOWN)
    return Decision(channel, Outcome.QUEUED, recipient=own.address)


def _relay(facts: Facts) -> list[Decision]:
    """A legacy relay: the customer's address if it has one, else the operator's."""
    if facts.customer.address:
        return [Decision(Channel.CUSTOMER, Outcome.QUEUED, recipient=facts.customer.address)]
    if facts.operator.enabled and facts.operator.address:
        return [Decision(Channel.OPERATOR, Outcome.QUEUED, recipient=facts.operator.address)]
    return [_skip(Channel.OPERATOR, SkipReason.NO_ADDRESS)]


def decide(facts: Facts) -> list[Decision]:
    """One decision per channel (a relay: one in all)."""
    gate = SkipReason.BLOCKED if facts.blocked else None
    if gate is None and facts.in_maintenance:
        gate = SkipReason.MAINTENANCE
    if facts.event_type is EventType.NOTIFY_RELAY:
        return [_skip(Channel.CUSTOMER, gate)] if gate else _relay(facts)
    if gate is not None:
        return [_skip(Channel.OPERATOR, gate), _skip(Channel.CUSTOMER, gate)]
    return [
        _one(Channel.OPERATOR, facts, facts.operator),
        _one(Channel.CUSTOMER, facts, facts.customer),
    ]
