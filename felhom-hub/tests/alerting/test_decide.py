from dataclasses import replace

import pytest

from felhom_hub.alerting.decide import (
    Channel,
    ChannelFacts,
    Decision,
    Facts,
    Outcome,
    SkipReason,
    decide,
)
from felhom_hub.events import EventType, Severity

OPERATOR = ChannelFacts("ops@example.com", True, False, False)
CUSTOMER = ChannelFacts("owner@example.com", True, False, False)
BASE = Facts(
    event_type=EventType.BACKUP_FAILED,
    severity=Severity.ERROR,
    blocked=False,
    in_maintenance=False,
    flapping=False,
    flap_summary_sent=False,
    operator=OPERATOR,
    customer=CUSTOMER,
)


def outcomes(facts: Facts) -> dict[Channel, tuple[Outcome, SkipReason | None]]:
    return {d.channel: (d.outcome, d.reason) for d in decide(facts)}


def test_an_error_goes_to_both_channels() -> None:
    assert decide(BASE) == [
        Decision(Channel.OPERATOR, Outcome.QUEUED, recipient="ops@example.com"),
        Decision(Channel.CUSTOMER, Outcome.QUEUED, recipient="owner@example.com"),
    ]


@pytest.mark.parametrize(
    ("change", "operator", "customer"),
    [
        ({"blocked": True}, SkipReason.BLOCKED, SkipReason.BLOCKED),
        ({"in_maintenance": True}, SkipReason.MAINTENANCE, SkipReason.MAINTENANCE),
        ({"severity": Severity.INFO}, SkipReason.BELOW_WARNING, None),
        ({"operator": replace(OPERATOR, enabled=False)}, SkipReason.OPERATOR_OFF, None),
        ({"operator": replace(OPERATOR, address=None)}, SkipReason.NO_ADDRESS, None),
        ({"customer": replace(CUSTOMER, enabled=False)}, None, SkipReason.NOT_ENABLED),
        ({"customer": replace(CUSTOMER, in_cooldown=True)}, None, SkipReason.COOLDOWN),
        ({"operator": replace(OPERATOR, in_cooldown=True)}, SkipReason.COOLDOWN, None),
    ],
)
def test_reasons_to_skip(
    change: dict[str, object], operator: SkipReason | None, customer: SkipReason | None
) -> None:
    found = outcomes(replace(BASE, **change))  # type: ignore[arg-type]
    assert found[Channel.OPERATOR][1] == operator
    assert found[Channel.CUSTOMER][1] == customer


def test_recovery_goes_only_where_the_outage_was_heard_whatever_the_cooldown() -> None:
    facts = replace(
        BASE,
        event_type=EventType.NODE_RECOVERED,
        severity=Severity.INFO,
        operator=replace(OPERATOR, heard_outage=True, in_cooldown=True),
        customer=replace(CUSTOMER, heard_outage=False),
    )
    assert outcomes(facts) == {
        Channel.OPERATOR: (Outcome.QUEUED, None),
        Channel.CUSTOMER: (Outcome.SKIPPED, SkipReason.NOT_HEARD),
    }


def test_flapping_sends_one_summary_then_holds_back() -> None:
    facts = replace(BASE, event_type=EventType.NODE_DOWN, flapping=True)
    first = decide(facts)
    assert all(d.outcome is Outcome.QUEUED and d.flap_summary for d in first)
    later = decide(replace(facts, flap_summary_sent=True))
    assert {d.reason for d in later} == {SkipReason.FLAPPING}


def test_a_relay_goes_to_the_customer_else_the_operator() -> None:
    relay = replace(BASE, event_type=EventType.NOTIFY_RELAY, severity=Severity.WARNING)
    [to_customer] = decide(relay)
    assert (to_customer.channel, to_customer.recipient) == (Channel.CUSTOMER, "owner@example.com")
    [to_operator] = decide(replace(relay, customer=replace(CUSTOMER, address=None)))
    assert (to_operator.channel, to_operator.recipient) == (Channel.OPERATOR, "ops@example.com")
    [blocked] = decide(replace(relay, blocked=True))
    assert blocked.reason is SkipReason.BLOCKED
