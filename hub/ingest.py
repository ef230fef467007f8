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

import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite

from hub.models import Complaint, DailyReport, Day, Letter, PollResult, Printer
from portal.domain import codes, complaints, letter_register
from portal.health import THROTTLED_BITS
from portal.models import from_utc_text, utc_text

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
# How each ticket event moves a day's figures: (field, step).
TICKET_FIELDS = {
    "ticket.issued": ("issued", 1),
    "ticket.served": ("served", 1),
    "ticket.skipped": ("skipped", 1),
    "ticket.requeued": ("skipped", -1),
    "ticket.cancelled": ("cancelled", 1),
}
COMPLAINT_STATUSES = tuple(complaints.STATUSES)
POWER_FLAGS = tuple(THROTTLED_BITS)
MAX_INT = 2**31 - 1  # an INTEGER column on PostgreSQL
MAX_DURATION_S = 7 * 24 * 3600  # a wait or a service longer than a week is a wrong clock, not a figure
VERIFY_CODE = re.compile(f"[{codes.ALPHABET}]{{{letter_register.VERIFY_LENGTH}}}")
# The longest text of each letter field (the village's own columns: portal.models.IssuedLetter).
LETTER_TEXT = {"number": 120, "type": 160, "name": 160}


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
    new = set()
    if events:
        new = insert_new(session, village.id, events, now)
        apply_figures(session, village.id, [e for e in events if e["event_id"] in new])
    village.last_contact_at = now
    health = document.get("health")
    if isinstance(health, dict):
        health = clean_health(health)
        village.health = json.dumps(health)
        village.health_at = now
        village.clock_offset_s = health["clock"]["offset_s"]
    raw = document["events"]
    return {
        "accepted": len(new),
        "duplicates": len(raw) - len(new),
        "last": raw[-1]["id"] if raw else None,
    }


# The batch goes in as one JSON parameter of one statement that is always the same text: the
# database parses it once and caches it, where a multi-row VALUES list would be a new statement
# (to parse, and for SQLite to keep in its statement cache) for every batch size.
INSERT_SQL = {
    "sqlite": """
        INSERT INTO events (village_id, event_id, kind, at, received_at, data)
        SELECT :village, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
               :received, json_extract(value, '$[3]')
          FROM json_each(:batch) WHERE true
        ON CONFLICT (village_id, event_id) DO NOTHING RETURNING event_id""",
    "postgresql": """
        INSERT INTO events (village_id, event_id, kind, at, received_at, data)
        SELECT :village, value->>0, value->>1, value->>2, :received, value->>3
          FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS rows(value)
        ON CONFLICT (village_id, event_id) DO NOTHING RETURNING event_id""",
}


def insert_new(session, village_id, events, now):
    """Insert the events the hub does not hold yet; returns the ids of those it inserted (the
    database decides, so two copies of a batch racing each other insert each event once)."""
    rows = [[e["event_id"], e["kind"], utc_text(e["at"]), json.dumps(e["data"])] for e in events]
    statement = sqlalchemy.text(INSERT_SQL[session.get_bind().dialect.name])
    parameters = {"village": village_id, "received": utc_text(now), "batch": json.dumps(rows)}
    return set(session.scalars(statement, parameters))


def apply_figures(session, village_id, events):
    """Move the figures for events seen for the first time, in the order the village wrote them.

    The village pushes its outbox in order and moves on only when a batch is acknowledged, so the
    last event to arrive about a complaint, a printer or a letter is the latest: no timestamps are
    compared (a Pi's clock may jump back). An event whose data does not make sense is kept but not summed,
    like a kind this hub does not know (a newer village may report more): it must never block the
    village's outbox.
    """
    days = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    for event in events:
        kind, data, at = event["kind"], event["data"], event["at"]
        if kind in TICKET_FIELDS:
            add_ticket(days, kind, data)
        elif kind == "complaint.received" and text(data, "complaint", 20):
            forwarded = data.get("forwarded") is True
            values = {
                "category": text(data, "category", 20),
                "forwarded": forwarded,
                "text": text(data, "text", 4000) if forwarded else "",
                "received_at": at,
            }
            key = {"village_id": village_id, "ref": text(data, "complaint", 20)}
            upsert(session, Complaint, key, values, {"status": "received", "status_at": at})
        elif kind == "complaint.status" and text(data, "complaint", 20) and data.get("status") in COMPLAINT_STATUSES:
            key = {"village_id": village_id, "ref": text(data, "complaint", 20)}
            upsert(session, Complaint, key, {"status": data["status"], "status_at": at})
        elif kind == "printer.state" and text(data, "kiosk", 60):
            values = {"state": text(data, "state", 12), "detail": text(data, "detail", 200), "at": at}
            upsert(session, Printer, {"village_id": village_id, "kiosk": text(data, "kiosk", 60)}, values)
        elif kind == "poll.result" and whole(data.get("poll"), 1) is not None:
            values = {"title": text(data, "title", 200), "data": json.dumps(data), "at": at}
            upsert(session, PollResult, {"village_id": village_id, "poll": data["poll"]}, values)
        elif kind == "stats.daily" and day_of(data) is not None:
            values = {"data": json.dumps(data), "at": at}
            upsert(session, DailyReport, {"village_id": village_id, "day": day_of(data)}, values)
        elif kind == "letter.issued" and (letter := issued_letter(data)):
            # A code another village already holds is left alone: one village cannot overwrite
            # (or void) another's letter.
            code, values = letter
            mine = Letter.village_id == village_id
            upsert(session, Letter, {"code": code}, values, {"village_id": village_id}, where=mine)
        elif kind == "letter.voided" and (voided := voided_letter(data)):
            code, voided_on = voided
            mine = sqlalchemy.and_(Letter.code == code, Letter.village_id == village_id)
            session.execute(sqlalchemy.update(Letter).where(mine).values(voided_on=voided_on))
    statement = insert_for(session)(Day)
    for day in sorted(days):
        inserted = statement.values(village_id=village_id, day=day, **days[day])
        summed = {name: getattr(Day, name) + inserted.excluded[name] for name in DAY_FIELDS}
        session.execute(inserted.on_conflict_do_update(index_elements=["village_id", "day"], set_=summed))


def add_ticket(days, kind, data):
    """Count one ticket event into ``days`` (a dict of day to counts). A ticket put back into the
    queue after a skip is no longer a no-show, so ``ticket.requeued`` takes its skip back."""
    day = day_of(data)
    if day is None:
        return
    counts = days[day]
    field, step = TICKET_FIELDS[kind]
    counts[field] += step
    if kind == "ticket.served":
        for name, total, count in (
            ("wait_s", "wait_total_s", "wait_count"),
            ("service_s", "service_total_s", "service_count"),
        ):
            seconds = whole(data.get(name), 0, MAX_DURATION_S)
            if seconds is not None:
                counts[total] += seconds
                counts[count] += 1


def clean_health(health):
    """A village's health report as the dashboard reads it: known fields of the right types only
    (``portal.health.collect`` writes them), so an odd report shows as "not reported", never as an error."""
    clock = health.get("clock") if isinstance(health.get("clock"), dict) else {}
    power = health.get("power") if isinstance(health.get("power"), dict) else None
    printers = health.get("printers") if isinstance(health.get("printers"), list) else []
    synchronised = clock.get("synchronised")
    return {
        "version": text(health, "version", 40),
        "disk_free_mb": whole(health.get("disk_free_mb"), 0),
        "disk_total_mb": whole(health.get("disk_total_mb"), 0),
        "clock": {
            "synchronised": synchronised if isinstance(synchronised, bool) else None,
            "offset_s": whole(clock.get("offset_s")),
            "now": text(clock, "now", 40),
        },
        "power": {"raw": text(power, "raw", 12), **{k: power.get(k) is True for k in POWER_FLAGS}} if power else None,
        "printers": [
            {"kiosk": text(p, "kiosk", 60), "state": text(p, "state", 12), "detail": text(p, "detail", 200)}
            for p in printers[:50]
            if isinstance(p, dict)
        ],
        "last_backup": text(health, "last_backup", 40) or None,
    }


def issued_letter(data):
    """A ``letter.issued`` event's ``(code, values for the letters table)``, or None when any value
    is missing, of the wrong type or too long: the masked name, never more, is all it may carry."""
    texts = {name: data.get(name) for name in LETTER_TEXT}
    if not all(isinstance(value, str) and len(value) <= LETTER_TEXT[name] for name, value in texts.items()):
        return None
    code, issued_on, voided = data.get("letter"), iso_date(data.get("issued_on")), data.get("voided_on")
    voided_on = None if voided is None else iso_date(voided)
    if not verify_code(code) or not texts["number"] or issued_on is None or (voided is not None and not voided_on):
        return None
    values = {
        "number": texts["number"],
        "type_name": texts["type"],
        "issued_on": issued_on,
        "masked_name": texts["name"],
        "voided_on": voided_on,
    }
    return code, values


def voided_letter(data):
    """A ``letter.voided`` event's ``(code, day)``, or None when either is not what it should be."""
    code, voided_on = data.get("letter"), iso_date(data.get("voided_on"))
    return (code, voided_on) if verify_code(code) and voided_on is not None else None


def verify_code(value):
    """Whether ``value`` has the shape of a letter's verification code."""
    return isinstance(value, str) and VERIFY_CODE.fullmatch(value) is not None


def upsert(session, model, key, values, on_insert=None, where=None):
    """Insert ``model``'s row at ``key`` (with ``values`` and ``on_insert``) or update its ``values``
    (only where ``where`` holds, when given); one statement, so two requests racing on PostgreSQL
    cannot both insert."""
    statement = insert_for(session)(model).values(**key, **values, **(on_insert or {}))
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values, where=where))


def text(data, name, limit):
    """``data[name]`` as text of at most ``limit`` characters ("" when it is missing or not text)."""
    value = data.get(name)
    return value[:limit] if isinstance(value, str) else ""


def whole(value, low=-MAX_INT, high=MAX_INT):
    """``value`` if it is an integer within [low, high] (what the database columns hold), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def day_of(data):
    """The business day an event names (``data["day"]``, ISO), or None."""
    return iso_date(data.get("day"))


def iso_date(value):
    """``value`` as a date if it is one written ``YYYY-MM-DD``, else None."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
