"""History resolutions: which tiers exist, how long each is kept, which one a period reads.

Every report adds to three tiers at once: 15-minute samples (kept ``retention.raw_days``),
hourly (``retention.hourly_days``) and daily rollups (``retention.max_days``). A bucket keeps the
count of reports in it, sums for averages, maxima, the worst health and the last state values.
"""

from datetime import datetime, timedelta
from enum import IntEnum

from felhom_hub.config import RetentionSettings


class Resolution(IntEnum):
    """A tier, valued by its bucket width in seconds (stored as such in the series table)."""

    MIN15 = 900
    HOUR = 3600
    DAY = 86400

    @property
    def label(self) -> str:
        return {Resolution.MIN15: "15m", Resolution.HOUR: "1h", Resolution.DAY: "1d"}[self]

    @classmethod
    def parse(cls, label: str) -> "Resolution":
        for resolution in cls:
            if resolution.label == label:
                return resolution
        raise ValueError("resolution must be one of 15m, 1h, 1d or auto")

    def bucket(self, at: datetime) -> int:
        """The bucket start (epoch seconds, UTC) that ``at`` falls in."""
        seconds = int(at.timestamp())
        return seconds - seconds % self.value

    def kept(self, retention: RetentionSettings) -> timedelta:
        days = {
            Resolution.MIN15: retention.raw_days,
            Resolution.HOUR: retention.hourly_days,
            Resolution.DAY: retention.max_days,
        }[self]
        return timedelta(days=days)


# The finest tier is used while a period fits in this many of its buckets (a chart's width).
MAX_POINTS = 800


def choose(period: timedelta, retention: RetentionSettings) -> Resolution:
    """The finest resolution that still holds the whole period in at most MAX_POINTS buckets."""
    for resolution in Resolution:
        fits = period.total_seconds() / resolution.value <= MAX_POINTS
        if fits and period <= resolution.kept(retention):
            return resolution
    return Resolution.DAY
