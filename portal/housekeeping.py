"""Housekeeping the worker does every round (the sync with the district joins it later)."""

from datetime import timedelta

from portal import uplink
from portal.domain import announcements, audit, letter_requests
from portal.domain.village import bump_version, business_day, get_village
from portal.firewall import FirewallError


def run_once(db, clock, interval=60):
    """Record a new business day as soon as the clock reaches it, refresh the screens when an
    announcement's publication or expiry came due, and keep the WAL file small.

    Recording the day early matters on a Pi without a battery clock: once 00:05 has been seen, a
    power cut that brings the clock back to yesterday cannot make the queue reuse yesterday.
    The board and the kiosk refetch only when the queue version changes, so a scheduled
    announcement bumps it in the rounds after its time (``interval``: seconds between rounds; the
    window is two rounds long, so a late round misses nothing and a second bump is harmless).
    Residents' details in letter requests past the village's retention are deleted.
    Returns what was done, for the log.
    """
    now = clock.now()
    with db.write() as session:
        day = business_day(session, now, advance=True)
        due = announcements.came_due(session, now - timedelta(seconds=2 * interval), now)
        if due:
            bump_version(session)
        purged = purge_letter_requests(session, now)
    with db.engine.connect() as connection:
        busy, wal_pages, _moved = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return {
        "business_day": day.isoformat(),
        "announcements_due": due,
        "letter_requests_purged": purged,
        "checkpoint_busy": bool(busy),
        "wal_pages": wal_pages,
    }


def purge_letter_requests(session, now):
    """Delete the personal details of letter requests untouched for longer than the village keeps
    them (``Village.letter_retention_days``), audited as the system's work when there were any.
    Every round: one query on an index (``ix_letter_requests_purge``) when nothing is due.
    Returns how many requests were purged."""
    village = get_village(session)
    if village is None:  # before the first-run setup: no village, no requests
        return 0
    count = letter_requests.purge(session, now, village.letter_retention_days)
    if count:
        audit.record(session, audit.SYSTEM, "letter_request.purge", "", {"requests": count}, now)
    return count


def hotspot_round(captive, settings):
    """Check the internet, then bring the firewall in line with the sessions and the uplink, and
    forget old sessions. Returns what was done, for the log."""
    up, detail = uplink.check(settings["BALAI_UPLINK_CHECK"])
    changed = captive.record_uplink(up, detail)
    done = {"uplink": "up" if up else f"down ({detail})", "uplink_changed": changed}
    try:
        done.update(captive.reconcile())
    except FirewallError as exc:  # the helper is down or restarting: the next round repairs it
        done["firewall"] = f"not reached ({exc})"
    done["sessions_purged"] = captive.purge()
    return done
