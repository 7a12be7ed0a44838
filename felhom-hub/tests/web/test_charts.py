from datetime import UTC, datetime, timedelta

from felhom_hub.store.series import Point
from felhom_hub.web.charts import PAD_LEFT, PLOT_H, WIDTH, history_charts, line

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)


def point(at: datetime, cpu: float | None, disks: dict[str, float]) -> Point:
    return Point(
        at, 1, 0, cpu, cpu, None, None, 512, 1024, None, None, None, disks, 0, 0, 0, None, None
    )


def test_a_line_spans_the_period_and_skips_buckets_without_a_value() -> None:
    drawn = line(
        "cpu", [(SINCE, 0.0), (SINCE + timedelta(hours=12), None), (NOW, 100.0)], SINCE, NOW
    )
    assert drawn.count == 2
    assert drawn.points == f"{PAD_LEFT}.0,{PLOT_H}.0 {WIDTH}.0,0.0"
    assert drawn.last == 100.0


def test_values_outside_the_axis_are_clamped() -> None:
    drawn = line("x", [(SINCE - timedelta(hours=1), 150.0)], SINCE, NOW)
    assert drawn.points == f"{PAD_LEFT}.0,0.0"


def test_cpu_memory_and_one_chart_per_mount() -> None:
    points = [
        point(SINCE + timedelta(hours=h), 10.0 * h, {"/": 40.0, "/data": 70.0} if h else {"/": 1.0})
        for h in range(5)
    ]
    charts = history_charts(points, since=SINCE, now=NOW)
    assert [c.title for c in charts] == [
        "CPU %",
        "Memory used %",
        "Disk / used %",
        "Disk /data used %",
    ]
    assert [line.count for line in charts[0].lines] == [5, 5]
    assert charts[1].lines[0].last == 50.0
    assert charts[3].lines[0].count == 4
    assert not charts[0].empty


def test_no_points_make_empty_charts() -> None:
    charts = history_charts([], since=SINCE, now=NOW)
    assert len(charts) == 2 and all(c.empty for c in charts)
