"""Residents' polls and proposals (``/polls``): read a question or the proposals, vote, see results.

Plain forms, no JavaScript. Who is voting is decided here, not in the domain:

- a binding poll takes a voting code typed into the form, from any device (a phone, the kiosk);
- an advisory poll takes one vote per phone: on the hotspot with the captive portal on, the
  phone's accepted Wi-Fi session (a phone that has not accepted is sent to ``/wifi`` first);
  otherwise (no captive portal, or a device off the hotspot) a random device cookie, of which only
  a hash is kept.
"""

import hashlib
import secrets

from flask import Blueprint, redirect, render_template, request, url_for

from portal.domain import polls
from portal.domain.errors import DomainError, Refused
from portal.web.auth import balai
from portal.web.errors import message
from portal.web.security import client_address, on_hotspot, same_origin, secure_cookies

bp = Blueprint("votes", __name__, url_prefix="/polls")

VOTER_COOKIE = "balai_voter"
VOTER_COOKIE_AGE = 365 * 24 * 3600


def captive_phone():
    """Whether this request is a phone behind the captive portal (its Wi-Fi session names it)."""
    return balai().settings["BALAI_CAPTIVE"] and on_hotspot()


def advisory_voter(create=False):
    """``(voter key or None, new cookie token or None)`` for an advisory poll.

    A phone behind the captive portal is its accepted session (None before it accepts). Any other
    device is its ``balai_voter`` cookie, made when ``create`` and missing.
    """
    if captive_phone():
        captive = balai().captive
        ip = str(client_address())
        row = captive.session_of(ip, captive.mac(ip))
        return (f"session:{row.id}" if row else None), None
    token = request.cookies.get(VOTER_COOKIE, "")[:100]
    new = None
    if not token and create:
        token = new = secrets.token_urlsafe(24)
    if not token:
        return None, None
    return f"device:{hashlib.sha256(token.encode()).hexdigest()[:40]}", new


@bp.get("")
def index():
    """Open polls, then closed polls whose results are public."""
    with balai().db.read() as session:
        open_polls, closed = polls.public_polls(session, balai().clock.now())
    return render_template("polls.html", open_polls=open_polls, closed=closed)


def poll_page(poll_id, error=None, status=200, chosen=(), code=""):
    """A poll's page: the question and its options, the vote form or "you have voted", and the
    results once the officials make them public."""
    now = balai().clock.now()
    voter = None
    with balai().db.read() as session:
        row = polls.load(session, poll_id, public=True)
        poll = polls.view(row, now)
        if not poll["binding"]:
            voter, _ = advisory_voter()
        voted = voter is not None and polls.has_voted(session, poll_id, voter)
        results = polls.results(session, row) if poll["results_public"] else None
    return (
        render_template(
            "poll.html",
            poll=poll,
            voted=voted,
            thanks=request.args.get("voted") == "1" and error is None,
            needs_wifi=not poll["binding"] and captive_phone() and voter is None,
            results=results,
            error=error,
            chosen={str(c) for c in chosen},
            code=code,
        ),
        status,
    )


@bp.get("/<int:poll_id>")
def poll(poll_id):
    """A poll's page."""
    return poll_page(poll_id)


@bp.post("/<int:poll_id>")
def vote(poll_id):
    """Cast a vote, then show the poll again (with thanks); a refusal shows the page with why."""
    same_origin()
    choices = request.form.getlist("option")
    code = request.form.get("code", "")[:40]
    with balai().db.read() as session:
        binding = polls.load(session, poll_id, public=True).binding
    voter, new_cookie = (None, None) if binding else advisory_voter(create=True)
    try:
        if not binding and voter is None:
            raise Refused("poll_accept_wifi")
        with balai().db.write() as session:
            polls.vote(session, poll_id, choices, balai().clock.now(), voter=voter, code=code)
    except DomainError as exc:
        return poll_page(poll_id, message(exc.code, exc.details), exc.status, choices, code)
    response = redirect(url_for("votes.poll", poll_id=poll_id, voted=1), code=303)
    if new_cookie:
        response.set_cookie(
            VOTER_COOKIE,
            new_cookie,
            max_age=VOTER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(),
        )
    return response
