"""The kiosk agents' API (``/api/v1/kiosk``): poll for print jobs, report how they went.

Agents authenticate with their kiosk's device token (``Authorization: Bearer balai_kiosk_…``).
A poll doubles as the heartbeat that carries the printer's state, and may wait a little for new
work (a long poll: one server thread per kiosk, bounded by ``printing.MAX_WAIT_S``).
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify
from flask_babel import force_locale, gettext, ngettext

from portal.domain import letter_requests
from portal.domain.errors import DomainError
from portal.web.api import json_body, text_field
from portal.web.auth import balai
from portal.web.devices import kiosk_agent
from portal.web.letters import status_url as letter_status_url
from portal.web.public import logo_url as village_logo_url
from portal.web.tickets import public_base, status_url

bp = Blueprint("agent", __name__, url_prefix="/api/v1/kiosk")


@bp.post("/poll")
def poll():
    """Heartbeat and work: ``{"agent": ID, "printer": {"state": S, "detail": TEXT}, "wait": SECONDS}``
    → ``{"kiosk": NAME, "jobs": [...]}``, every job this agent holds, each with its receipt."""
    kiosk = kiosk_agent()
    data = json_body()
    agent = text_field(data, "agent")[:40]
    printer = data.get("printer")
    if not isinstance(printer, dict):
        raise DomainError("bad_field", field="printer")
    wait = data.get("wait", 0)
    if not isinstance(wait, int | float) or isinstance(wait, bool) or not math.isfinite(wait):
        raise DomainError("bad_field", field="wait")
    detail = storable(printer.get("detail", ""), "printer.detail")
    jobs = balai().printing.poll(kiosk["id"], agent, printer.get("state"), detail, wait)
    return jsonify({"kiosk": kiosk["name"], "jobs": [job_payload(job) for job in jobs]})


@bp.post("/jobs/<int:job_id>")
def finish(job_id):
    """How a job went: ``{"outcome": "printed" | "uncertain", "detail": TEXT}``."""
    kiosk = kiosk_agent()
    data = json_body()
    detail = storable(data.get("detail", ""), "detail")
    return jsonify(balai().printing.finish(kiosk["id"], job_id, text_field(data, "outcome"), detail))


def storable(value, field):
    """A free-text note from an agent (an exception's message, say) as text SQLite can store:
    anything unencodable is replaced, not refused, so a strange message never stops a kiosk."""
    if not isinstance(value, str):
        raise DomainError("bad_field", field=field)
    return value[:200].encode("utf-8", "replace").decode("utf-8")


def job_payload(job):
    """A job as the agent prints it: the receipt worded in the language of the kiosk's screen."""
    if job["reason"] == "test":
        return test_payload(job)
    ticket = job["ticket"]
    issued = datetime.fromisoformat(ticket["created_at"]).astimezone(ZoneInfo(job["timezone"]))
    with force_locale(job["lang"]):
        if ticket["position"] and ticket["position"] > 1:
            ahead = ngettext("%(num)s person ahead of you", "%(num)s people ahead of you", ticket["position"] - 1)
        else:
            ahead = gettext("You are next")
        if ticket["eta_seconds"]:
            wait = gettext("Estimated wait: about %(minutes)s minutes", minutes=(ticket["eta_seconds"] + 59) // 60)
        else:
            wait = gettext("Estimated wait: a few minutes")
        footer = gettext("Keep this receipt. Scan the QR code to follow your number on the village Wi-Fi.")
        letter = letter_part(job["letter"]) if job.get("letter") else {}
    return {
        "id": job["id"],
        "reason": job["reason"],
        "ticket": ticket["id"],
        "receipt": {
            "village": job["village"],
            "service": ticket["service_name"],
            "number": ticket["number"],
            "issued": issued.strftime("%d/%m/%Y %H:%M %Z"),
            "status_url": status_url(ticket["id"]),
            "lines": ([gettext("Priority")] if ticket["priority"] else []) + [ahead, wait],
            "footer": footer,
            "logo_url": logo_url(),
            **letter,
        },
    }


def letter_part(code):
    """A receipt's lines for a ticket taken with a letter request (stored ``code``): its tracking
    code to keep and a QR code of its status page, worded in the current locale."""
    shown = letter_requests.display_code(code)
    return {
        "letter_label": gettext("Letter request code:"),
        "letter_code": shown,
        "letter_url": letter_status_url(shown),
        "letter_footer": gettext("Scan this QR code to follow your letter request."),
    }


def test_payload(job):
    """A test print as the agent prints it: a receipt with the village's name, "Test print", the
    date and time it was asked for, and a QR code of the village portal (worded in the language
    of the official who asked)."""
    asked = job["asked_at"].astimezone(ZoneInfo(job["timezone"]))
    with force_locale(job["lang"]):
        receipt = {
            "village": job["village"],
            "service": gettext("Test print"),
            "number": gettext("TEST"),
            "issued": asked.strftime("%d/%m/%Y %H:%M %Z"),
            "status_url": f"{public_base()}/",
            "lines": [
                gettext("Kiosk: %(name)s", name=job["kiosk"]),
                gettext("If you can read this, the printer works."),
            ],
            "footer": gettext("Scan the QR code with a phone on the village Wi-Fi: it opens the village portal."),
            "logo_url": logo_url(),
        }
    return {"id": job["id"], "reason": job["reason"], "ticket": job["ticket"], "receipt": receipt}


def logo_url():
    """Where the agent fetches the logo printed on top of receipts, or None without one. The agent
    fetches each address once; the address changes with the picture, so a new logo needs no restart."""
    return village_logo_url(external=True)
