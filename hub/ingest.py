"""Taking in a village's batch of events: each event once, and the figures kept in step.

One transaction per batch. Events are inserted with ``ON CONFLICT DO NOTHING ... RETURNING``, so
the database itself says which ids are new; only those move the figures. A batch delivered twice
(a lost acknowledgement, a proxy that retried, two requests racing on PostgreSQL) therefore
changes nothing the second time.
"""

import json
import re
from collections import defaultdict
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from hub.models import Complaint, DailyReport, Day, Event, PollResult, Printer
from portal.models import from_utc_text

EVENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
KIND = re.compile(r"[a-z_]{1,14}\.[a-z_]{1,14}")
DAY_FIELDS = (
    "issued",
    "served",
    "skipped",
    "cancelled",
    "wait_total_s",
    "wait_count",
    "service_total_s",
    "service_count",
)
TICKET_FIELDS = {
    "ticket.issued": "issued",
    "ticket.served": "served",
    "ticket.skipped": "skipped",
    "ticket.cancelled": "cancelled",
}
COMPLAINT_STATUSES = ("received", "in_progress", "answered", "closed")


class BadBatch(ValueError):
    """A batch the hub will not take; the message says what is wrong, for the village's log."""


def insert_for(session):
    """The dialect's INSERT that knows ON CONFLICT (PostgreSQL and SQLite spell it alike)."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def parse_events(document):
    """The batch's events, checked: a list of ``{"id", "kind", "at", "data"}`` (BadBatch)."""
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise BadBatch("no list of events")
    parsed, seen = [], set()
    for number, event in enumerate(events):
        try:
            event_id, kind, data = event["id"], event["kind"], event["data"]
            at = from_utc_text(event["at"])
        except (KeyError, TypeError, ValueError):
            raise BadBatch(f"event {number} lacks an id, kind, time or data") from None
        if not (isinstance(event_id, str) and EVENT_ID.fullmatch(event_id)):
            raise BadBatch(f"event {number} has a bad id")
        if not (isinstance(kind, str) and KIND.fullmatch(kind)) or not isinstance(data, dict):
            raise BadBatch(f"event {number} has a bad kind or data")
        if event_id in seen:
            continue  # the same event twice in one batch counts once
        seen.add(event_id)
        parsed.append({"event_id": event_id, "kind": kind, "at": at, "data": data})
    return parsed


def ingest(session, village, document, now):
    """Store the batch ``document`` (``{"events": [...], "health": {...}|None}``) for ``village``.

    Returns ``{"accepted", "duplicates", "last"}``: ``last`` is the id of the batch's last event,
    which the village checks before it moves its cursor.
    """
    events = parse_events(document)
    health = document.get("health")
    new = set()
    if events:
        rows = [
            {**event, "village_id": village.id, "received_at": now, "data": json.dumps(event["data"])}
            for event in events
        ]
        statement = insert_for(session)(Event).on_conflict_do_nothing(index_elements=["village_id", "event_id"])
        new = set(session.scalars(statement.returning(Event.event_id), rows))
        apply_figures(session, village.id, [e for e in events if e["event_id"] in new])
    village.last_contact_at = now
    if isinstance(health, dict):
        village.health = json.dumps(health)
        village.health_at = now
        offset = (health.get("clock") or {}).get("offset_s")
        village.clock_offset_s = offset if isinstance(offset, int) else None
    raw = document["events"]
    return {
        "accepted": len(new),
        "duplicates": len(raw) - len(new),
        "last": raw[-1]["id"] if raw else None,
    }


def apply_figures(session, village_id, events):
    """Move the figures for events seen for the first time. Unknown kinds are kept but not summed
    (a newer village may report more than this hub knows)."""
    days = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    upsert = insert_for(session)
    for event in events:
        kind, data, at = event["kind"], event["data"], event["at"]
        if kind.startswith("ticket."):
            add_ticket(days, kind, data)
        elif kind == "complaint.received":
            values = {
                "category": str(data.get("category", ""))[:20],
                "forwarded": bool(data.get("forwarded")),
                "text": str(data.get("text", ""))[:4000] if data.get("forwarded") else "",
                "received_at": at,
            }
            statement = upsert(Complaint).values(
                village_id=village_id,
                ref=str(data.get("complaint", ""))[:20],
                status="received",
                status_at=at,
                **values,
            )
            session.execute(statement.on_conflict_do_update(index_elements=["village_id", "ref"], set_=values))
        elif kind == "complaint.status" and data.get("status") in COMPLAINT_STATUSES:
            set_status(session, village_id, str(data.get("complaint", ""))[:20], data["status"], at)
        elif kind == "printer.state":
            kiosk = str(data.get("kiosk", ""))[:60]
            values = {"state": str(data.get("state", ""))[:12], "detail": str(data.get("detail", ""))[:200], "at": at}
            keep_latest(session, Printer, {"village_id": village_id, "kiosk": kiosk}, values, at)
        elif kind == "poll.result" and isinstance(data.get("poll"), int):
            values = {"title": str(data.get("title", ""))[:200], "data": json.dumps(data), "at": at}
            keep_latest(session, PollResult, {"village_id": village_id, "poll": data["poll"]}, values, at)
        elif kind == "stats.daily" and isinstance(data.get("day"), str):
            day = date.fromisoformat(data["day"])
            keep_latest(
                session, DailyReport, {"village_id": village_id, "day": day}, {"data": json.dumps(data), "at": at}, at
            )
    for day in sorted(days):
        counts = days[day]
        statement = upsert(Day).values(village_id=village_id, day=day, **counts)
        summed = {name: getattr(Day, name) + statement.excluded[name] for name in DAY_FIELDS}
        session.execute(statement.on_conflict_do_update(index_elements=["village_id", "day"], set_=summed))


def add_ticket(days, kind, data):
    """Count one ticket event into ``days`` (a dict of day to counts)."""
    try:
        day = date.fromisoformat(data["day"])
    except (KeyError, TypeError, ValueError):
        return
    field = TICKET_FIELDS.get(kind)
    if field is None:
        return
    counts = days[day]
    counts[field] += 1
    if kind == "ticket.served":
        for name, total, count in (
            ("wait_s", "wait_total_s", "wait_count"),
            ("service_s", "service_total_s", "service_count"),
        ):
            if isinstance(data.get(name), int) and data[name] >= 0:
                counts[total] += data[name]
                counts[count] += 1


def set_status(session, village_id, ref, status, at):
    """A complaint's new status, unless a later one is already known (events may arrive out of order
    across batches after a restore)."""
    complaint = session.get(Complaint, (village_id, ref), with_for_update=True)
    if complaint is None:
        session.add(Complaint(village_id=village_id, ref=ref, status=status, status_at=at))
    elif complaint.status_at is None or complaint.status_at <= at:
        complaint.status = status
        complaint.status_at = at


def keep_latest(session, model, key, values, at):
    """Insert ``model`` at ``key`` or update it with ``values`` if ``at`` is not older than what it holds."""
    row = session.get(model, tuple(key.values()), with_for_update=True)
    if row is None:
        session.add(model(**key, **values))
    elif row.at <= at:
        for name, value in values.items():
            setattr(row, name, value)
