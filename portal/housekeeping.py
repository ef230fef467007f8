"""Housekeeping the worker does every round (the sync with the district joins it later)."""

from portal import uplink
from portal.domain.village import business_day
from portal.firewall import FirewallError


def run_once(db, clock):
    """Record a new business day as soon as the clock reaches it, and keep the WAL file small.

    Recording the day early matters on a Pi without a battery clock: once 00:05 has been seen, a
    power cut that brings the clock back to yesterday cannot make the queue reuse yesterday.
    Returns what was done, for the log.
    """
    with db.write() as session:
        day = business_day(session, clock.now(), advance=True)
    with db.engine.connect() as connection:
        busy, wal_pages, _moved = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return {"business_day": day.isoformat(), "checkpoint_busy": bool(busy), "wal_pages": wal_pages}


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
