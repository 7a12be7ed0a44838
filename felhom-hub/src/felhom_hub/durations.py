"""Go-style duration strings ("90s", "30m", "1h30m") as used in hub.yaml."""

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
MAX_TEXT = 32
MAX_SECONDS = 10 * 366 * 86400
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` or raise ValueError saying what a duration looks like."""
    value = text.strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"is not a duration (at most {MAX_TEXT} characters, e.g. '30m')")
    parts = _PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"{text!r} is not a duration; use e.g. '90s', '30m', '1h30m'")
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than 10 years")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest Go-style spelling of a whole-second duration."""
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    out = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out + (f"{seconds}s" if seconds or not out else "")
