"""Complaints and aspirations (pengaduan): residents send them, officials answer them.

A resident gets an unguessable tracking code and follows the complaint on its status page. The
officials' updates are append-only: a status change, a public reply, an internal note, or a
correction of an earlier public reply (a new update that names the one it corrects). Nothing
published is ever edited, so the status page is a record the village cannot quietly rewrite.

Sending is limited per client address over a rolling hour, counted in the database so a restart
does not reset it.
"""

import secrets

from sqlalchemy import case, func, select

from portal.domain import audit, codes, outbox
from portal.domain.errors import DomainError, NotFound
from portal.messages import N_
from portal.models import Complaint, ComplaintUpdate, User

CATEGORIES = {
    "infrastructure": N_("Roads, bridges and drains"),
    "public_services": N_("Public services"),
    "social_assistance": N_("Social assistance"),
    "environment": N_("Environment and cleanliness"),
    "security": N_("Security and order"),
    "health": N_("Health"),
    "education": N_("Education"),
    "proposal": N_("Proposal or aspiration"),
    "other": N_("Other"),
}

PAGE = 100  # complaints per page of the console's list

# In the order officials work through them: open ones first.
STATUSES = {
    "received": N_("Received"),
    "in_progress": N_("In progress"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}

PREFIX = "PGD"  # shown, never stored: it tells a complaint's code from a queue number

TEXT_LENGTH = (10, 4000)
NAME_LENGTH = 120  # the name and the contact


def new_code():
    """A fresh random tracking code (see portal.domain.codes)."""
    return codes.new_code()


def display_code(code):
    """A stored code as people read and type it: ``PGD-7KQ2M-X9TRA``."""
    return codes.display(PREFIX, code)


def normalise_code(text):
    """A typed code in its stored form, or None when it cannot be one (see codes.normalise)."""
    return codes.normalise(PREFIX, text)


def clean(category, text, name="", contact=""):
    """The resident's fields, stripped and checked; a dict ready for ``Complaint``."""
    if category not in CATEGORIES:
        raise DomainError("complaint_bad_category")
    text = (text or "").strip()
    if not TEXT_LENGTH[0] <= len(text) <= TEXT_LENGTH[1]:
        raise DomainError("complaint_text_length", minimum=TEXT_LENGTH[0], maximum=TEXT_LENGTH[1])
    name, contact = (name or "").strip(), (contact or "").strip()
    if len(name) > NAME_LENGTH or len(contact) > NAME_LENGTH:
        raise DomainError("complaint_name_too_long", maximum=NAME_LENGTH)
    return {"category": category, "text": text, "name": name, "contact": contact}


def check_rate(session, client, now, limit):
    """Refuse (codes.TooOften) a client that sent ``limit`` complaints within the last hour."""
    codes.check_rate(session, Complaint, client, now, limit, "complaint_too_often")


def submit(session, category, text, name="", contact="", *, now, photo="", client="", limit=None, forward=False):
    """Record a resident's complaint and return it (its ``code`` is the resident's key).

    ``limit`` is the per-hour allowance of ``client`` (None: no limit, for the demo). ``photo`` is
    a name ``portal.media`` stored. ``forward``: the resident asked for the text to reach the
    district too (the district hears of every complaint's category and status, never the name
    or contact).
    """
    fields = clean(category, text, name, contact)
    if limit is not None:
        check_rate(session, client, now, limit)
    complaint = Complaint(
        code=codes.unused(session, Complaint.code, new_code),
        photo=photo or "",
        client=client,
        created_at=now,
        updated_at=now,
        forwarded=bool(forward),
        ref=secrets.token_hex(10),
        **fields,
    )
    session.add(complaint)
    session.flush()
    data = {"complaint": complaint.ref, "category": complaint.category, "forwarded": complaint.forwarded}
    if complaint.forwarded:
        data["text"] = complaint.text
    outbox.add(session, "complaint.received", data, now)
    return complaint


def find(session, code):
    """The complaint with this tracking code (typed in any accepted form), or NotFound."""
    return codes.find(session, Complaint.code, PREFIX, code, "complaint_not_found")


def get(session, complaint_id):
    """A complaint by its id (the console), or NotFound."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint_not_found")
    return complaint


def timeline(session, complaint, public_only=False):
    """The complaint's updates, oldest first (only the public ones if asked)."""
    query = select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint.id)
    if public_only:
        query = query.where(ComplaintUpdate.public)
    return session.scalars(query.order_by(ComplaintUpdate.at, ComplaintUpdate.id)).all()


def public_view(session, complaint):
    """What the resident's status page and the public API show: never the name, the contact, the
    client address, the officials or the internal notes.

    Public updates are numbered 1, 2, ... within the complaint; a correction's ``corrects`` is the
    number of the update it corrects (None otherwise).
    """
    updates = timeline(session, complaint, public_only=True)
    numbers = {u.id: n for n, u in enumerate(updates, start=1)}
    return {
        "code": display_code(complaint.code),
        "category": complaint.category,
        "status": complaint.status,
        "created_at": complaint.created_at,
        "text": complaint.text,
        "photo": complaint.photo,
        "updates": [
            {
                "number": numbers[u.id],
                "at": u.at,
                "status": u.status,
                "body": u.body,
                "corrects": numbers.get(u.corrects_id),
            }
            for u in updates
        ],
    }


def correctable(session, complaint):
    """The public updates a correction may name: published ones that are not corrections themselves."""
    return [u for u in timeline(session, complaint, public_only=True) if u.corrects_id is None]


def add_update(session, complaint, actor, now, status="", body="", public=True, corrects=None):
    """Append an official's update: a new status, a reply (public, or an internal note), or both.

    ``corrects`` (an update id) makes a public reply the correction of an earlier published one;
    the original stays as it was. The complaint's status changes only here.
    """
    status = status or ""
    if status and status not in STATUSES:
        raise DomainError("complaint_bad_status", status=status)
    if status == complaint.status:
        status = ""  # "no change" however the form said it
    body = (body or "").strip()
    if len(body) > TEXT_LENGTH[1]:
        raise DomainError("complaint_reply_too_long", maximum=TEXT_LENGTH[1])
    if not body and not status:
        raise DomainError("complaint_update_empty")
    if corrects is not None:
        if not public or not body:
            raise DomainError("complaint_bad_correction")
        if corrects not in {u.id for u in correctable(session, complaint)}:
            raise DomainError("complaint_bad_correction")
    update = ComplaintUpdate(
        complaint_id=complaint.id,
        at=now,
        user_id=actor.user_id,
        status=status,
        body=body,
        public=public,
        corrects_id=corrects,
    )
    session.add(update)
    before = complaint.status
    if status:
        complaint.status = status
        outbox.add(session, "complaint.status", {"complaint": complaint.ref, "status": status}, now)
    complaint.updated_at = now
    session.flush()
    changes = {"public": public, "body": body, "corrects": corrects}
    if status:
        changes["status"] = [before, status]
    audit.record(session, actor, "complaint.update", f"complaint:{complaint.id}", changes, now)
    return update


def officials(session):
    """The officials a complaint may be routed to (those who may answer: admins and editors)."""
    return session.scalars(select(User).where(User.role.in_(("admin", "editor"))).order_by(User.username)).all()


def assign(session, complaint, user_id, actor, now, note):
    """Route the complaint to an official (None: to nobody), recorded as an internal note ``note``."""
    if user_id is not None and user_id not in {u.id for u in officials(session)}:
        raise DomainError("complaint_bad_assignee")
    if user_id == complaint.assigned_to:
        return None
    before = complaint.assigned_to
    complaint.assigned_to = user_id
    update = ComplaintUpdate(complaint_id=complaint.id, at=now, user_id=actor.user_id, body=note, public=False)
    session.add(update)
    complaint.updated_at = now
    session.flush()
    audit.record(
        session, actor, "complaint.assign", f"complaint:{complaint.id}", {"assigned_to": [before, user_id]}, now
    )
    return update


def counts(session):
    """How many complaints are in each status (every status present, zero included)."""
    found = dict(session.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def listing(session, status=None, limit=PAGE, page=0):
    """Complaints for the console: open ones first (received, then in progress), newest first
    within a status; only ``status`` when given; ``page`` counts pages of ``limit`` from 0."""
    query = select(Complaint)
    if status is not None:
        if status not in STATUSES:
            raise DomainError("complaint_bad_status", status=status)
        query = query.where(Complaint.status == status)
    rank = case({s: n for n, s in enumerate(STATUSES)}, value=Complaint.status, else_=len(STATUSES))
    order = (rank, Complaint.created_at.desc(), Complaint.id.desc())
    return session.scalars(query.order_by(*order).limit(limit).offset(page * limit)).all()
