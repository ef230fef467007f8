"""The district staff's dashboard: sign in, every village at a glance, one village in depth, notices.

It runs on the internet (behind TLS, see the hub's deployment notes), so every page but the
sign-in needs a session, every form carries a CSRF token, failed sign-ins are throttled, and the
session cookie is Secure as BALAI_HUB_SECURE_COOKIES says. Staff see only the villages assigned
to them; another village's page is a 404, as if it did not exist. District officials work in
Indonesia, so days and times are those of Asia/Jakarta.
"""

import ipaddress
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from hub import notices, users, villages
from hub.models import Notice, User
from hub.web.health_notes import health_notes, printer_state, reported_printers
from portal.clock import local_date
from portal.domain.complaints import CATEGORIES, STATUSES
from portal.domain.errors import DomainError
from portal.web.auth import login as start_session
from portal.web.auth import logout as end_session
from portal.web.errors import message
from portal.web.moments import relative
from portal.web.security import SessionInterface
from portal.web.throttle import Throttle

bp = Blueprint("dashboard", __name__)

DISTRICT_TZ = "Asia/Jakarta"
LOGIN_WINDOW = timedelta(minutes=15)
# Failures per window: one account from one address, one address, and one account from anywhere
# (an attacker with many addresses still gets few guesses; the owner waits a quarter hour at worst).
LOGIN_LIMITS = {"account": 5, "address": 30, "user": 20}


def hub():
    """The app's settings, store and clock."""
    return current_app.extensions["hub"]


def init_app(app):
    """Session cookies (Secure per BALAI_HUB_SECURE_COOKIES), the sign-in throttle, and what the
    dashboard's templates share."""
    app.session_interface = SessionInterface(lambda: hub().settings["BALAI_HUB_SECURE_COOKIES"])
    app.extensions["hub_login_throttle"] = Throttle(LOGIN_LIMITS, LOGIN_WINDOW)
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["printer_state"] = printer_state
    app.jinja_env.globals.update(tz=DISTRICT_TZ, categories=CATEGORIES, statuses=STATUSES)


@bp.app_context_processor
def signed_in_user():
    """The signed-in official for the navigation (error pages included)."""
    return {"user": g.get("hub_user")}


# Signing in -----------------------------------------------------------------------------------


def current_user():
    """The official of this session, or None; a changed password (a new session key) ends it."""
    if "hub_user" not in g:
        g.hub_user = None
        if "uid" in session:
            with hub().store.read() as db:
                user = db.get(User, session["uid"], options=[selectinload(User.villages)])
            if user is not None and user.session_key == session.get("key"):
                g.hub_user = user
    return g.hub_user


@bp.before_request
def signed_in_only():
    """Every page but the sign-in needs a session."""
    if request.endpoint != "dashboard.login" and current_user() is None:
        return redirect(url_for("dashboard.login"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password."""
    if request.method == "GET":
        if current_user() is not None:
            return redirect(url_for("dashboard.overview"))
        return render_template("dashboard/login.html")
    username = request.form.get("username", "").strip()
    address = network_of(request.remote_addr)
    keys = {"account": (address, username.lower()), "address": address, "user": username.lower()}
    throttle, now = current_app.extensions["hub_login_throttle"], hub().clock.now()
    if throttle.blocked(keys, now):
        minutes = round(LOGIN_WINDOW.total_seconds() / 60)
        return render_template("dashboard/login.html", error=message("hub_login_throttled", {"minutes": minutes})), 429
    with hub().store.read() as db:
        user = users.authenticate(db, username, request.form.get("password", ""))
    if user is None:
        throttle.failed(keys, now)
        return render_template("dashboard/login.html", error=message("bad_login"))
    start_session(user)
    return redirect(url_for("dashboard.overview"), code=303)


def network_of(address):
    """The unit one client controls: an IPv4 address, or an IPv6 /64 (a client picks freely inside it)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


@bp.post("/logout")
def logout():
    """Sign out."""
    end_session()
    return redirect(url_for("dashboard.login"), code=303)


# Villages -------------------------------------------------------------------------------------


@bp.get("/")
def overview():
    """Every village the official may see: contact, health, today's queue, complaints, printers."""
    now = hub().clock.now()
    today = local_date(now, DISTRICT_TZ)
    with hub().store.read() as db:
        visible = users.visible_villages(db, g.hub_user)
        rows = villages.overview(db, visible, today, now)
        totals = villages.day_totals(db, visible, today)
    for row in rows:
        row["notes"] = health_notes(row["health"], row["village"].clock_offset_s, now)
    return render_template("dashboard/overview.html", rows=rows, totals=totals, today=today)


@bp.get("/villages/<code>")
def village(code):
    """One village in depth; a village the official does not look after is not found."""
    now = hub().clock.now()
    with hub().store.read() as db:
        row = villages.by_code(db, code)
        if not users.may_see(db, g.hub_user, row):
            abort(404)
        info = villages.detail(db, row)
        listed = listing(notices.recent(db, [row], limit=20), users.visible_villages(db, g.hub_user))
    faulty = {p["kiosk"] for p in info["printer_faults"]}
    return render_template(
        "dashboard/village.html",
        info=info,
        notes=health_notes(info["health"], row.clock_offset_s, now),
        working=[p for p in reported_printers(info["health"]) if p["kiosk"] not in faulty],
        listed=listed,
        now=now,
    )


def ago(moment):
    """How long ago ``moment`` was: "3 hours ago", "just now" (never "in ..." for a clock's jitter)."""
    now = hub().clock.now()
    return relative(min(moment, now), now)


def duration(seconds):
    """An average duration as people read it: "—", "40 s", "7 min"."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return "—"
    if seconds < 60:
        return gettext("%(seconds)s s", seconds=round(seconds))
    return gettext("%(minutes)s min", minutes=round(seconds / 60))


# Notices --------------------------------------------------------------------------------------


@bp.get("/notices")
def notice_list():
    """The latest notices (for staff: those reaching their villages), with their villages."""
    user = g.hub_user
    with hub().store.read() as db:
        visible = users.visible_villages(db, user)
        listed = listing(notices.recent(db, None if user.role == "admin" else visible), visible)
    return render_template("dashboard/notices.html", listed=listed, now=hub().clock.now())


def listing(rows, visible):
    """Notices as the dashboard lists them (inside the session: targets load lazily): the official's
    villages among each one's targets, how many others, and whether the official may withdraw it."""
    mine = {v.id for v in visible}
    return [
        {
            "notice": n,
            "villages": [v for v in n.villages if v.id in mine],
            "others": sum(v.id not in mine for v in n.villages),
            "withdrawable": n.withdrawn_at is None and all(v.id in mine for v in n.villages),
        }
        for n in rows
    ]


@bp.route("/notices/new", methods=["GET", "POST"])
def new_notice():
    """Write a notice and choose its villages (one, several, or all of the official's)."""
    with hub().store.read() as db:
        visible = users.visible_villages(db, g.hub_user)
    if request.method == "GET":
        values = {"kind": "announcement", "villages": set(request.args.getlist("village"))}
        return render_template("dashboard/notice_form.html", values=values, villages=visible)
    form = request.form
    values = {
        "kind": form.get("kind", ""),
        "title": form.get("title", ""),
        "body": form.get("body", ""),
        "pinned": form.get("pinned") == "1",
        "expires": form.get("expires", ""),
        "all": form.get("all") == "1",
        "villages": set(form.getlist("village")),
    }
    chosen = visible if values["all"] else [v for v in visible if v.code in values["villages"]]
    now = hub().clock.now()
    try:
        with hub().store.write() as db:
            notices.send(
                db,
                g.hub_user.username,
                values["kind"],
                values["title"],
                values["body"],
                chosen,
                now,
                pinned=values["pinned"],
                expires_at=end_of_day(values["expires"]),
            )
    except DomainError as exc:
        error = message(exc.code, exc.details)
        page = render_template("dashboard/notice_form.html", values=values, villages=visible, error=error)
        return page, exc.status
    flash(message("done_hub_sent"), "ok")
    return redirect(url_for("dashboard.notice_list"), code=303)


def end_of_day(text):
    """A date typed in the form as the last second of that day in Jakarta (None when empty)."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("hub_bad_expiry") from None
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(DISTRICT_TZ)).astimezone(UTC)


@bp.post("/notices/<int:notice_id>/withdraw")
def withdraw(notice_id):
    """Take a notice back. Staff may do so only when every village it went to is theirs."""
    user = g.hub_user
    with hub().store.write() as db:
        notice = db.get(Notice, notice_id)
        if notice is None:
            abort(404)
        if user.role != "admin":
            mine = {v.id for v in user.villages}
            if not any(v.id in mine for v in notice.villages):
                abort(404)
            if not all(v.id in mine for v in notice.villages):
                flash(message("hub_not_your_notice"), "error")
                return redirect(url_for("dashboard.notice_list"), code=303)
        notices.withdraw(db, notice_id, hub().clock.now())
    flash(message("done_hub_withdrawn"), "ok")
    return redirect(url_for("dashboard.notice_list"), code=303)
