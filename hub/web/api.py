"""The API villages sync with (``/api/v1``), signed both ways (see ``hub/protocol.py``).

Refusals are plain and distinct, because a technician reads them in the village's console:
401 for a bad signature or a timestamp outside the window (the answer carries the hub's time),
403 for a village this hub does not know, 400 for a body that is not a batch.
"""

import json

from flask import Blueprint, current_app, jsonify, make_response, request

from hub import ingest, notices, protocol, villages
from portal.domain.errors import DomainError
from portal.models import utc_text

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def hub():
    """The app's settings, store and clock."""
    return current_app.extensions["hub"]


class Refusal(Exception):
    """Stop a request with ``status`` and a short English reason for the village's log."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@bp.errorhandler(Refusal)
def refused(exc):
    return jsonify(error=exc.reason, now=int(hub().clock.now().timestamp())), exc.status


@bp.get("/health")
def health():
    """The cheap probe villages make before syncing: no database, just "up" and the time
    (waitress adds the ``Date`` header villages set their signing clock by)."""
    return jsonify(status="ok", now=utc_text(hub().clock.now()))


def signed_path():
    """The path (with the query) as the village signed it: from ``/api/v1`` on, so a reverse proxy
    that serves the hub under a prefix changes nothing."""
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


def authenticate(code):
    """The village named in the path, if the request is signed with its key now; else Refusal."""
    if request.headers.get(protocol.HEADER_VILLAGE) != code:
        raise Refusal(401, "the village header does not match the path")
    stamp = request.headers.get(protocol.HEADER_TIMESTAMP)
    if not protocol.fresh(stamp, int(hub().clock.now().timestamp())):
        raise Refusal(401, "the timestamp is outside the hub's window: check the village clock")
    with hub().store.read() as session:
        try:
            village = villages.by_code(session, code)
        except DomainError:
            raise Refusal(403, "this hub does not know the village") from None
    expected = protocol.sign(village.key, request.method, signed_path(), stamp, request.get_data())
    if not protocol.same(request.headers.get(protocol.HEADER_SIGNATURE), expected):
        raise Refusal(401, "the signature does not match the village key")
    return village, int(stamp)


def signed(document, village, stamp):
    """A JSON answer signed for the request made at ``stamp``."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    response = make_response(body)
    response.content_type = "application/json"
    response.headers[protocol.HEADER_SIGNATURE] = protocol.sign_response(village.key, signed_path(), stamp, body)
    return response


@bp.post("/villages/<code>/events")
def events(code):
    """Take a batch of events (gzip JSON ``{"events": [...], "health": {...}}``) and acknowledge it."""
    village, stamp = authenticate(code)
    try:
        document = protocol.unpack(request.get_data())
        with hub().store.write() as session:
            row = session.get(type(village), village.id)
            answer = ingest.ingest(session, row, document, hub().clock.now())
    except (protocol.BadRequest, ingest.BadBatch) as exc:
        raise Refusal(400, str(exc)) from None
    return signed(answer, village, stamp)


@bp.get("/villages/<code>/notices")
def village_notices(code):
    """The district's notices for the village after its cursor (``?after=``)."""
    village, stamp = authenticate(code)
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        raise Refusal(400, "after must be a number") from None
    with hub().store.read() as session:
        answer = notices.for_village(session, village, after)
    return signed(answer, village, stamp)
