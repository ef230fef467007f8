"""The console's complaints pages (``/admin/complaints``): read, route and answer complaints.

Officials see everything a resident sent, name and contact included. Answers are appended as
updates (public replies, internal notes, status changes, corrections); there is deliberately no
way to edit or delete one, and the status changes only through an update, so the timeline is
the complaint's whole history. Every write is audited.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from portal.domain import complaints
from portal.domain.errors import DomainError
from portal.web.auth import actor, balai, console_page
from portal.web.complaints import labels
from portal.web.errors import message
from portal.web.security import require_office

bp = Blueprint("complaints_admin", __name__, url_prefix="/admin/complaints")
bp.before_request(require_office)
bp.context_processor(labels)


@bp.get("")
@console_page("content")
def index(user):
    """Complaints with their counts per status, open ones first; ``?status=`` filters."""
    status = request.args.get("status") or None
    page = min(max(request.args.get("page", 0, type=int), 0), 10**6)
    with balai().db.read() as session:
        rows = complaints.listing(session, status, page=page)
        return render_template(
            "admin/complaints.html",
            user=user,
            rows=rows,
            counts=complaints.counts(session),
            status=status,
            page=page,
            more=len(rows) == complaints.PAGE,
        )


@bp.get("/<int:complaint_id>")
@console_page("content")
def complaint(complaint_id, user):
    """One complaint: everything the resident sent, the whole timeline, and the forms to answer."""
    with balai().db.read() as session:
        row = complaints.get(session, complaint_id)
        return render_template(
            "admin/complaint.html",
            user=user,
            c=row,
            timeline=complaints.timeline(session, row),
            correctable=complaints.correctable(session, row),
            officials=complaints.officials(session),
        )


def back_to(complaint_id):
    """Redirect to the complaint's page after a form."""
    return redirect(url_for("complaints_admin.complaint", complaint_id=complaint_id), code=303)


@bp.post("/<int:complaint_id>/update")
@console_page("content")
def update(complaint_id, user):
    """Append an update: a status change, a public reply (perhaps correcting an earlier one) or an
    internal note."""
    form = request.form
    corrects = form.get("corrects", type=int)
    try:
        with balai().db.write() as session:
            complaints.add_update(
                session,
                complaints.get(session, complaint_id),
                actor(),
                balai().clock.now(),
                status=form.get("status", ""),
                body=form.get("body", ""),
                public=form.get("public") == "1",
                corrects=corrects,
            )
        flash(message("done_complaint_update"), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return back_to(complaint_id)


@bp.post("/<int:complaint_id>/assign")
@console_page("content")
def assign(complaint_id, user):
    """Route the complaint to an official (or to nobody); recorded as an internal note."""
    official_id = request.form.get("official", type=int)
    try:
        with balai().db.write() as session:
            chosen = next((u for u in complaints.officials(session) if u.id == official_id), None)
            note = gettext("Routed to %(name)s.", name=chosen.username) if chosen else gettext("Routing removed.")
            complaints.assign(
                session, complaints.get(session, complaint_id), official_id, actor(), balai().clock.now(), note
            )
        flash(message("done_complaint_assign"), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return back_to(complaint_id)
