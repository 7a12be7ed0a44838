import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from felhom_hub.jobs.schedule import next_daily, run_daily


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Winter (CET, UTC+1): 04:30 Budapest is 03:30 UTC.
        (datetime(2026, 1, 10, 3, 0, tzinfo=UTC), datetime(2026, 1, 10, 3, 30, tzinfo=UTC)),
        (datetime(2026, 1, 10, 3, 30, tzinfo=UTC), datetime(2026, 1, 11, 3, 30, tzinfo=UTC)),
        # Summer (CEST, UTC+2): 02:30 UTC.
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 2, 2, 30, tzinfo=UTC)),
        # Spring forward on 2026-03-29: the day before is CET, the day itself CEST.
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 30, tzinfo=UTC)),
        # Fall back on 2026-10-25.
        (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 30, tzinfo=UTC)),
    ],
)
def test_next_daily_follows_budapest_time(now: datetime, expected: datetime) -> None:
    assert next_daily(now, time(4, 30)) == expected


def test_next_daily_in_the_dst_gap_still_runs_that_day() -> None:
    # 02:30 does not exist in Budapest on 2026-03-29; the job still runs once that night.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    due = next_daily(now, time(2, 30))
    assert due.date() == datetime(2026, 3, 29).date()
    assert next_daily(due, time(2, 30)) - due >= timedelta(hours=23)


def test_run_daily_calls_the_job_at_its_slot_and_stops() -> None:
    calls: list[datetime] = []
    due = datetime(2026, 1, 10, 3, 30, tzinfo=UTC)
    times = iter([due - timedelta(seconds=0.05)] * 2 + [due] * 10)

    async def scenario() -> None:
        stop = asyncio.Event()

        def job(now: datetime) -> None:
            calls.append(now)
            stop.set()

        await asyncio.wait_for(run_daily("t", time(4, 30), job, lambda: next(times), stop), 5)

    asyncio.run(scenario())
    assert calls == [due]


def test_run_daily_survives_a_failing_job() -> None:
    attempts: list[int] = []
    start = datetime(2026, 1, 10, 3, 29, 59, 990000, tzinfo=UTC)
    moments = iter(
        [start, start, start + timedelta(seconds=1), start + timedelta(seconds=1)]
        + [start + timedelta(days=1, seconds=-0.01)] * 2
        + [start + timedelta(days=1, seconds=1)] * 10
    )

    async def scenario() -> None:
        stop = asyncio.Event()

        def job(_: datetime) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("disk full")
            stop.set()

        await asyncio.wait_for(run_daily("t", time(4, 30), job, lambda: next(moments), stop), 5)

    asyncio.run(scenario())
    assert len(attempts) == 2
