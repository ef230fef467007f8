"""What the console's home shows an official at a glance: today's queue, the kiosk printers, and,
for the roles that look after them, open complaints, the district sync and the hotspot.

Gathered in one read transaction with a handful of queries: the page is opened all day long.
"""

from flask_babel import format_decimal, gettext

from portal.domain import complaints, district, district_messages, kiosks, stats
from portal.domain.captive import active_sessions
from portal.domain.village import business_day
from portal.web.auth import balai, may

OPEN_COMPLAINTS = ("received", "in_progress")  # not yet answered or closed


def minutes(seconds):
    """A duration in minutes with at most one decimal, as people read it ("2,5 min"); "—" for None."""
    if seconds is None:
        return "—"
    return gettext("%(minutes)s min", minutes=format_decimal(seconds / 60, "#,##0.#"))


def glance(user):
    """The home page's figures for ``user``: a block is None (or 0) for a role that may not see it."""
    now = balai().clock.now()
    with balai().db.read() as session:
        sync = may("sync", user)
        counts = complaints.counts(session) if may("content", user) else None
        return {
            "today": stats.glance(session, business_day(session, now)),
            "printers": kiosks.overview(session, now),
            "open_complaints": sum(counts[s] for s in OPEN_COMPLAINTS) if counts is not None else None,
            "sync": district.overview(session) if sync else None,
            "sync_configured": bool(balai().settings["BALAI_UPSTREAM_URL"]),
            "district_unread": district_messages.unread(session) if sync else 0,
            "hotspot_sessions": len(active_sessions(session, now)) if may("hotspot", user) else None,
            "minutes": minutes,
        }
