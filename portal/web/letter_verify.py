"""Checking a printed letter: the page its QR code opens.

Anyone holding a letter (a bank, the police, another office) scans its QR code and reads whether
the village registered it: its number, date, type and the masked name, or that it was voided.
Nothing else of the resident is shown. When the village syncs with the district hub, the QR holds
the hub's address (``/verify/<code>`` there: reachable from outside the village); otherwise it
holds this portal's page, reachable in the hall.
"""

from datetime import date

from flask import Blueprint, render_template

from portal.domain import letter_register
from portal.domain.errors import NotFound
from portal.domain.village import get_village
from portal.web.auth import balai
from portal.web.security import settings
from portal.web.tickets import public_base

bp = Blueprint("letter_verify", __name__)


def verify_url(verify_code):
    """The address a letter's QR code holds: the district hub's page when the village syncs
    (BALAI_UPSTREAM_URL set, as ``portal.sync`` decides), else this portal's own page."""
    upstream = settings()["BALAI_UPSTREAM_URL"].rstrip("/")
    return f"{upstream}/verify/{verify_code}" if upstream else f"{public_base()}/letters/verify/{verify_code}"


def shown(record, village_name):
    """What a verification page shows of a letter (``letter_register.verification_record``'s
    shape): its dates written as the letter writes them, and the village's name."""
    voided_on = record["voided_on"]
    return {
        "number": record["number"],
        "type": record["type"],
        "name": record["name"],
        "issued_on": letter_register.indonesian_date(date.fromisoformat(record["issued_on"])),
        "voided_on": letter_register.indonesian_date(date.fromisoformat(voided_on)) if voided_on else None,
        "village": village_name,
    }


@bp.get("/letters/verify/<verify_code>")
def verify(verify_code):
    """Whether the letter with this code is in the village's register, and still valid."""
    with balai().db.read() as session:
        village = get_village(session)
        try:
            letter = letter_register.by_verify_code(session, verify_code)
        except NotFound:
            return render_template("letters/verify_unknown.html", typed=verify_code[:40]), 404
        record = letter_register.verification_record(letter, village.timezone)
    return render_template("letters/verify.html", letter=shown(record, village.name))
