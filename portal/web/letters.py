"""The residents' letter requests (permohonan surat): choose a letter, answer its questions, get a
tracking code, follow the request until the letter is ready to collect.

Plain forms that work without JavaScript and upload nothing: papers (KTP, KK) are brought to the
office. Like the other public forms they carry no CSRF token; ``same_origin`` refuses forms
posted from other sites. The kiosk (``portal.web.kiosk``) and the API (``portal.web.api``) send
requests through ``send_request`` too, so all share the checks, the rate limit (phones only) and
the queue ticket taken with a request.
"""

from dataclasses import dataclass

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from portal.domain import letter_requests, letters
from portal.domain.errors import DomainError, NotFound
from portal.web.auth import balai
from portal.web.complaints import follow, unknown_code, with_retry_after
from portal.web.errors import message
from portal.web.letter_forms import answers_from, field_messages
from portal.web.security import on_hotspot, same_origin, settings
from portal.web.tickets import issue_ticket, public_base

bp = Blueprint("letters", __name__)

# Each demo letter's picture on its tile; a village's own letter types get the file.
LETTER_ICONS = {
    "domisili": "home",
    "usaha": "shop",
    "sktm": "gift",
    "skck": "shield",
    "kehilangan": "search",
    "kelahiran": "heart",
    "pindah": "arrow",
    "nikah": "people",
}
# Why a request may stand without its queue ticket: the queue's refusals the status page explains.
NO_TICKET = ("service_closed", "daily_cap_reached", "too_many_tickets", "unknown_service")
STEPS = ("received", "processing", "ready", "collected")


@bp.app_template_global()
def letter_icon(code):
    """The icon of a letter type's tile (phone and kiosk)."""
    return LETTER_ICONS.get(code, "file")


@dataclass
class Sent:
    """A stored request: its tracking code (as people read it), and its queue ticket or why it has none."""

    tracking_code: str
    ticket_id: str | None = None
    no_ticket: DomainError | None = None


def offered():
    """The letter types residents can ask for, in catalogue order."""
    with balai().db.read() as session:
        return letters.offered(session)


def letter_type_or_404(type_code):
    """An offered letter type (with its service loaded) by its code, or 404."""
    with balai().db.read() as session:
        found = letters.by_code(session, type_code)
    if found is None:
        abort(404)
    return found


def queue_service(letter_type):
    """The active queue service a letter's ticket is taken for, or None."""
    service = letter_type.service
    return service if service is not None and service.active else None


def phone_source():
    """How a request from a phone or a computer arrived: over the hall's hotspot, or the web."""
    return "hotspot" if on_hotspot() else "web"


def field_problems(fields, given, bring_papers):
    """Refuse (FieldErrors) wrong answers and an unticked "I will bring the papers" together, so
    the form marks every problem at once (the domain stops at the papers)."""
    if bring_papers is True:
        return
    problems = {"bring_papers": ("bring_papers_required", {})}
    try:
        letter_requests.clean_answers(fields, given)
    except letter_requests.FieldErrors as exc:
        problems = {**exc.details["fields"], **problems}
    raise letter_requests.FieldErrors(problems)


def send_request(letter_type, given, bring_papers, source, ticket):
    """Store a request for ``letter_type`` from this request's client; with ``ticket``, then take a
    queue ticket for the letter's service and link it. The queue may refuse (closed, today's
    tickets all taken, this phone holds enough): the request stands all the same.

    Phones are limited per hour (BALAI_LETTER_REQUESTS_PER_HOUR); the kiosk is not, and its
    ticket is printed at the kiosk.
    """
    field_problems(letters.parse_fields(letter_type.fields), given, bring_papers)
    limit = None if source == "kiosk" else settings()["BALAI_LETTER_REQUESTS_PER_HOUR"]
    with balai().db.write() as session:
        row = letter_requests.submit(
            session,
            letter_type,
            given,
            now=balai().clock.now(),
            source=source,
            client=request.remote_addr or "",
            limit=limit,
            bring_papers=True,
        )
        sent = Sent(letter_requests.display_code(row.code))
        request_id = row.id
    service = queue_service(letter_type)
    if not ticket or service is None:
        return sent
    try:
        view = issue_ticket(
            service.code, False, source="kiosk" if source == "kiosk" else None, letter_request=request_id
        )
    except DomainError as exc:
        sent.no_ticket = exc
        return sent
    sent.ticket_id = view["id"]
    return sent


def status_url(tracking_code):
    """A request's status page as a full address (BALAI_PUBLIC_URL when set: the address phones use)."""
    return public_base() + url_for("letters.status", code=tracking_code)


def no_ticket_message(service, problem):
    """Why the queue gave no ticket for a request's ``service`` (a Service or None), in the
    person's language; None when ``problem`` is not one of the queue's refusals."""
    if problem not in NO_TICKET:
        return None
    details = {"limit": balai().queue.policy.hotspot_max_tickets, "service": ""}
    if service is not None:
        details.update(
            service=service.name, opens_at=service.opens_at, closes_at=service.closes_at, cap=service.daily_cap
        )
    return message(problem, details)


@bp.get("/letters")
def index():
    """Every letter residents can ask for, as big tiles, and the box to follow a request."""
    return render_template("letters/index.html", types=offered())


def form_page(letter_type, values=None, errors=None, error=None, status=200, template="letters/form.html"):
    """A letter's request form (the phone's, or the kiosk's ``template``), perhaps with what was
    typed and a message beside each wrong answer."""
    return render_template(
        template,
        letter=letter_type,
        fields=letters.parse_fields(letter_type.fields),
        service=queue_service(letter_type),
        values=values,
        errors=errors or {},
        error=error,
    ), status


@bp.get("/letters/new/<type_code>")
def form(type_code):
    """What to bring, then the letter's questions."""
    return form_page(letter_type_or_404(type_code))


def send_form(letter_type, source, ticket, template="letters/form.html"):
    """Send the posted form as a request for ``letter_type``: returns the Sent request, or the
    form again (``template``) with what was typed and what was wrong. The caller checks
    ``same_origin`` first (before telling whether the letter exists)."""
    given = answers_from(letters.parse_fields(letter_type.fields), request.form)
    values = {**given, "bring_papers": request.form.get("bring_papers") == "1", "ticket": ticket}
    try:
        return send_request(letter_type, given, values["bring_papers"], source, ticket)
    except letter_requests.FieldErrors as exc:
        return form_page(letter_type, values, field_messages(exc), message(exc.code), exc.status, template)
    except DomainError as exc:
        page = form_page(
            letter_type, values, error=message(exc.code, exc.details), status=exc.status, template=template
        )
        return with_retry_after(make_response(page), exc)


@bp.post("/letters/new/<type_code>")
def send(type_code):
    """Send a request; on success go to its status page, which shows the tracking code."""
    same_origin()
    sent = send_form(letter_type_or_404(type_code), phone_source(), request.form.get("ticket") == "1")
    if not isinstance(sent, Sent):
        return sent
    no_ticket = sent.no_ticket.code if sent.no_ticket else None
    return redirect(url_for("letters.status", code=sent.tracking_code, sent=1, no_ticket=no_ticket), code=303)


@bp.get("/letters/track")
def track():
    """The "follow my request" box: go to the status page of the typed code."""
    return follow(letter_requests, "letters.status", "letters/unknown.html")


@bp.get("/letters/status/<code>")
def status(code):
    """A request's status page: its code, where it stands, the masked name and NIKs, the letter's
    number once issued, the queue ticket, and the papers to bring (never an answer in full)."""
    with balai().db.read() as session:
        try:
            row = letter_requests.find(session, code)
        except NotFound:
            return unknown_code("letters/unknown.html", code)
        view = letter_requests.public_view(session, row)
        letter_type = row.letter_type
        service = letter_type.service if letter_type else None  # read now: the page is drawn after the session
    return render_template(
        "letters/status.html",
        r=view,
        steps=STEPS,
        requirements=letter_type.requirements.splitlines() if letter_type else [],
        sent=request.args.get("sent") == "1",
        no_ticket=no_ticket_message(service, request.args.get("no_ticket")),
    )
