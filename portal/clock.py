"""The one source of time.

Every module asks a ``Clock`` for the time instead of calling ``datetime.now()``, so tests can
move it (past midnight, forward an hour for ETAs, backwards like a Pi without a battery clock).
Times are stored in UTC; the village's time zone only decides which local day it is.
"""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """The real clock: the system's UTC time."""

    def now(self):
        """Return the current time as an aware UTC datetime."""
        return datetime.now(UTC)


class FakeClock(Clock):
    """A clock tests set and move; it stands still unless moved."""

    def __init__(self, start):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self._now

    def set(self, when):
        """Jump to ``when`` (forwards or backwards)."""
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, **delta):
        """Move forward by ``timedelta(**delta)``."""
        with self._lock:
            self._now += timedelta(**delta)


def local_date(moment, tz_name):
    """The calendar date of ``moment`` in the village's time zone."""
    return moment.astimezone(ZoneInfo(tz_name)).date()
