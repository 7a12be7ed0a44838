"""Maintenance windows as the customer page shows and takes them: times on the hub's clock
(Europe/Budapest), a start and a duration in hours from the form."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from felhom_hub.jobs.schedule import HUB_TZ
from felhom_hub.store import maintenance

MAX_HOURS = 24 * 30
MAX_REASON = 500  # as the API's
DEFAULT_HOURS = 2
_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass(frozen=True, slots=True)
class WindowRequest:
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class WindowRow:
    """One window as the page shows it: times on the hub's clock (Europe/Budapest)."""

    id: int
    starts: str
    ends: str
    reason: str
    active: bool


def local_text(at: datetime) -> str:
    local = at.astimezone(HUB_TZ)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def start_default(now: datetime) -> str:
    """The form's start field: now, on the Budapest clock, as the browser's input wants it."""
    return now.astimezone(HUB_TZ).strftime(_INPUT_FORMAT)


def window_rows(windows: Sequence[maintenance.Window], now: datetime) -> list[WindowRow]:
    """The windows (none ended yet) in the page's words; active when it has begun."""
    return [
        WindowRow(
            id=w.id,
            starts=local_text(w.starts_at),
            ends=local_text(w.ends_at),
            reason=w.reason,
            active=w.starts_at <= now,
        )
        for w in windows
    ]


def _start(text: str, now: datetime) -> datetime:
    if not text:
        return now
    try:
        naive = datetime.strptime(text, _INPUT_FORMAT)
    except ValueError:
        raise ValueError(f"start {text!r} is not a time like 2026-12-24T08:00") from None
    local = naive.replace(tzinfo=HUB_TZ)
    if local.astimezone(UTC).astimezone(HUB_TZ).replace(tzinfo=None) != naive:
        raise ValueError(f"start {text!r} does not exist in Europe/Budapest (clocks go forward)")
    return local.astimezone(UTC)


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise ValueError(f"duration {text!r} is not a number of hours") from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise ValueError(f"duration must be more than 0 and at most {MAX_HOURS} hours")
    return hours


def parse_window(form: dict[str, str], now: datetime) -> WindowRequest:
    """The posted form as a window; ValueError with a message naming the bad field.
    The start is Budapest wall-clock time (empty: now); the duration is in hours."""
    start = _start(form.get("start", "").strip(), now)
    hours = _hours(form.get("hours", "").strip() or str(DEFAULT_HOURS))
    reason = form.get("reason", "").strip()
    if len(reason) > MAX_REASON:
        raise ValueError(f"reason must be at most {MAX_REASON} characters")
    return WindowRequest(start, start + timedelta(hours=hours), reason)
