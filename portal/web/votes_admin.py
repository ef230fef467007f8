"""The console's polls (``/admin/polls``): write a question or a list of proposals, open and close
it, show its results to residents, and print voting codes for a binding poll.

Editors and admins only (permission "content"); every change is in the audit log. Voting codes
are shown once, on the answer to the form that makes them (a printable A4 sheet of slips): only
their hashes are stored, so they cannot be shown again.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from portal.config import captive_url
from portal.domain import polls
from portal.domain.content import local_datetime
from portal.domain.errors import DomainError
from portal.web.auth import actor, balai, console_page
from portal.web.errors import message
from portal.web.i18n import local_input, village_tz
from portal.web.security import require_office

bp = Blueprint("votes_admin", __name__, url_prefix="/admin/polls")
bp.before_request(require_office)

# action → (domain call, confirmation)
ACTIONS = {
    "open": (polls.open_poll, "done_poll_open"),
    "close": (polls.close_poll, "done_poll_close"),
    "publish": (lambda *args: polls.show_results(*args, public=True), "done_poll_publish"),
    "hide": (lambda *args: polls.show_results(*args, public=False), "done_poll_hide"),
}
BLANK = {"title": "", "description": "", "kind": "proposals", "binding": False, "max_choices": 3, "closes_at": ""}


def from_local_input(text):
    """A datetime-local value typed in the village's time zone, as an aware time (None if empty)."""
    try:
        return local_datetime(text, village_tz())
    except DomainError:
        raise DomainError("bad_field", field=gettext("Voting closes")) from None


def submitted():
    """The poll form as typed (shown again when it is refused)."""
    form = request.form
    return {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "kind": form.get("kind", ""),
        "binding": form.get("binding") == "1",
        "max_choices": form.get("max_choices", "1"),
        "closes_at": form.get("closes_at", ""),
        "options": form.get("options", ""),
    }


def fields(values):
    """The typed form as the domain's fields."""
    try:
        max_choices = int(values["max_choices"])
    except ValueError:
        raise DomainError("bad_field", field=gettext("Choices per voter")) from None
    return {**values, "max_choices": max_choices, "closes_at": from_local_input(values["closes_at"])}


def form_page(user, values, poll_id=None, error=None, status=200):
    """The create/edit form."""
    return render_template("admin/poll_form.html", user=user, values=values, poll_id=poll_id, error=error), status


@bp.get("/")
@console_page("content")
def index(user):
    """Every poll, newest first, with its state and number of votes."""
    with balai().db.read() as session:
        rows = polls.all_polls(session, balai().clock.now())
    return render_template("admin/polls.html", user=user, polls=rows)


@bp.get("/new")
@console_page("content")
def new(user):
    """An empty poll form."""
    return form_page(user, {**BLANK, "options": ""})


@bp.post("/new")
@console_page("content")
def create(user):
    """Save a new poll as a draft."""
    values = submitted()
    try:
        with balai().db.write() as session:
            poll = polls.save(session, actor(), balai().clock.now(), fields(values))
    except DomainError as exc:
        return form_page(user, values, error=message(exc.code, exc.details), status=exc.status)
    flash(message("done_poll_create", {"title": poll.title}), "ok")
    return redirect(url_for("votes_admin.detail", poll_id=poll.id), code=303)


@bp.get("/<int:poll_id>")
@console_page("content")
def detail(user, poll_id):
    """One poll: its state, results (officials always see them), actions and voting codes."""
    now = balai().clock.now()
    with balai().db.read() as session:
        row = polls.load(session, poll_id)
        poll = polls.view(row, now)
        results = polls.results(session, row)
        issued, used = polls.code_counts(session, poll_id)
    return render_template(
        "admin/poll.html",
        user=user,
        poll=poll,
        results=results,
        issued=issued,
        used=used,
        max_codes=polls.MAX_CODES,
    )


@bp.get("/<int:poll_id>/edit")
@console_page("content")
def edit(user, poll_id):
    """The form, filled in with the poll."""
    with balai().db.read() as session:
        row = polls.load(session, poll_id)
        values = {
            **polls.view(row, balai().clock.now()),
            "closes_at": local_input(row.closes_at, village_tz()),
            "options": polls.options_text(row),
        }
    return form_page(user, values, poll_id)


@bp.post("/<int:poll_id>/edit")
@console_page("content")
def update(user, poll_id):
    """Save changes to a poll."""
    values = submitted()
    try:
        with balai().db.write() as session:
            poll = polls.save(session, actor(), balai().clock.now(), fields(values), poll_id=poll_id)
    except DomainError as exc:
        if exc.code == "poll_not_found":
            raise
        return form_page(user, values, poll_id, message(exc.code, exc.details), exc.status)
    flash(message("done_poll_update", {"title": poll.title}), "ok")
    return redirect(url_for("votes_admin.detail", poll_id=poll_id), code=303)


@bp.post("/<int:poll_id>/codes")
@console_page("content")
def codes(user, poll_id):
    """Make voting codes and show them, this once, as a printable sheet of slips."""
    try:
        with balai().db.write() as session:
            made = polls.generate_codes(
                session, actor(), balai().clock.now(), poll_id, request.form.get("count", 0, type=int)
            )
            title = polls.load(session, poll_id).title
    except DomainError as exc:
        if exc.code == "poll_not_found":
            raise
        flash(message(exc.code, exc.details), "error")
        return redirect(url_for("votes_admin.detail", poll_id=poll_id), code=303)
    # Typed by hand from paper: without "http://", which every phone browser adds itself.
    vote_url = captive_url(balai().settings).split("://", 1)[-1] + url_for("votes.poll", poll_id=poll_id)
    page = render_template("admin/poll_codes.html", user=user, title=title, codes=made, vote_url=vote_url)
    # The only copy of these codes: never kept by a cache or offered again by the back button.
    return page, 200, {"Cache-Control": "no-store"}


@bp.post("/<int:poll_id>/<action>")
@console_page("content")
def change(user, poll_id, action):
    """Open, close, publish the results or hide them again."""
    if action not in ACTIONS:
        abort(404)
    call, done = ACTIONS[action]
    try:
        with balai().db.write() as session:
            poll = call(session, actor(), balai().clock.now(), poll_id)
        flash(message(done, {"title": poll.title}), "ok")
    except DomainError as exc:
        if exc.code == "poll_not_found":
            raise
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("votes_admin.detail", poll_id=poll_id), code=303)
