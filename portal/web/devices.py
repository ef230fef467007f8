"""Which kiosk a request comes from: its agent's bearer device token, or its paired browser's
HttpOnly device cookie."""

from flask import abort, g, request

from portal.domain import kiosks
from portal.web.auth import balai, bearer_token
from portal.web.security import on_hotspot, secure_cookies

COOKIE = "balai_kiosk"
COOKIE_YEARS = 10  # a kiosk stays paired until it is paired again


def current_kiosk():
    """The kiosk making this request (id and name), or None. Cached per request.

    Never on the hotspot: kiosks stand on the hall's own network, and a phone that carried a
    kiosk cookie or token onto the hotspot stays a phone (limited, and printing nothing).
    """
    if "kiosk" not in g:
        g.kiosk = None
        token = bearer_token()
        if token and not token.startswith(kiosks.TOKEN_PREFIX):
            return None  # an official's token: no kiosk, and no query to find that out
        secret = request.cookies.get(COOKIE)
        if (token or secret) and not on_hotspot():
            with balai().db.read() as session:
                kiosk = kiosks.by_token(session, token) if token else kiosks.by_browser(session, secret)
                if kiosk is not None:
                    g.kiosk = {"id": kiosk.id, "name": kiosk.name}
    return g.kiosk


def kiosk_agent():
    """The kiosk of an agent's request (bearer device token only), or 401."""
    kiosk = current_kiosk() if bearer_token() else None  # a browser's cookie is not an agent
    if kiosk is None:
        abort(401)
    return kiosk


def remember_browser(response, secret):
    """Give a freshly paired kiosk browser its device cookie (HttpOnly: no script can read it)."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=COOKIE_YEARS * 365 * 24 * 3600,
        httponly=True,
        samesite="Strict",
        secure=secure_cookies(),
        path="/",
    )
    return response
