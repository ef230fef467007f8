"""Error responses: a readable message (see ``portal/messages.py``) as JSON or as a page."""

import errno
import sqlite3

from flask import jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from portal.domain.errors import DomainError
from portal.messages import render

HTTP_CODES = {
    400: "bad_request",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


def message(code, details=None):
    """The readable message for an error code (details: a dict), in the request's language."""
    return render(code, details, gettext)


def wants_json():
    """API clients get JSON errors, browsers get a page."""
    return request.path.startswith("/api/")


def respond(code, status, details=None):
    """An error response in the right shape for this request."""
    text = message(code, details)
    if wants_json():
        return jsonify(error=code, message=text), status
    return render_template("error.html", message=text, status=status), status


class RowId(IntegerConverter):
    """``<int:…>`` in every route: only numbers SQLite can hold (a longer one is a 404, not a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def storage_full(exc):
    """Whether ``exc`` (or what it wraps: SQLAlchemy keeps SQLite's error in ``orig``) says the
    disk is full: SQLite's SQLITE_FULL, or a file write's ENOSPC (an upload, a backup)."""
    for error in (exc, getattr(exc, "orig", None), exc.__cause__):
        if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
    return False


def init_app(app):
    """Register handlers so no error ever reaches a person as a traceback (and, before any route
    exists, the bounded ``int`` converter)."""
    app.url_map.converters["int"] = RowId

    @app.errorhandler(OverflowError)
    def too_big(exc):
        # A number from a form or query string beyond what SQLite stores: bad input, not a bug.
        return respond("bad_request", 400)

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return respond(exc.code, exc.status, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        code = HTTP_CODES.get(exc.code, "server_error")
        return respond(code, exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc):
        if storage_full(exc):
            # Not a bug but the appliance's state: one line per refusal, no traceback (SQLite
            # rolled the write back, so nothing half-written remains), and 503: try again later.
            app.logger.error("storage full on %s %s: %s", request.method, request.path, exc.__class__.__name__)
            return respond("storage_full", 503)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return respond("server_error", 500)
