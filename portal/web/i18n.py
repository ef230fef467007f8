"""Languages: Indonesian first, English on request (the toggle sets a cookie)."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import Babel, format_date, format_datetime, gettext

from portal.domain.village import get_village
from portal.messages import PRINTER, RECEIPT, STATUSES

LANGUAGES = ("id", "en")
COOKIE = "balai_lang"


def pick_locale():
    """The language of this request: ``?lang=`` first, then the cookie, else Indonesian."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGUAGES else "id"


def remember_choice(response):
    """Keep a language chosen with ``?lang=`` for the next pages (phones without JS too)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def init_app(app):
    """Attach Flask-Babel with Balai's catalogues (``portal/translations``)."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    Babel(app, locale_selector=pick_locale)
    app.after_request(remember_choice)
    app.jinja_env.globals["current_lang"] = pick_locale
    app.jinja_env.globals["status_label"] = lambda status: gettext(STATUSES[status])
    app.jinja_env.globals["printer_label"] = lambda state: gettext(PRINTER[state])
    app.jinja_env.globals["receipt_label"] = lambda state: gettext(RECEIPT[state])
    app.jinja_env.filters["longdate"] = lambda iso: format_date(date.fromisoformat(iso), "long")
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["localdatetime"] = local_datetime


def local_time(moment, tz_name):
    """A stored UTC time as the village reads it: ``23-11 09:05``."""
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%d-%m %H:%M")


def local_datetime(moment, tz_name):
    """A stored UTC time as a sentence's date and time in the village: ``Sabtu, 28 November 2026 08.00``."""
    local = moment.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)
    return format_datetime(local, "EEEE, d MMMM y HH.mm", rebase=False)


def local_input(moment, tz_name):
    """A stored UTC time as a ``datetime-local`` form value in the village's time zone ("" for None)."""
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def village_tz():
    """The village's time zone name (console forms take and show local times)."""
    with current_app.extensions["balai"].db.read() as session:
        village = get_village(session)
    return village.timezone if village else "Asia/Jakarta"
