"""The residents' pages: home, the queue, and a ticket's own page.

Server-rendered and usable without JavaScript (forms and a meta refresh); a few lines of JS make
the ticket page live. Public forms carry no CSRF token because the phone's sign-in popup may keep
no cookies; a same-origin check refuses forms posted from other sites instead.
"""

import hashlib
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for

from portal.config import logo_path
from portal.domain import announcements, published
from portal.domain.errors import DomainError
from portal.domain.village import get_village
from portal.web.auth import balai
from portal.web.errors import message
from portal.web.pagecache import cached_page
from portal.web.security import same_origin
from portal.web.tickets import current_etag, issue_ticket

bp = Blueprint("public", __name__)


def logo_file():
    """The village logo's path, or None when the village has none."""
    path = Path(logo_path(balai().settings))
    return path if path.is_file() else None


@bp.get("/village/logo.png")
def logo():
    """The village's logo (receipts print it; the kiosk agent fetches it from here)."""
    path = logo_file()
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)


def fingerprint(data):
    """A short fingerprint of a picture's bytes: in the logo's address, and in the audit log."""
    return hashlib.sha256(data).hexdigest()[:12]


def logo_version():
    """The fingerprint of the logo, or None without a logo. Read again only when the file changed
    (every kiosk job carries the logo's address: no hashing per job)."""
    path = Path(logo_path(balai().settings))
    try:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        known = current_app.extensions.setdefault("balai_logo_version", {})
        if key not in known:
            known.clear()
            known[key] = fingerprint(path.read_bytes())
        return known[key]
    except OSError:  # no logo (or removed meanwhile)
        return None


@bp.app_template_global()
def logo_url(external=False):
    """The logo's address with its fingerprint (``/village/logo.png?v=…``), or None without a logo.
    It changes with the picture: the kiosk agents fetch each address once, and browsers cache it."""
    version = logo_version()
    return url_for("public.logo", v=version, _external=external) if version else None


def village():
    """The village profile for page headers."""
    with balai().db.read() as session:
        return get_village(session)


@bp.get("/")
@cached_page
def home():
    """The village's front page: what it is, the queue at a glance, announcements, the coming
    agenda, emergency numbers, and a menu of everything else."""
    now = balai().clock.now()
    with balai().db.read() as session:
        news = announcements.current(session, now, limit=4)
        events = published.upcoming_events(session, now, limit=3)
        contacts = published.contacts(session)
    return render_template("home.html", services=balai().queue.services(), news=news, events=events, contacts=contacts)


@bp.get("/queue")
def queue():
    """Every service with its requirements and waiting count, and a button to take a ticket."""
    return render_template("queue.html", services=balai().queue.services(), error=None)


@bp.post("/queue")
def take():
    """Take a ticket from the phone page; on success go to the ticket's own page."""
    same_origin()
    try:
        view = issue_ticket(request.form.get("service", ""), request.form.get("priority") == "1")
    except DomainError as exc:
        return (
            render_template("queue.html", services=balai().queue.services(), error=message(exc.code, exc.details)),
            exc.status,
        )
    return redirect(url_for("public.ticket", ticket_id=view["id"]), code=303)


@bp.get("/ticket/<ticket_id>")
def ticket(ticket_id):
    """A ticket's live page: number, place in line, estimate, and the counter once called."""
    return render_template("ticket.html", t=balai().queue.ticket(ticket_id), etag=current_etag())


@bp.get("/ticket/<ticket_id>/live")
def ticket_live(ticket_id):
    """The ticket page's changing part, fetched by its script when the ticket's ETag changes."""
    return render_template("_ticket_live.html", t=balai().queue.ticket(ticket_id))


@bp.post("/ticket/<ticket_id>/cancel")
def cancel(ticket_id):
    """The resident gives the ticket up."""
    same_origin()
    balai().queue.cancel(ticket_id)
    return redirect(url_for("public.ticket", ticket_id=ticket_id), code=303)


@bp.app_context_processor
def page_globals():
    """Values every page template may use."""
    return {"village": village()}
