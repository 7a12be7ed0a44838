"""The maintenance form's parsing and the windows as the page shows them (Budapest time)."""

from datetime import UTC, datetime, timedelta

import pytest

from felhom_hub.store.maintenance import Window
from felhom_hub.web.maintenance_view import (
    WindowRequest,
    local_text,
    parse_window,
    start_default,
    window_rows,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # 13:00 CET


def test_the_start_is_budapest_wall_clock_time() -> None:
    form = {"start": "2026-11-22T15:30", "hours": "1.5", "reason": " disk swap "}
    start = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
    assert parse_window(form, NOW) == WindowRequest(
        start, start + timedelta(minutes=90), "disk swap"
    )
    summer = parse_window({"start": "2026-07-01T08:00", "hours": "2"}, NOW)
    assert summer.starts_at == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # CEST is UTC+2


def test_an_empty_start_is_now_and_an_empty_duration_two_hours() -> None:
    window = parse_window({"start": "", "hours": ""}, NOW)
    assert (window.starts_at, window.ends_at, window.reason) == (NOW, NOW + timedelta(hours=2), "")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"start": "tomorrow", "hours": "2"}, "is not a time like"),
        ({"start": "2026-03-29T02:30", "hours": "2"}, "does not exist in Europe/Budapest"),
        ({"start": "", "hours": "two"}, "is not a number of hours"),
        ({"start": "", "hours": "0"}, "more than 0 and at most 720"),
        ({"start": "", "hours": "-1"}, "more than 0 and at most 720"),
        ({"start": "", "hours": "721"}, "more than 0 and at most 720"),
        ({"start": "", "hours": "nan"}, "more than 0 and at most 720"),
        ({"start": "", "hours": "inf"}, "more than 0 and at most 720"),
        ({"start": "", "hours": "1", "reason": "x" * 501}, "at most 500 characters"),
    ],
)
def test_bad_input_names_the_field(form: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(form, NOW)


def test_rows_show_budapest_time_and_which_window_is_active() -> None:
    def window(window_id: int, start: datetime) -> Window:
        return Window(window_id, "acme", start, start + timedelta(hours=2), "<b>", NOW)

    rows = window_rows(
        [window(1, NOW - timedelta(hours=1)), window(2, NOW + timedelta(days=1))], NOW
    )
    assert [(r.id, r.starts, r.ends, r.active) for r in rows] == [
        (1, "2026-11-22 12:00 CET", "2026-11-22 14:00 CET", True),
        (2, "2026-11-23 13:00 CET", "2026-11-23 15:00 CET", False),
    ]
    assert rows[0].reason == "<b>"  # escaped by the template, like all stored text


def test_times_follow_daylight_saving() -> None:
    assert local_text(datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) == "2026-07-01 08:00 CEST"
    assert start_default(NOW) == "2026-11-22T13:00"
