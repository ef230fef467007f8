"""Kiosks in the hall: registering one, its agent's token, pairing its browser, and what its
agent last said about the printer.

A kiosk has two secrets, and only their SHA-256 is stored:

- the **device token** (``balai_kiosk_…``), which the kiosk agent sends as a bearer token;
- the **browser secret**, which lives in the kiosk browser's HttpOnly device cookie. The browser
  gets it through a one-time pairing link, so the device token never appears in a page.
"""

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from portal.domain import outbox
from portal.domain.errors import Conflict, DomainError, NotFound
from portal.domain.users import token_hash
from portal.models import Kiosk, PrintJob

TOKEN_PREFIX = "balai_kiosk_"
PAIRING_VALID = timedelta(hours=24)
# What an agent may report about its printer.
PRINTER_STATES = ("ok", "near_end", "out", "unreachable", "unknown")
FAULTS = {"near_end", "out", "unreachable"}  # states an official (or the district) must act on
# The agent reports every few seconds (kiosk.agent.HEARTBEAT_S); silence for longer than this
# means it is not running, whatever it said last.
AGENT_STALE = timedelta(seconds=30)
# Printer states in which a receipt is held back rather than printed.
HELD = ("out", "unreachable", "offline", "never")


def add_kiosk(session, name, now):
    """Register a kiosk; returns ``(kiosk, device token, pairing code)``, the secrets in plain
    text this once."""
    name = name.strip()
    if not name or len(name) > 60:
        raise DomainError("bad_kiosk_name")
    if session.scalar(select(Kiosk).where(Kiosk.name == name)):
        raise Conflict("kiosk_exists", name=name)
    kiosk = Kiosk(name=name, token_hash="", created_at=now)
    token = new_token(kiosk)
    session.add(kiosk)
    code = new_pairing(kiosk, now)
    session.flush()
    return kiosk, token, code


def new_token(kiosk):
    """Give the kiosk a new device token (returned in plain text this once); the old one stops
    working."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    kiosk.token_hash = token_hash(token)
    return token


def job_row(kiosk_id, ticket_id, lang, now, reason="issued"):
    """The print_jobs row for a new receipt (inserted by the issuing transaction)."""
    return {
        "kiosk_id": kiosk_id,
        "ticket_id": ticket_id,
        "reason": reason,
        "lang": lang,
        "status": "queued",
        "agent_id": "",
        "detail": "",
        "created_at": now,
    }


def get_kiosk(session, name):
    """The kiosk with this name, or NotFound."""
    kiosk = session.scalar(select(Kiosk).where(Kiosk.name == name))
    if kiosk is None:
        raise NotFound("unknown_kiosk", name=name)
    return kiosk


def new_pairing(kiosk, now):
    """A fresh one-time pairing code for the kiosk's browser (valid PAIRING_VALID)."""
    code = secrets.token_urlsafe(18)
    kiosk.pairing_hash = token_hash(code)
    kiosk.pairing_expires_at = now + PAIRING_VALID
    return code


def pairing_kiosk(session, code, now):
    """The kiosk a pairing code is for, or NotFound when it is unknown, used or expired."""
    kiosk = session.scalar(select(Kiosk).where(Kiosk.pairing_hash == token_hash(code)))
    if kiosk is None or kiosk.pairing_expires_at is None or kiosk.pairing_expires_at < now:
        raise NotFound("pairing_invalid")
    return kiosk


def pair(session, code, now):
    """Use a pairing code: returns ``(kiosk, browser secret)``. The code stops working, and a
    browser paired before stops being this kiosk (a kiosk has one screen)."""
    kiosk = pairing_kiosk(session, code, now)
    secret = secrets.token_urlsafe(32)
    kiosk.browser_hash = token_hash(secret)
    kiosk.pairing_hash = None
    kiosk.pairing_expires_at = None
    return kiosk, secret


def by_token(session, token):
    """The kiosk whose agent holds this device token, or None."""
    return session.scalar(select(Kiosk).where(Kiosk.token_hash == token_hash(token)))


def by_browser(session, secret):
    """The kiosk whose paired browser holds this cookie secret, or None."""
    return session.scalar(select(Kiosk).where(Kiosk.browser_hash == token_hash(secret)))


def heartbeat(session, kiosk_id, agent_id, state, detail, now):
    """Record an agent's report: it is alive, and its printer is in ``state``."""
    if state not in PRINTER_STATES:
        raise DomainError("bad_field", field="printer.state")
    kiosk = session.get(Kiosk, kiosk_id)
    if state != kiosk.printer_state and FAULTS.intersection((state, kiosk.printer_state)):
        # The district hears when a printer goes wrong and when it is fine again.
        outbox.add(session, "printer.state", {"kiosk": kiosk.name, "state": state, "detail": detail[:200]}, now)
    kiosk.last_seen_at = now
    kiosk.agent_id = agent_id
    kiosk.printer_state = state
    kiosk.printer_detail = detail[:200]


def printer_state(kiosk, now):
    """The printer's state as people should see it: what the agent said, unless the agent has
    gone quiet (``offline``) or never reported (``never``)."""
    if kiosk.last_seen_at is None:
        return "never"
    if now - kiosk.last_seen_at > AGENT_STALE:
        return "offline"
    return kiosk.printer_state


def overview(session, now):
    """Every kiosk for the console: its printer, receipts waiting, and jobs needing an official."""
    waiting = dict(
        session.execute(
            select(PrintJob.kiosk_id, func.count())
            .where(PrintJob.status.in_(("queued", "claimed")))
            .group_by(PrintJob.kiosk_id)
        ).all()
    )
    attention = session.scalars(select(PrintJob).where(PrintJob.status == "uncertain").order_by(PrintJob.id)).all()
    return [
        {
            "id": kiosk.id,
            "name": kiosk.name,
            "printer": printer_state(kiosk, now),
            "detail": kiosk.printer_detail,
            "last_seen_at": kiosk.last_seen_at,
            "paired": kiosk.browser_hash is not None,
            "waiting": waiting.get(kiosk.id, 0),
            "uncertain": [
                {"job": job.id, "ticket": job.ticket_id, "number": job.ticket.number}
                for job in attention
                if job.kiosk_id == kiosk.id
            ],
        }
        for kiosk in session.scalars(select(Kiosk).order_by(Kiosk.name))
    ]
