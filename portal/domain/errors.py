"""Errors the domain raises: a stable code, the HTTP status that fits it, and details.

The web layer turns the code into an Indonesian (or English) message; the domain never speaks to
people itself, so it does not import Flask or Babel.
"""


class DomainError(Exception):
    """Something a person asked for cannot be done; nothing was changed."""

    status = 400

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The thing exists but is in the wrong state for this (HTTP 409)."""

    status = 409


class Refused(DomainError):
    """A rule says no: the service is closed, the cap is reached, too many tickets (HTTP 422)."""

    status = 422
