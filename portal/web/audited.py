"""Audit entries for officials' writes that a domain object commits in a transaction of its own,
and the audit page's plain words for every entry.

The queue (``Queue``), the print jobs (``PrintJobs``) and the hotspot (``Captive``) open and commit
their transactions themselves, so these entries are recorded right after, in a short write: only
a write that succeeded is recorded (a refused one raised before this), and a crash between the two
can lose an entry but never invent one.
"""

import json

from flask_babel import gettext

from portal.domain import audit, content
from portal.messages import AUDIT_ACTIONS, AUDIT_CONTENT, AUDIT_FIELDS
from portal.models import Counter, PrintJob
from portal.web.auth import actor, balai


def record_after(action, target, changes):
    """Record ``action`` by this request's official, with what changed (plain values only)."""
    with balai().db.write() as session:
        audit.record(session, actor(), action, target, changes, balai().clock.now())


def ticket_write(action, view, counter_id=None, **changes):
    """``action`` on a ticket (a queue view), perhaps at a counter. The entry names the ticket by its
    number, never by its id: the id is the resident's private link to the ticket."""
    if counter_id is not None:
        with balai().db.read() as session:
            counter = session.get(Counter, counter_id)
        changes = {"counter": counter.name if counter else counter_id, **changes}
    record_after(action, f"ticket:{view['number']}", {"ticket": view["number"], **changes})


def print_write(action, job_id):
    """``action`` on a print job (a reprint, a receipt confirmed as printed): its ticket and kiosk."""
    with balai().db.read() as session:
        job = session.get(PrintJob, job_id)
        changes = {"ticket": job.ticket.number, "kiosk": job.kiosk.name}
    record_after(action, f"ticket:{changes['ticket']}", changes)


def counter_write(action, counter_id, view):
    """A counter operation (``call-next``, ``transfer``…) from the console or the API that gave the
    ticket ``view``; a transfer also names the service the ticket went to."""
    extra = {"to_service": view["service_name"]} if action == "transfer" else {}
    ticket_write(f"counter.{action.replace('-', '_')}", view, counter_id, **extra)


def init_app(app):
    """Let templates name audit entries' actions and details in plain words."""
    app.jinja_env.globals.update(audit_action=action_label, audit_details=detail_lines)


def action_label(action):
    """An audit action (``user.role``, ``announcement.update``) in plain words, in the request's
    language; an action nobody named yet is shown as stored."""
    if action in AUDIT_ACTIONS:
        return gettext(AUDIT_ACTIONS[action])
    kind, _, verb = action.partition(".")
    if kind in content.KINDS and verb in AUDIT_CONTENT:
        return gettext(AUDIT_CONTENT[verb]) % {"kind": gettext(content.KINDS[kind].title)}
    return action


def detail_lines(detail):
    """An entry's stored details as ``(name, text)`` pairs; a change reads ``old → new``."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        data = detail
    if not isinstance(data, dict):
        return [("", plain(data))]
    return [
        (gettext(AUDIT_FIELDS[key]) if key in AUDIT_FIELDS else key.replace("_", " "), plain(value))
        for key, value in data.items()
    ]


def plain(value):
    """One detail value as text: ``[old, new]`` pairs (``audit.diff``) with an arrow, yes/no, — for nothing."""
    if isinstance(value, list) and len(value) == 2:
        return f"{plain(value[0])} → {plain(value[1])}"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
