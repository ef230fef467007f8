"""The village registry and what the district reads about each village."""

import json
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from hub import protocol
from hub.ingest import DAY_FIELDS
from hub.models import Complaint, DailyReport, Day, Event, PollResult, Printer, Village
from portal.domain import kiosks
from portal.domain.errors import Conflict, DomainError, NotFound

OPEN_COMPLAINTS = ("received", "in_progress")
PRINTER_FAULTS = (*sorted(kiosks.FAULTS), "offline")  # "offline": the kiosk's agent stopped reporting
QUIET_AFTER = timedelta(days=2)  # no contact for this long: the dashboard flags the village


def normalise_code(code):
    """A Kemendagri code as stored: its 10 digits ("32.03.11.2005" → "3203112005"), or DomainError."""
    digits = "".join(ch for ch in str(code) if ch not in ". ")
    if not protocol.VILLAGE_CODE.fullmatch(digits):
        raise DomainError("hub_bad_code", village=code)
    return digits


def add(session, code, name, now):
    """Register a village; returns ``(village, key)``. The key is shown this once (and kept, since
    the hub must check signatures with it)."""
    code = normalise_code(code)
    name = " ".join(str(name).split())
    if not name or len(name) > 120:
        raise DomainError("hub_bad_name")
    if session.scalar(select(Village).where(Village.code == code)) is not None:
        raise Conflict("hub_village_exists", village=code)
    key = protocol.new_key()
    village = Village(code=code, name=name, key=key, created_at=now, health="{}")
    session.add(village)
    session.flush()
    return village, key


def new_key(session, code):
    """Give a village a new key (a Pi was replaced or the key leaked); returns it. The old one stops working."""
    village = by_code(session, code)
    village.key = protocol.new_key()
    return village.key


def by_code(session, code):
    """The village with this code, or NotFound."""
    try:
        code = normalise_code(code)
    except DomainError:
        raise NotFound("hub_unknown_village", village=code) from None
    village = session.scalar(select(Village).where(Village.code == code))
    if village is None:
        raise NotFound("hub_unknown_village", village=code)
    return village


def totals(session, village):
    """A village's totals (``python -m hub stats``): tickets, complaints, last contact, health."""
    sums = session.execute(
        select(
            func.coalesce(func.sum(Day.issued), 0),
            func.coalesce(func.sum(Day.served), 0),
            func.coalesce(func.sum(Day.wait_total_s), 0),
            func.coalesce(func.sum(Day.wait_count), 0),
        ).where(Day.village_id == village.id)
    ).one()
    complaints = dict(
        session.execute(
            select(Complaint.status, func.count()).where(Complaint.village_id == village.id).group_by(Complaint.status)
        ).all()
    )
    return {
        "code": village.code,
        "name": village.name,
        "tickets_issued": sums[0],
        "tickets_served": sums[1],
        "average_wait_s": round(sums[2] / sums[3]) if sums[3] else None,
        "complaints": sum(complaints.values()),
        "complaints_open": sum(complaints.get(status, 0) for status in OPEN_COMPLAINTS),
        "events": session.scalar(select(func.count()).select_from(Event).where(Event.village_id == village.id)),
        "printer_faults": len(printer_faults(session, village)),
        "last_contact": village.last_contact_at.isoformat() if village.last_contact_at else None,
        "clock_offset_s": village.clock_offset_s,
        "health": json.loads(village.health or "{}"),
    }


def printer_faults(session, village, reported=None):
    """The village's printers whose last reported state needs someone, from events and the latest
    health (which ``ingest.clean_health`` checked). ``reported``: the village's Printer rows, when
    the caller fetched them for many villages at once."""
    if reported is None:
        reported = session.scalars(select(Printer).where(Printer.village_id == village.id)).all()
    faults = {
        p.kiosk: {"kiosk": p.kiosk, "state": p.state, "detail": p.detail, "at": p.at}
        for p in reported
        if p.state in PRINTER_FAULTS
    }
    for printer in json.loads(village.health or "{}").get("printers") or []:
        name = printer["kiosk"]
        if printer["state"] in PRINTER_FAULTS:
            fault = {"kiosk": name, "state": printer["state"], "detail": printer["detail"], "at": village.health_at}
            faults.setdefault(name, fault)
        else:
            faults.pop(name, None)  # the latest health says it is fine now
    return sorted(faults.values(), key=lambda fault: fault["kiosk"])


def overview(session, villages, today, now):
    """One row per village for the dashboard: contact, health, today's queue, open complaints, printers."""
    ids = [v.id for v in villages]
    days = {d.village_id: d for d in session.scalars(select(Day).where(Day.village_id.in_(ids), Day.day == today))}
    open_complaints = dict(
        session.execute(
            select(Complaint.village_id, func.count())
            .where(Complaint.village_id.in_(ids), Complaint.status.in_(OPEN_COMPLAINTS))
            .group_by(Complaint.village_id)
        ).all()
    )
    printers = defaultdict(list)
    for printer in session.scalars(select(Printer).where(Printer.village_id.in_(ids))):
        printers[printer.village_id].append(printer)
    return [
        {
            "village": v,
            "quiet": v.last_contact_at is None or now - v.last_contact_at > QUIET_AFTER,
            "health": json.loads(v.health or "{}"),
            "today": day_figures(days.get(v.id)),
            "open_complaints": open_complaints.get(v.id, 0),
            "printer_faults": printer_faults(session, v, printers[v.id]),
        }
        for v in villages
    ]


def day_totals(session, villages, today):
    """The figures of ``today`` summed over ``villages`` (the dashboard's totals row)."""
    sums = session.execute(
        select(*(func.coalesce(func.sum(getattr(Day, name)), 0) for name in DAY_FIELDS)).where(
            Day.village_id.in_([v.id for v in villages]), Day.day == today
        )
    ).one()
    return day_figures(Day(day=today, **dict(zip(DAY_FIELDS, sums, strict=True))))


def day_figures(day):
    """A Day row as the dashboard shows it (zeros for a day without tickets)."""
    if day is None:
        return {
            "issued": 0,
            "served": 0,
            "skipped": 0,
            "cancelled": 0,
            "average_wait_s": None,
            "average_service_s": None,
        }
    return {
        "day": day.day,
        "issued": day.issued,
        "served": day.served,
        "skipped": day.skipped,
        "cancelled": day.cancelled,
        "average_wait_s": round(day.wait_total_s / day.wait_count) if day.wait_count else None,
        "average_service_s": round(day.service_total_s / day.service_count) if day.service_count else None,
    }


def detail(session, village, days=14):
    """One village in depth: its last ``days`` queue days, open complaints, printers and poll results."""
    recent = session.scalars(select(Day).where(Day.village_id == village.id).order_by(Day.day.desc()).limit(days)).all()
    reports = {
        r.day: json.loads(r.data)
        for r in session.scalars(
            select(DailyReport).where(DailyReport.village_id == village.id).order_by(DailyReport.day.desc()).limit(days)
        )
    }
    return {
        "village": village,
        "health": json.loads(village.health or "{}"),
        "totals": totals(session, village),
        "days": [{**day_figures(d), "services": reports.get(d.day, {}).get("services", [])} for d in recent],
        "complaints": session.scalars(
            select(Complaint)
            .where(Complaint.village_id == village.id)
            .order_by(Complaint.status.in_(OPEN_COMPLAINTS).desc(), Complaint.received_at.desc())
            .limit(100)
        ).all(),
        "printers": session.scalars(
            select(Printer).where(Printer.village_id == village.id).order_by(Printer.kiosk)
        ).all(),
        "printer_faults": printer_faults(session, village),
        "polls": [
            json.loads(p.data)
            for p in session.scalars(
                select(PollResult).where(PollResult.village_id == village.id).order_by(PollResult.at.desc()).limit(20)
            )
        ],
    }
