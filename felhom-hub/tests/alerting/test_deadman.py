from datetime import timedelta

import pytest

from felhom_hub.alerting.deadman import NodeState, step
from tests.conftest import START

T = timedelta(minutes=30)


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (timedelta(0), NodeState.UP),
        (timedelta(minutes=29, seconds=59), NodeState.UP),
        (timedelta(minutes=30), NodeState.STALE),
        (timedelta(minutes=60), NodeState.STALE),
        (timedelta(minutes=60, seconds=1), NodeState.DOWN),
        (timedelta(days=3), NodeState.DOWN),
    ],
)
def test_the_boundaries_are_those_of_warn_and_down(age: timedelta, state: NodeState) -> None:
    assert step(START, T, START + age).state is state


def test_each_state_names_when_the_next_is_due() -> None:
    up = step(START, T, START)
    assert up.due_at == int((START + T).timestamp())
    stale = step(START, T, START + T)
    assert stale.due_at == int((START + 2 * T).timestamp()) + 1
    assert step(START, T, START + 3 * T).due_at is None


def test_a_fractional_report_time_rounds_deadlines_the_safe_way() -> None:
    received = START + timedelta(microseconds=500_000)
    assert step(received, T, START + T).state is NodeState.UP  # 29:59.5 old
    assert step(received, T, START + T + timedelta(seconds=1)).state is NodeState.STALE
