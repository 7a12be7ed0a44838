from felhom_hub.events import (
    CONTROLLER_EVENT_TYPES,
    HUB_EVENT_TYPES,
    EventSource,
    EventType,
    source_of,
)


def test_vocabulary_has_27_types_five_of_them_hub_generated_plus_the_relay() -> None:
    assert len(EventType) == 28  # the seed's 27 and notify_relay (legacy /notify as an event)
    assert {t.value for t in HUB_EVENT_TYPES} == {
        "node_stale",
        "node_down",
        "node_recovered",
        "expected_backup_missed",
        "expected_dbdump_missed",
    }
    assert len(CONTROLLER_EVENT_TYPES) == 22


def test_source_of_separates_hub_and_controller_types() -> None:
    assert source_of(EventType.NODE_DOWN) is EventSource.HUB
    assert source_of(EventType.BACKUP_FAILED) is EventSource.CONTROLLER
