"""Error responses: a readable message (see ``portal/messages.py``) as JSON or as a page."""

from flask import jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

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


def init_app(app):
    """Register handlers so no error ever reaches a person as a traceback."""

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return respond(exc.code, exc.status, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        code = HTTP_CODES.get(exc.code, "server_error")
        return respond(code, exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return respond("server_error", 500)
