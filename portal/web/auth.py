"""Officials' identity on a request: the console session or an API bearer token."""

import functools

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from portal.domain import users
from portal.domain.audit import Actor
from portal.models import User
from portal.web.errors import message
from portal.web.security import require_office

# What each role may do. Admins may do everything.
PERMISSIONS = {
    "queue": ("admin", "operator"),
    "content": ("admin", "editor"),
    "stats": ("admin", "operator", "editor"),
    "hotspot": ("admin", "operator"),
    "sync": ("admin", "editor"),  # the district sync's status, its messages, "sync now"
    "setup": ("admin",),  # the whole village at once: content pack import, the audit log
    "users": ("admin",),  # officials' accounts: add, change role, reset a password, unlock, remove
    "clock": ("admin",),  # setting the appliance's clock (every role sees the banner when it is wrong)
    "letters": ("admin", "operator"),  # letter requests at the counter: edit, issue, print, void, the register
    "letter_setup": ("admin",),  # the letters' texts (templates), number format, paper and retention
}


def balai():
    """The app's domain objects (settings, db, clock, queue)."""
    return current_app.extensions["balai"]


def login(user, now=None):
    """Start a console session for ``user``; with ``now`` (the village console, not the hub), a
    session that expires when idle and after PERMANENT_SESSION_LIFETIME (see ``session_alive``)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["key"] = user.session_key
    if now is not None:
        session["since"] = session["seen"] = int(now.timestamp())


def session_alive(now):
    """Whether the console session is within BALAI_SESSION_IDLE_MINUTES of its last request and
    PERMANENT_SESSION_LIFETIME of its sign-in, by the app's clock. The last-seen time is rewritten
    at most once a minute: a cookie rewritten on every poll would cost each poll a Set-Cookie."""
    stamp = int(now.timestamp())
    seen, since = session.get("seen"), session.get("since")
    if not isinstance(seen, int) or not isinstance(since, int):
        return False
    idle = balai().settings["BALAI_SESSION_IDLE_MINUTES"] * 60
    if (idle and stamp - seen >= idle) or stamp - since >= current_app.permanent_session_lifetime.total_seconds():
        return False
    if stamp - seen >= 60:
        session["seen"] = stamp
    return True


def logout():
    """End the console session."""
    session.clear()


def bearer_token():
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user():
    """The official making this request (bearer token or session), or None. Cached per request."""
    if "user" not in g:
        g.user = None
        g.via_token = False
        token = bearer_token()
        if not token and "uid" not in session:
            return None  # residents: no identity, no database work
        with balai().db.read() as db_session:
            if token:
                g.user = users.user_for_token(db_session, token)
                g.via_token = g.user is not None
            elif "uid" in session:
                user = db_session.get(User, session["uid"])
                # A changed password changes session_key and so ends old sessions.
                if user is not None and user.session_key == session.get("key") and session_alive(balai().clock.now()):
                    g.user = user
                else:
                    session.clear()
                    flash(message("session_ended"), "error")  # shown on the sign-in page it leads to
    return g.user


def may(permission, user=None):
    """Whether the user may use ``permission`` (see PERMISSIONS)."""
    user = user or current_user()
    return user is not None and user.role in PERMISSIONS[permission]


def check_api_csrf():
    """Cookie-authenticated API writes must carry the page's CSRF token (header X-CSRFToken)."""
    if g.get("via_token") or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from None


def requires(permission):
    """Decorator for official API views: 404 outside the office networks, 401 without identity,
    403 with the wrong role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            require_office()
            user = current_user()
            if user is None:
                abort(401)
            check_api_csrf()
            if not may(permission, user):
                abort(403)
            return view(*args, **kwargs)

        wrapped.balai_permission = permission  # declared, for tests/test_routes_access.py
        return wrapped

    return decorator


def actor():
    """The signed-in official as an audit ``Actor`` (with the request's address)."""
    user = current_user()
    return Actor(
        user_id=user.id if user else None,
        username=user.username if user else "",
        address=request.remote_addr or "",
    )


def console_page(permission=None):
    """Decorator for console pages (under a blueprint that already requires the office): a
    sign-in redirect without a session, 403 with the wrong role. The view gets ``user``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("admin.login_page"))
            if permission and not may(permission, user):
                abort(403)
            return view(*args, user=user, **kwargs)

        wrapped.balai_permission = permission  # None: any signed-in official (tests/test_routes_access.py)
        return wrapped

    return decorator
