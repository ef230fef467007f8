"""Signing officials in: the lockout per username, the throttle per address, and their messages.

A username is locked after BALAI_LOGIN_ATTEMPTS wrong passwords in a row, for
BALAI_LOGIN_LOCK_MINUTES (``users.sign_in``); an address that fails ADDRESS_LIMIT times within that
time waits too, so nobody tries many usernames from one computer. Names that are no account are
counted and cost the same as accounts, and the messages are the same, so no answer tells whether a
name exists. Every attempt that is checked is in the audit log (never its password).
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from portal.domain import users
from portal.web.auth import balai, login
from portal.web.errors import message
from portal.web.i18n import village_tz
from portal.web.throttle import Throttle

ADDRESS_LIMIT = 20  # failed sign-ins from one address per lock time, whatever the usernames


class Guard:
    """The app's lockout rule, its per-address throttle, and the counts of unknown names."""

    def __init__(self, settings):
        self.lockout = users.Lockout(settings["BALAI_LOGIN_ATTEMPTS"], settings["BALAI_LOGIN_LOCK_MINUTES"])
        self.window = timedelta(minutes=max(self.lockout.minutes, 1))
        self.addresses = Throttle({"address": ADDRESS_LIMIT}, self.window)
        self.strangers = users.Strangers()

    def refusal(self, now):
        """The message (and status) for this request's address when it failed too often, else None."""
        if self.addresses.blocked({"address": address()}, now):
            return message("login_too_many", {"minutes": round(self.window.total_seconds() / 60)}), 429
        return None

    def failed(self, now):
        """Count a wrong password against this request's address."""
        self.addresses.failed({"address": address()}, now)


def init_app(app):
    """Give the app its sign-in guard (kept in memory: a restart forgetting the counts is harmless)."""
    app.extensions["balai_sign_in"] = Guard(app.extensions["balai"].settings)


def guard():
    """The running app's sign-in guard."""
    return current_app.extensions["balai_sign_in"]


def address():
    """The address a sign-in comes from."""
    return request.remote_addr or ""


def attempt(username, password):
    """Sign this request in: ``(None, 303)`` when it worked, else ``(message, status)``."""
    keeper, now = guard(), balai().clock.now()
    refused = keeper.refusal(now)
    if refused:
        return refused  # nothing was checked, so nothing is audited: a flood cannot fill the log
    with balai().db.write() as session:
        result = users.sign_in(session, username, password, now, keeper.lockout, keeper.strangers)
        users.record_sign_in(session, result, address(), now)
    if result.user is not None:
        login(result.user, now)
        return None, 303
    keeper.failed(now)
    if result.locked_until is not None:
        return message("login_locked", {"time": try_again_at(result.locked_until)}), 429
    return message("bad_login"), 401


def try_again_at(moment):
    """``moment`` on the village's clock, rounded up to the minute (a lock until 10:14:20 says 10:15)."""
    local = moment.astimezone(ZoneInfo(village_tz()))
    if local.second or local.microsecond:
        local += timedelta(minutes=1)
    return local.strftime("%H:%M")
