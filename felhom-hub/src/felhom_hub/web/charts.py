"""History charts as data for an SVG template: a pure function from buckets to polylines.

The x axis spans the chosen period (``since`` to ``now``), so a gap in the reports shows as a
gap in time; the y axis is 0-100 % for every chart on the page (CPU, memory, each mount).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from felhom_hub.store.series import Point

WIDTH, HEIGHT = 600, 160
PAD_LEFT, PAD_BOTTOM = 36, 18
PLOT_W, PLOT_H = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    points: str  # "x,y x,y …" for a <polyline>
    count: int
    last: float | None


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    lines: list[Line]
    start_label: str
    end_label: str

    @property
    def empty(self) -> bool:
        return all(line.count == 0 for line in self.lines)


def _x(at: datetime, since: datetime, now: datetime) -> float:
    span = (now - since).total_seconds() or 1.0
    fraction = min(1.0, max(0.0, (at - since).total_seconds() / span))
    return round(PAD_LEFT + fraction * PLOT_W, 1)


def _y(percent: float) -> float:
    return round(PLOT_H - min(100.0, max(0.0, percent)) / 100.0 * PLOT_H, 1)


def line(
    name: str, values: Sequence[tuple[datetime, float | None]], since: datetime, now: datetime
) -> Line:
    """A polyline through the buckets that have a value (a bucket without one is skipped)."""
    known = [(at, value) for at, value in values if value is not None]
    points = " ".join(f"{_x(at, since, now)},{_y(value)}" for at, value in known)
    return Line(name, points, len(known), known[-1][1] if known else None)


def _label(at: datetime, since: datetime, now: datetime) -> str:
    return at.strftime("%b %d %H:%M UTC" if now - since <= _DAY else "%b %d")


_DAY = timedelta(days=1)


def _percent(used: int | None, total: int | None) -> float | None:
    return None if used is None or not total else round(100.0 * used / total, 1)


def history_charts(points: Sequence[Point], *, since: datetime, now: datetime) -> list[Chart]:
    """CPU (average and peak per bucket), memory used, and one chart per mount's fill."""
    labels = (_label(since, since, now), _label(now, since, now))

    def chart(title: str, lines: list[Line]) -> Chart:
        return Chart(title, lines, *labels)

    cpu = chart(
        "CPU %",
        [
            line("average", [(p.at, p.cpu_percent) for p in points], since, now),
            line("peak", [(p.at, p.cpu_percent_max) for p in points], since, now),
        ],
    )
    memory = chart(
        "Memory used %",
        [
            line(
                "used",
                [(p.at, _percent(p.memory_used_bytes, p.memory_total_bytes)) for p in points],
                since,
                now,
            )
        ],
    )
    mounts = sorted({mount for p in points for mount in p.disks})
    disks = [
        chart(
            f"Disk {mount} used %",
            [line(mount, [(p.at, p.disks.get(mount)) for p in points], since, now)],
        )
        for mount in mounts
    ]
    return [cpu, memory, *disks]
