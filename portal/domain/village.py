"""The village profile and the business day."""

from portal.clock import local_date
from portal.models import QueueState, Village


def get_village(session):
    """The village's profile, or None before the demo or the setup wizard created it."""
    return session.get(Village, 1)


def village_timezone(session):
    """The village's time zone name (WIB when no profile exists yet)."""
    village = get_village(session)
    return village.timezone if village else "Asia/Jakarta"


def queue_state(session):
    """The single queue state row, created on first use."""
    state = session.get(QueueState, 1)
    if state is None:
        raise LookupError("queue_state row missing: run `python -m portal migrate`")
    return state


def business_day(session, now, advance=False):
    """The queue's day: the village's local date, but never earlier than a day already used.

    A Pi without a battery clock may boot into the past; taking the later of the stored day and
    the clock's day means such a jump can neither repeat a day's ticket numbers nor reuse them.
    With ``advance`` (inside a write transaction) a new local day is recorded.
    """
    state = queue_state(session)
    today = local_date(now, village_timezone(session))
    if today > state.business_day and advance:
        state.business_day = today
    return later_day(state.business_day, now, village_timezone(session))


def later_day(stored, now, tz_name):
    """The later of a stored business day and the local date of ``now``."""
    return max(stored, local_date(now, tz_name))


def bump_version(session):
    """Mark the queue as changed (ETags of the board and ticket pages depend on it)."""
    queue_state(session).version += 1
