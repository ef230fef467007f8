"""The residents' complaints and aspirations pages: send one, get a tracking code, follow it.

Plain forms that work without JavaScript (the photo is an ordinary file input). Like the other
public forms they carry no CSRF token; ``same_origin`` refuses forms posted from other sites.
The API (``portal.web.api``) sends complaints through ``submit_complaint`` too, so both share
the rate limit and the checks.
"""

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from portal import media
from portal.domain import codes, complaints
from portal.domain.errors import DomainError, NotFound
from portal.web.auth import balai
from portal.web.errors import message, respond
from portal.web.security import same_origin, settings
from portal.web.tickets import public_base
from portal.web.uploads import accepts_upload, store

bp = Blueprint("complaints", __name__)

CATEGORY_ICONS = {
    "infrastructure": "road",
    "public_services": "building",
    "social_assistance": "gift",
    "environment": "leaf",
    "security": "shield",
    "health": "heart",
    "education": "book",
    "proposal": "bulb",
    "other": "chat",
}
FIELDS = ("category", "text", "name", "contact")


def labels():
    """What complaint templates (public and console) use to name categories, statuses and times."""
    return {
        "categories": complaints.CATEGORIES,
        "statuses": complaints.STATUSES,
        "category_icons": CATEGORY_ICONS,
        "display_code": complaints.display_code,
        "small": media.small,
    }


bp.context_processor(labels)


def submit_complaint(category, text, name="", contact="", with_photo=False, forward=False):
    """Send a complaint from this request's client; returns its stored tracking code. ``forward``:
    the resident asked for the text to go to the district too.

    The fields and the rate limit are checked before the photo is stored, so a refused complaint
    leaves no file behind; ``complaints.submit`` checks both again inside its transaction.
    """
    client = request.remote_addr or ""
    now = balai().clock.now()
    limit = settings()["BALAI_COMPLAINTS_PER_HOUR"]
    complaints.clean(category, text, name, contact)
    with balai().db.read() as session:
        complaints.check_rate(session, client, now, limit)
    photo = store("photo", "photo") if with_photo else None
    with balai().db.write() as session:
        complaint = complaints.submit(
            session, category, text, name, contact, photo=photo, client=client, now=now, limit=limit, forward=forward
        )
        return complaint.code


def status_url(code):
    """A complaint's status page as a full address (BALAI_PUBLIC_URL when set: the address phones use)."""
    return public_base() + url_for("complaints.status", code=complaints.display_code(code))


def with_retry_after(response, exc):
    """Tell a client refused by the rate limit when it may send again."""
    if isinstance(exc, codes.TooOften):
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


@bp.app_errorhandler(codes.TooOften)
def too_often(exc):
    """429 with Retry-After (the API; the form shows its own page)."""
    return with_retry_after(make_response(respond(exc.code, exc.status, exc.details)), exc)


def form_page(error=None, values=None, status=200):
    """The complaint form, perhaps with an error and what the resident typed."""
    limit_mb = settings()["BALAI_PHOTO_MAX_MB"]
    return render_template("complaints/form.html", error=error, values=values or {}, limit_mb=limit_mb), status


@bp.get("/complaints")
def form():
    """The form to send a complaint or an aspiration, and a box to follow one by its code."""
    return form_page()


@bp.post("/complaints")
@accepts_upload("BALAI_PHOTO_MAX_MB")
def send():
    """Send a complaint; on success go to its status page, which shows the tracking code."""
    same_origin()
    try:
        values = {name: request.form.get(name, "") for name in FIELDS}
    except RequestEntityTooLarge:
        # The body is bigger than any photo we take: nothing of it was read or stored.
        error = message("photo_too_large", {"limit_mb": settings()["BALAI_PHOTO_MAX_MB"]})
        return form_page(error=error, status=413)
    values["forward"] = request.form.get("forward") == "1"
    try:
        code = submit_complaint(with_photo=True, **values)
    except DomainError as exc:
        page = form_page(error=message(exc.code, exc.details), values=values, status=exc.status)
        return with_retry_after(make_response(page), exc)
    return redirect(url_for("complaints.status", code=complaints.display_code(code), sent=1), code=303)


def follow(kind, endpoint, template):
    """A "follow it" box's answer (complaints, letter requests): the status page (``endpoint``) of
    the code typed, or when it cannot be a code of this ``kind`` (a domain module with
    ``normalise_code`` and ``display_code``) the friendly 404 (``template``)."""
    typed = request.args.get("code", "")
    code = kind.normalise_code(typed)
    if code is None:
        return unknown_code(template, typed)
    return redirect(url_for(endpoint, code=kind.display_code(code)), code=303)


def unknown_code(template, typed):
    """The friendly 404 for a code that is wrong or unknown, with a box to type it again."""
    return render_template(template, typed=typed[:40]), 404


@bp.get("/complaints/track")
def track():
    """The "follow a complaint" box: go to the status page of the typed code."""
    return follow(complaints, "complaints.status", "complaints/unknown.html")


def unknown(typed):
    """The friendly 404 for a complaint code that is wrong or unknown."""
    return unknown_code("complaints/unknown.html", typed)


@bp.get("/complaints/<code>")
def status(code):
    """A complaint's status page: its code, status, text and the officials' public replies
    (never the resident's name or contact, never an official's name or an internal note)."""
    with balai().db.read() as session:
        try:
            complaint = complaints.find(session, code)
        except NotFound:
            return unknown(code)
        view = complaints.public_view(session, complaint)
    sent = request.args.get("sent") == "1"
    return render_template("complaints/status.html", c=view, forwarded=complaint.forwarded, sent=sent)
