"""The JSON API, version 1 (``/api/v1``), described by ``/api/v1/openapi.json``.

Errors are always JSON ``{"error": code, "message": text}`` with a 4xx status; the message is
Indonesian unless the client asked for English (``?lang=en``).
"""

from datetime import date

from flask import Blueprint, abort, jsonify, request, url_for

from portal.domain import announcements, complaints, letter_requests, letters, stats
from portal.domain.errors import DomainError
from portal.domain.kiosks import overview as kiosk_overview
from portal.domain.village import business_day
from portal.web import audited, openapi
from portal.web.auth import balai, check_api_csrf, current_user, requires
from portal.web.complaints import status_url, submit_complaint
from portal.web.errors import message
from portal.web.letter_forms import field_messages
from portal.web.letters import phone_source, queue_service, send_request
from portal.web.letters import status_url as letter_status_url
from portal.web.tickets import conditional, issue_ticket, ticket_payload

bp = Blueprint("api", __name__, url_prefix="/api/v1")

COUNTER_ACTIONS = ("call-next", "recall", "start", "complete", "skip", "transfer")


def json_body():
    """The request's JSON object, or a 400 ``bad_json`` for anything else (not JSON, nested too
    deep to parse, not an object)."""
    try:
        data = request.get_json(silent=True)
    except (RecursionError, UnicodeError):
        data = None
    if not isinstance(data, dict):
        raise DomainError("bad_json")
    return data


def text_field(data, name, required=True, limit=200):
    """A string field that can be stored (no lone surrogates), or 400: required ones must be
    non-empty, a missing optional one is ``""``; ``limit=None`` leaves the length to the domain."""
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or (limit and len(value) > limit):
        raise DomainError("bad_field", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainError("bad_field", field=name) from None
    return value


@bp.get("/openapi.json")
def openapi_spec():
    """The machine-readable description of this API."""
    return jsonify(openapi.SPEC)


@bp.get("/services")
def services():
    """Open services with their waiting counts."""
    return jsonify([{k: s[k] for k in ("code", "name", "prefix", "open", "waiting")} for s in balai().queue.services()])


@bp.post("/tickets")
def create_ticket():
    """Take a ticket: ``{"service": CODE, "priority": false}`` → 201 and the ticket."""
    data = json_body()
    service = text_field(data, "service")
    priority = data.get("priority", False)
    if not isinstance(priority, bool):
        raise DomainError("bad_field", field="priority")
    view = issue_ticket(service, priority)
    response = jsonify(ticket_payload(view))
    response.status_code = 201
    response.headers["Location"] = url_for("api.ticket", ticket_id=view["id"])
    return response


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id):
    """One ticket's status; answers 304 to ``If-None-Match`` while nothing changed."""
    return conditional(lambda version: balai().queue.ticket(ticket_id, version), lambda t: jsonify(ticket_payload(t)))


@bp.post("/tickets/<ticket_id>/cancel")
def cancel(ticket_id):
    """Cancel a ticket: the resident holding its id may, and so may an official."""
    user = current_user()
    if user is not None:
        check_api_csrf()  # an official's write, audited as theirs: a browser session proves it is the console
    view = balai().queue.cancel(ticket_id, user_id=user.id if user else None)
    if user is not None:  # a resident's own cancel is not an official's write
        audited.ticket_write("ticket.cancel", view)
    return jsonify(ticket_payload(view))


@bp.post("/tickets/<ticket_id>/requeue")
@requires("queue")
def requeue(ticket_id):
    """Put a skipped ticket back into today's queue."""
    view = balai().queue.requeue(ticket_id, user_id=current_user().id)
    audited.ticket_write("ticket.requeue", view)
    return jsonify(ticket_payload(view))


@bp.post("/tickets/<ticket_id>/reprint")
@requires("queue")
def reprint(ticket_id):
    """Print an active ticket's receipt again: ``{"kiosk": ID}`` optional (default: the kiosk
    that printed it) → 202 and the new print job's id."""
    data = json_body() if request.content_length else {}
    kiosk_id = data.get("kiosk")
    if kiosk_id is not None and (not isinstance(kiosk_id, int) or isinstance(kiosk_id, bool)):
        raise DomainError("bad_field", field="kiosk")
    job = balai().printing.reprint(ticket_id, kiosk_id)
    audited.print_write("ticket.reprint", job)
    return jsonify({"job": job}), 202


@bp.get("/kiosks")
@requires("queue")
def kiosks():
    """The kiosks, their printers' states and the receipts waiting or needing a reprint."""
    with balai().db.read() as session:
        found = kiosk_overview(session, balai().clock.now())
    for kiosk in found:
        kiosk["last_seen_at"] = kiosk["last_seen_at"].isoformat() if kiosk["last_seen_at"] else None
    return jsonify(found)


@bp.get("/counters")
def counters():
    """Counters, their services, and the ticket each is serving (public: no ticket ids)."""
    return jsonify(balai().queue.counters())


@bp.post("/counters/<int:counter_id>/<action>")
@requires("queue")
def counter_action(counter_id, action):
    """Counter operations for officials; each returns the affected ticket."""
    if action not in COUNTER_ACTIONS:
        abort(404)
    queue = balai().queue
    user_id = current_user().id
    if action == "transfer":
        target = text_field(json_body(), "service")
        view = queue.transfer(counter_id, target, user_id=user_id)
    else:
        operation = getattr(queue, action.replace("-", "_"))
        view = operation(counter_id, user_id=user_id)
    audited.counter_write(action, counter_id, view)
    return jsonify(ticket_payload(view))


@bp.get("/counters/<int:counter_id>/waiting")
@requires("queue")
def waiting(counter_id):
    """The tickets a counter will call, in order."""
    return jsonify(balai().queue.waiting_list(counter_id))


@bp.get("/stats/daily")
@requires("stats")
def daily_stats():
    """Per service and counter figures of a day (``?day=YYYY-MM-DD``, default today)."""
    with balai().db.read() as session:
        day = business_day(session, balai().clock.now())
        asked = request.args.get("day")
        if asked:
            try:
                day = date.fromisoformat(asked)
            except ValueError:
                raise DomainError("bad_field", field="day") from None
        return jsonify(stats.daily(session, day))


@bp.get("/board")
def board():
    """What the display board shows; ETag and 304 on ``If-None-Match``."""
    return conditional(balai().queue.board, jsonify)


@bp.get("/announcements")
def announcements_list():
    """Announcements published now, pinned first (what phones, the kiosk and the board show)."""
    with balai().db.read() as session:
        items = announcements.current(session, balai().clock.now(), limit=100)
        payload = [
            {
                "id": a.id,
                "title": a.title,
                "body": a.body,
                "pinned": a.pinned,
                "from_district": a.district_id is not None,
                "publish_at": a.publish_at.isoformat(),
                "expire_at": a.expire_at.isoformat() if a.expire_at else None,
                "url": url_for("info.news_item", item_id=a.id),
            }
            for a in items
        ]
    return jsonify(payload)


@bp.post("/complaints")
def create_complaint():
    """Send a complaint (public, rate-limited per address): ``{"category", "text", "name"?,
    "contact"?, "forward"?}`` → 201 ``{tracking_code, status_url}``; 429 with Retry-After when too
    many. ``forward: true`` sends the text (never the name or contact) to the district too."""
    data = json_body()
    fields = {
        name: text_field(data, name, required=False, limit=None) for name in ("category", "text", "name", "contact")
    }
    forward = data.get("forward", False)
    if not isinstance(forward, bool):
        raise DomainError("bad_field", field="forward")
    code = submit_complaint(forward=forward, **fields)
    response = jsonify(tracking_code=complaints.display_code(code), status_url=status_url(code))
    response.status_code = 201
    response.headers["Location"] = url_for("api.complaint", code=complaints.display_code(code))
    return response


@bp.get("/complaints/<code>")
def complaint(code):
    """A complaint's public status by its tracking code: no name, contact or internal notes."""
    with balai().db.read() as session:
        view = complaints.public_view(session, complaints.find(session, code))
    return jsonify(
        tracking_code=view["code"],
        category=view["category"],
        status=view["status"],
        created_at=view["created_at"].isoformat(),
        text=view["text"],
        updates=[{**u, "at": u["at"].isoformat()} for u in view["updates"]],
    )


@bp.get("/letter-types")
def letter_types():
    """The letters residents can ask for: what to bring, the questions each asks, and the queue
    service whose ticket a request may take (null when none)."""
    with balai().db.read() as session:
        offered = letters.offered(session)
    return jsonify(
        [
            {
                "code": t.code,
                "name": t.name,
                "requirements": t.requirements.splitlines(),
                "fields": [
                    {"name": f["name"], "label": f["label"], "kind": f["kind"], "required": f.get("required", False)}
                    for f in letters.parse_fields(t.fields)
                ],
                "service": queue_service(t).code if queue_service(t) else None,
            }
            for t in offered
        ]
    )


def invalid_fields(code, fields):
    """400 naming each wrong field beside the error: ``{"error", "message", "fields": {name: text}}``."""
    return jsonify(error=code, message=message(code), fields=fields), 400


def storable(value):
    """Whether an answer can be stored as typed (text without lone surrogates; an address's
    boxes likewise); other kinds of value are the domain's to refuse."""
    parts = value.values() if isinstance(value, dict) else [value]
    try:
        for part in parts:
            if isinstance(part, str):
                part.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@bp.post("/letters")
def create_letter_request():
    """Ask for a letter (public, rate-limited per address): ``{"type", "fields": {name: answer},
    "bring_papers": true, "ticket"?}`` → 201 ``{tracking_code, status_url, ticket_id,
    ticket_error}``; 400 with ``fields`` naming each wrong answer; 429 with Retry-After."""
    data = json_body()
    type_code = data.get("type")
    with balai().db.read() as session:
        found = (
            letters.by_code(session, type_code)
            if isinstance(type_code, str) and letters.CODE.match(type_code)
            else None
        )
    if found is None:
        return invalid_fields("letter_type_not_found", {"type": message("letter_type_not_found")})
    given = data.get("fields", {})
    if not isinstance(given, dict) or not all(storable(value) for value in given.values()):
        raise DomainError("bad_field", field="fields")
    ticket = data.get("ticket", False)
    if not isinstance(ticket, bool):
        raise DomainError("bad_field", field="ticket")
    try:
        sent = send_request(found, given, data.get("bring_papers"), phone_source(), ticket)
    except letter_requests.FieldErrors as exc:
        return invalid_fields(exc.code, field_messages(exc))
    problem = sent.no_ticket
    response = jsonify(
        tracking_code=sent.tracking_code,
        status_url=letter_status_url(sent.tracking_code),
        ticket_id=sent.ticket_id,
        ticket_error={"error": problem.code, "message": message(problem.code, problem.details)} if problem else None,
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.letter_request", code=sent.tracking_code)
    return response


@bp.get("/letters/<code>")
def letter_request(code):
    """A letter request's public status by its tracking code: the name and NIKs masked, no other answer."""
    with balai().db.read() as session:
        view = letter_requests.public_view(session, letter_requests.find(session, code))
    return jsonify(
        tracking_code=view["tracking_code"],
        type=view["type"],
        status=view["status"],
        reason=view["reason"],
        name=view["name"],
        masked=view["masked"],
        letter_number=view["letter_number"],
        issued_on=view["issued_on"].isoformat() if view["issued_on"] else None,
        created_at=view["created_at"].isoformat(),
        updated_at=view["updated_at"].isoformat(),
        status_url=letter_status_url(view["tracking_code"]),
        ticket_id=view["ticket_id"],
    )
