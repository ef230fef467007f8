"""The district staff's dashboard: sign in, every village at a glance, one village in depth, notices.

It runs on the internet (behind TLS, see the hub's deployment notes), so every page but the
sign-in needs a session, every form carries a CSRF token, failed sign-ins are throttled, and the
session cookie is Secure as BALAI_HUB_SECURE_COOKIES says. Staff see only the villages assigned
to them; another village's page is a 404, as if it did not exist. District officials work in
Indonesia, so days and times are those of Asia/Jakarta.
"""

import threading
from collections import deque
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_decimal, gettext
from sqlalchemy.orm import selectinload

from hub import notices, users, villages
from hub.models import Notice, User
from portal.clock import local_date
from portal.domain.complaints import CATEGORIES, STATUSES
from portal.domain.errors import DomainError
from portal.messages import PRINTER
from portal.web.auth import login as start_session
from portal.web.auth import logout as end_session
from portal.web.errors import message
from portal.web.security import SessionInterface
from portal.web.sync_admin import clock_warning, relative

bp = Blueprint("dashboard", __name__)

DISTRICT_TZ = "Asia/Jakarta"
DISK_LOW_MB = 1024  # less free space than this and the village's backups and photos are at risk
BACKUP_OLD = timedelta(days=7)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LIMITS = {"account": 5, "address": 30}  # failures per window: one account, one address


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


class Throttle:
    """Failed sign-ins per key in the last ``window``; a key at its kind's limit must wait.

    Kept in memory: the hub is one process, and a restart forgetting the count is harmless."""

    MAX_KEYS = 10_000  # past this, keys with no recent failure are forgotten, then the oldest

    def __init__(self, limits, window):
        self.limits = limits
        self.window = window
        self.failures = {}  # (kind, value) -> deque of failure times, oldest first
        self.lock = threading.Lock()

    def blocked(self, keys, now):
        """Whether any of ``keys`` (kind to value) has reached its limit."""
        with self.lock:
            return any(
                sum(now - at <= self.window for at in self.failures.get((kind, value), ())) >= self.limits[kind]
                for kind, value in keys.items()
            )

    def failed(self, keys, now):
        """Count a failure against every one of ``keys``."""
        with self.lock:
            for kind, value in keys.items():
                times = self.failures.setdefault((kind, value), deque())
                times.append(now)
                while now - times[0] > self.window:
                    times.popleft()
            if len(self.failures) > self.MAX_KEYS:
                for key in [k for k, times in self.failures.items() if now - times[-1] > self.window]:
                    del self.failures[key]
                while len(self.failures) > self.MAX_KEYS:
                    del self.failures[next(iter(self.failures))]


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
    keys = {"account": (request.remote_addr, username.lower()), "address": request.remote_addr}
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


def reported_printers(health):
    """The printers in a village's latest health report, each ``{"kiosk", "state"}`` as text."""
    printers = health.get("printers")
    if not isinstance(printers, list):
        return []
    return [
        {"kiosk": str(p.get("kiosk", "")), "state": str(p.get("state", ""))} for p in printers if isinstance(p, dict)
    ]


def printer_state(state):
    """A printer's state in words (a state this hub does not know, as the village sent it)."""
    return gettext(PRINTER[state]) if state in PRINTER else str(state)


def health_notes(health, offset, now):
    """A village's reported health (its own JSON, so every field is checked) as lines that read on
    their own: ``[{"key", "label", "text", "problem"}]``, in the request's language."""
    if not health:
        return [note("health", gettext("Health"), gettext("Health not reported yet"), True)]
    clock = health.get("clock") if isinstance(health.get("clock"), dict) else {}
    power = health.get("power") if isinstance(health.get("power"), dict) else None
    free, total = whole(health.get("disk_free_mb")), whole(health.get("disk_total_mb"))
    backup = moment_of(health.get("last_backup"))
    notes = [note("version", gettext("Version"), "Balai " + str(health.get("version") or "?")[:40], False)]
    if free is not None:
        gb = {"free": gigabytes(free), "total": gigabytes(total) if total else "?"}
        notes.append(
            note("disk", gettext("Disk"), gettext("%(free)s GB free of %(total)s GB", **gb), free < DISK_LOW_MB)
        )
    notes.append(clock_note(clock.get("synchronised"), offset))
    if power is not None:
        notes.append(power_note(power))
    if backup is None:
        notes.append(note("backup", gettext("Backup"), gettext("No backup yet"), True))
    else:
        text = gettext("Last backup %(when)s", when=relative(backup, now))
        notes.append(note("backup", gettext("Backup"), text, now - backup > BACKUP_OLD))
    return notes


def power_note(power):
    """The Pi's power line from ``vcgencmd get_throttled`` (now or since boot): undervoltage first."""
    undervoltage = power.get("undervoltage_now") is True or power.get("undervoltage_since_boot") is True
    throttled = power.get("throttled_now") is True or power.get("throttled_since_boot") is True
    if undervoltage:
        text = gettext("Undervoltage: check the power supply")
    elif throttled:
        text = gettext("Slowed down: the Pi is too hot")
    else:
        text = gettext("Power supply good")
    return note("power", gettext("Power"), text, undervoltage or throttled)


def note(key, label, text, problem):
    """One line of a village's health."""
    return {"key": key, "label": label, "text": text, "problem": problem}


def clock_note(synchronised, offset):
    """The village clock's line: wrong by minutes, not synchronised, or how far from the hub's."""
    warning = clock_warning(offset)
    if warning:
        text = warning
    elif synchronised is False:
        text = gettext("Clock not synchronised")
    elif offset is None:
        text = gettext("Clock not reported")
    else:
        text = gettext("%(offset)s s from the hub's clock", offset=offset)
    return note("clock", gettext("Clock"), text, bool(warning) or synchronised is False)


def ago(moment):
    """How long ago ``moment`` was: "3 hours ago", "just now" (never "in ..." for a clock's jitter)."""
    now = hub().clock.now()
    return relative(min(moment, now), now)


def whole(value):
    """An integer from a village's JSON, or None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def gigabytes(mb):
    """Megabytes as gigabytes with one decimal, written the language's way (12,5 / 12.5)."""
    return format_decimal(mb / 1024, format="#,##0.0")


def moment_of(text):
    """An ISO time from a village's JSON as an aware datetime (UTC when it names no zone), or None."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
