"""Moments and clock differences said as people say them ("5 minutes ago", "19 hours"), in the
request's language: the village console's sync page and the district's dashboard share them."""

from datetime import timedelta

from flask_babel import format_timedelta, gettext

CLOCK_TOLERANCE_S = 120  # beyond this the console warns that the Pi's clock is wrong


def relative(moment, now):
    """``moment`` said from ``now``: "5 minutes ago", "in 3 minutes", "just now" (in the request's language)."""
    if abs((moment - now).total_seconds()) < 60:
        return gettext("just now")
    return format_timedelta(moment - now, add_direction=True)


def clock_difference(offset):
    """A clock offset in seconds said as people say it: "12 seconds", "19 hours", "3 days"."""
    return format_timedelta(timedelta(seconds=abs(offset)), threshold=1.5)


def clock_warning(offset):
    """A warning when the hub's clock and ours differ by more than the tolerance, else None.
    ``offset`` is the hub's clock minus ours: positive means the Pi is behind (slow)."""
    if offset is None or abs(offset) <= CLOCK_TOLERANCE_S:
        return None
    if offset > 0:
        return gettext("The Pi's clock is %(amount)s slow.", amount=clock_difference(offset))
    return gettext("The Pi's clock is %(amount)s fast.", amount=clock_difference(offset))
