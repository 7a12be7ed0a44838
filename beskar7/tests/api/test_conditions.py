"""Conditions behave as Cluster API's: transition time moves only when the status does."""

from datetime import UTC, datetime, timedelta, timezone

from beskar7.api.meta import (
    Condition,
    ConditionSeverity,
    ConditionStatus,
    false_condition,
    format_time,
    get_condition,
    is_true,
    set_condition,
    true_condition,
)

T0 = datetime(2025, 11, 27, 10, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5, microseconds=250)


def test_new_condition_gets_now_truncated_to_seconds() -> None:
    result = set_condition([], true_condition("HostAvailable"), T1)
    assert result[0].last_transition_time == T1.replace(microsecond=0)


def test_same_status_keeps_transition_time_but_updates_reason_and_message() -> None:
    first = set_condition([], false_condition("InfrastructureReady", "WaitingForHost"), T0)
    later = false_condition(
        "InfrastructureReady", "PhysicalHostNotReady", ConditionSeverity.INFO, "still booting"
    )
    result = set_condition(first, later, T1)
    condition = get_condition(result, "InfrastructureReady")
    assert condition is not None
    assert condition.last_transition_time == T0
    assert condition.reason == "PhysicalHostNotReady"
    assert condition.message == "still booting"
    assert condition.severity is ConditionSeverity.INFO


def test_status_change_moves_transition_time() -> None:
    first = set_condition([], false_condition("InfrastructureReady", "WaitingForHost"), T0)
    result = set_condition(first, true_condition("InfrastructureReady"), T1)
    assert result[0].status is ConditionStatus.TRUE
    assert result[0].last_transition_time == T1.replace(microsecond=0)
    assert result[0].reason is None


def test_input_list_is_not_modified_and_order_is_ready_first_then_by_type() -> None:
    conditions = set_condition([], true_condition("PhysicalHostAssociated"), T0)
    conditions = set_condition(conditions, true_condition("InfrastructureReady"), T0)
    before = list(conditions)
    result = set_condition(conditions, true_condition("Ready"), T1)
    assert conditions == before
    assert [c.type for c in result] == ["Ready", "InfrastructureReady", "PhysicalHostAssociated"]


def test_get_condition_and_is_true() -> None:
    conditions = [
        Condition(type="A", status=ConditionStatus.TRUE, last_transition_time=T0),
        Condition(type="B", status=ConditionStatus.UNKNOWN, last_transition_time=T0),
    ]
    assert get_condition(conditions, "B") is conditions[1]
    assert get_condition(conditions, "C") is None
    assert is_true(conditions, "A")
    assert not is_true(conditions, "B")
    assert not is_true(conditions, "C")


def test_condition_json_uses_capi_names_and_rfc3339() -> None:
    condition = set_condition([], false_condition("Ready", "X", message="m"), T0)[0]
    assert condition.model_dump(mode="json", exclude_none=True) == {
        "type": "Ready",
        "status": "False",
        "severity": "Warning",
        "lastTransitionTime": "2025-11-27T10:00:00Z",
        "reason": "X",
        "message": "m",
    }


def test_times_are_written_in_utc_and_keep_fractions_only_when_present() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_time(datetime(2025, 1, 1, 12, 0, tzinfo=plus_two)) == "2025-01-01T10:00:00Z"
    assert format_time(datetime(2025, 1, 1, 12, 0)) == "2025-01-01T12:00:00Z"
    assert format_time(T1) == "2025-11-27T10:05:00.000250Z"
