"""The village profile and the queue's business day."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text

from portal.clock import local_date
from portal.domain.errors import DomainError
from portal.models import Village

# The queue state row with the village's time zone: read on every poll, so one small query.
STATE_SQL = (
    "SELECT q.business_day, q.version, coalesce(v.timezone, 'Asia/Jakarta') "
    "FROM queue_state q LEFT JOIN village v ON v.id = 1 WHERE q.id = 1"
)


@dataclass(frozen=True)
class Today:
    """The queue's current day, its change counter and the village's time zone."""

    day: date
    version: int
    timezone: str

    @classmethod
    def from_row(cls, row, now):
        """Build from a STATE_SQL row: the day is the later of the stored day and the clock's.

        A Pi without a battery clock may boot into the past; taking the later day means such a
        jump can neither repeat a day's ticket numbers nor reuse them.
        """
        stored, version, tz_name = row
        return cls(max(date.fromisoformat(stored), local_date(now, tz_name)), version, tz_name)

    @property
    def etag(self):
        """Changes whenever the queue does or the day turns."""
        return f"{self.version}-{self.day.isoformat()}"


def get_village(session):
    """The village's profile, or None before the demo or the setup wizard created it."""
    return session.get(Village, 1)


def init_village(session, name, timezone="Asia/Jakarta"):
    """Give an empty database its village (the installer's answer): returns ``(village, created)``.

    A database that has a village keeps it unchanged: the village's identity lives here, and the
    console edits it from then on. DomainError for a name that is empty or too long, or an unknown
    time zone."""
    existing = get_village(session)
    if existing is not None:
        return existing, False
    name = " ".join(str(name).split())
    if not name or len(name) > 120:
        raise DomainError("bad_field", field="name")
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise DomainError("bad_field", field="timezone") from None
    village = Village(id=1, name=name, timezone=timezone)
    session.add(village)
    bump_version(session)
    return village, True


def today(session, now, advance=False):
    """The queue's Today; with ``advance`` (in a write transaction) a new local day is recorded."""
    row = session.execute(text(STATE_SQL)).one()
    current = Today.from_row(row, now)
    if advance and current.day.isoformat() != row[0]:
        session.execute(
            text("UPDATE queue_state SET business_day = :day WHERE id = 1"), {"day": current.day.isoformat()}
        )
    return current


def business_day(session, now, advance=False):
    """The queue's day: the village's local date, but never earlier than a day already used."""
    return today(session, now, advance).day


def bump_version(session):
    """Mark the queue as changed: ETags and cached views depend on it. Every write that changes
    what the board or a ticket page shows must call it (tickets, and any edit of services,
    counters or the village profile)."""
    session.execute(text("UPDATE queue_state SET version = version + 1 WHERE id = 1"))
