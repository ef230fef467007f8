"""The console's services & counters page (``/admin/services``, admins): which services residents
take tickets for, their ticket letters, and which counter serves which.

The same form, and the same save (``portal.domain.desks``), as the setup wizard's third step: the
helpers here serve both. What a service says to residents (description, requirements, fee) is
edited with the rest of the content (``/admin/content/service/``).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from portal.domain import desks
from portal.domain.content import ContentInvalid
from portal.web.auth import actor, balai, console_page
from portal.web.errors import message
from portal.web.security import require_office

bp = Blueprint("services_admin", __name__, url_prefix="/admin/services")
bp.before_request(require_office)


def desks_form(services, counters, errors=None):
    """What ``admin/_services_form.html`` shows: the rows, each field's message, and a name for
    every service row (an added row has none yet) for the counters' checkboxes."""
    return {
        "services": services,
        "counters": counters,
        "errors": {key: message(code, details) for key, (code, details) in (errors or {}).items()},
        "service_labels": [
            row.name or gettext("New service %(number)s", number=i + 1) for i, row in enumerate(services)
        ],
    }


def stored_desks_form():
    """The form for what is saved (the common services and counters while there are none), plus
    empty rows to add more."""
    with balai().db.read() as session:
        return desks_form(*desks.with_blanks(*desks.current_rows(session)))


def save_posted_desks(who, then=None):
    """Save the posted form as ``who`` (an audit Actor); ``then(session, now)`` runs in the same
    transaction. Returns None when saved, else the form to show again with its errors."""
    services, counters = desks.parse_form(request.form)
    try:
        with balai().db.write() as session:
            now = balai().clock.now()
            desks.save(session, services, counters, who, now)
            if then is not None:
                then(session, now)
    except ContentInvalid as exc:
        return desks_form(services, counters, exc.errors)
    return None


@bp.get("")
@console_page("setup")
def index(user):
    """The services and counters, ready to change."""
    return render_template("admin/services.html", user=user, **stored_desks_form())


@bp.post("")
@console_page("setup")
def save(user):
    """Save the form: every row at once, or nothing with the problems shown."""
    again = save_posted_desks(actor())
    if again is not None:
        return render_template("admin/services.html", user=user, **again), 400
    flash(message("done_desks"), "ok")
    return redirect(url_for("services_admin.index"), code=303)
