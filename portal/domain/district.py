"""The village's side of the sync with the district: what is due to report, where the sync
stands, and applying what the district sent.

No HTTP here (``portal/sync.py`` talks to the hub): these are the database halves, each meant to
run in one write transaction, so a crash between two steps repeats a step instead of losing one.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from portal.domain import outbox, polls, stats
from portal.domain.village import bump_version, business_day
from portal.models import Announcement, DistrictMessage, OutboxEvent, Poll, SyncState, Ticket, from_utc_text

NOTICE_KINDS = ("announcement", "message")
MAX_BACKOFF_S = 3600  # however long the link has been down, try at least hourly
KEEP_SENT = timedelta(days=30)  # acknowledged events stay this long (for the console and backups)


def state(session):
    """The sync's one state row."""
    return session.get(SyncState, 1)


def queue_reports(session, now):
    """Queue the reports that fall due with time: the figures of every finished business day not
    yet reported, and the results of every poll that closed since it was last reported.

    Driven by what is recorded, not by the moment, so days and polls that ended while the Pi was
    off are reported when it is back. Returns how many events were queued.
    """
    sync = state(session)
    today = business_day(session, now)
    days = select(Ticket.day).distinct().where(Ticket.day < today).order_by(Ticket.day)
    if sync.stats_through is not None:
        days = days.where(Ticket.day > sync.stats_through)
    queued = 0
    for day in session.scalars(days).all():
        outbox.add(session, "stats.daily", stats.daily(session, day), now)
        sync.stats_through = day
        queued += 1
    ended = select(Poll).where(
        Poll.reported.is_(False),
        or_(Poll.status == "closed", (Poll.status == "open") & (Poll.closes_at <= now)),
    )
    for poll in session.scalars(ended).all():
        outbox.add(session, "poll.result", poll_result(session, poll), now)
        poll.reported = True
        queued += 1
    return queued


def poll_result(session, poll):
    """A closed poll's outcome as the district sees it: counts only, never who voted."""
    counted = polls.results(session, poll)
    return {
        "poll": poll.id,
        "title": poll.title,
        "kind": poll.kind,
        "binding": poll.binding,
        "ballots": counted["total"],
        "options": [{"label": row["label"], "votes": row["count"]} for row in counted["options"]],
    }


def next_delay(failures, interval, rand=random.random):
    """Seconds to wait after ``failures`` failed attempts in a row: doubling from ``interval`` up
    to an hour, then drawn from the upper half of that span ("jitter"), so villages that lost the
    link together do not all return at the same second."""
    span = min(MAX_BACKOFF_S, interval * 2 ** max(0, failures - 1))
    return span / 2 + rand() * span / 2


def due(session, now):
    """Whether an attempt is due (no backoff pending)."""
    sync = state(session)
    return sync.next_attempt_at is None or sync.next_attempt_at <= now


def acknowledged(session, through):
    """The hub has every event up to ``seq`` ``through``: move the cursor (never backwards)."""
    sync = state(session)
    sync.pushed_seq = max(sync.pushed_seq, through)


def contacted(session, now, offset):
    """The hub took our pushes: it was reached, whatever happens to the rest of the round."""
    sync = state(session)
    sync.last_contact_at = now
    sync.clock_offset_s = offset


def succeeded(session, now, interval, offset):
    """A round reached the hub: remember when and its clock offset, and try again in ``interval``."""
    sync = state(session)
    sync.last_attempt_at = sync.last_contact_at = now
    sync.failures = 0
    sync.last_error = sync.last_error_detail = ""
    sync.clock_offset_s = offset
    sync.next_attempt_at = now + timedelta(seconds=interval)
    purge_sent(session, now)


def failed(session, now, interval, code, detail, offset=None):
    """A round failed with ``code`` (a ``portal.messages`` sync error): back off before the next."""
    sync = state(session)
    sync.last_attempt_at = now
    sync.failures += 1
    sync.last_error = code
    sync.last_error_detail = str(detail)[:200]
    if offset is not None:
        sync.clock_offset_s = offset
    sync.next_attempt_at = now + timedelta(seconds=next_delay(sync.failures, interval))
    return sync.next_attempt_at


def try_now(session, now):
    """An official asked for a sync now: the worker's next round tries without waiting."""
    state(session).next_attempt_at = now


def purge_sent(session, now):
    """Forget events the hub acknowledged more than KEEP_SENT ago."""
    outbox.purge(session, state(session).pushed_seq, now - KEEP_SENT)


def overview(session):
    """Where the sync stands, for the console."""
    sync = state(session)
    return {
        "pending": outbox.pending(session, sync.pushed_seq),
        "oldest_pending": session.scalar(
            select(OutboxEvent.at).where(OutboxEvent.seq > sync.pushed_seq).order_by(OutboxEvent.seq).limit(1)
        ),
        "last_contact_at": sync.last_contact_at,
        "last_attempt_at": sync.last_attempt_at,
        "next_attempt_at": sync.next_attempt_at,
        "failures": sync.failures,
        "last_error": sync.last_error,
        "last_error_detail": sync.last_error_detail,
        "clock_offset_s": sync.clock_offset_s,
    }


def messages(session, limit=50):
    """The district's messages to the officials, newest first."""
    return session.scalars(select(DistrictMessage).order_by(DistrictMessage.sent_at.desc()).limit(limit)).all()


def apply_notices(session, notices, cursor, now):
    """Apply the district's notices (as the hub sent them, signature already checked) and move the
    notice cursor to ``cursor``. Idempotent: a notice is keyed by its district id, so applying the
    same answer twice changes nothing. Returns how many notices changed something."""
    parsed = [notice for notice in map(parse_notice, notices) if notice is not None]
    changed = 0
    screens = False
    for notice in parsed:
        table = Announcement if notice["kind"] == "announcement" else DistrictMessage
        row = session.scalar(select(table).where(table.district_id == notice["id"]))
        if notice["withdrawn"]:
            if row is not None:
                session.execute(delete(table).where(table.id == row.id))
                changed += 1
                screens = screens or table is Announcement
            continue
        if row is None:
            row = table(district_id=notice["id"])
            if table is Announcement:
                row.created_at = now
            else:
                row.received_at = now
            session.add(row)
        values = notice_values(notice, now)
        if table is DistrictMessage:
            values = {"title": values["title"], "body": values["body"], "sent_at": notice["sent_at"]}
        elif row.publish_at is not None:
            values["publish_at"] = min(row.publish_at, values["publish_at"])  # applied again: unchanged
        if any(getattr(row, name, None) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed += 1
            screens = screens or table is Announcement
    sync = state(session)
    sync.notice_cursor = max(sync.notice_cursor, cursor)
    if screens:
        bump_version(session)  # the board and the kiosk refetch their announcements
    return changed


def notice_values(notice, now):
    """An announcement's columns from a parsed notice. It shows from when it was sent, or now if
    the village's clock is behind the district's (else a slow Pi would hide it for hours)."""
    return {
        "title": notice["title"],
        "body": notice["body"],
        "publish_at": min(notice["sent_at"], now),
        "expire_at": notice["expires_at"],
        "pinned": notice["pinned"],
    }


def parse_notice(item):
    """One notice from the hub, checked; None for one this village cannot use (a kind a newer hub
    knows, a field it does not recognise): skipped, so it never stops the notices after it."""
    try:
        kind = item["kind"]
        parsed = {
            "id": int(item["id"]),
            "kind": kind,
            "title": str(item["title"]).strip()[:200],
            "body": str(item.get("body") or "")[:8000],
            "sent_at": parse_time(item["sent_at"]),
            "expires_at": parse_time(item["expires_at"]) if item.get("expires_at") else None,
            "pinned": bool(item.get("pinned")),
            "withdrawn": bool(item.get("withdrawn")),
        }
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if kind not in NOTICE_KINDS or not parsed["title"] or not 0 < parsed["id"] < 2**63:
        return None
    return parsed


def parse_time(text):
    """A UTC time as the hub writes it (``2026-11-23T08:00:00.000000Z``, or ISO with an offset)."""
    text = str(text)
    if text.endswith("Z") and "." in text:
        return from_utc_text(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment
