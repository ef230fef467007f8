"""The appliance's clock on the console: the banner every console page shows while the clock is not
trusted, and the admin's way to set it from their own device (``/admin/clock``).

Setting it takes two steps: the banner's button sends the device's time (``static/js/clock.js``
puts it in; without the script the admin types it) to a confirmation page, "Change the clock from
X to Y?", whose Confirm asks the root helper for it and records who asked in the audit log. The
confirmation carries the difference, not the time, so a slow click still sets the right time.
See ``portal.clock_status``.
"""

from dataclasses import replace
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import ngettext

from portal import config
from portal.clock_status import TOLERANCE, ClockStatus, last_change, latest_event, shifted, wanted_time
from portal.domain.errors import DomainError
from portal.web.auth import actor, balai, console_page
from portal.web.errors import message
from portal.web.i18n import village_tz
from portal.web.security import require_office

bp = Blueprint("clock_admin", __name__, url_prefix="/admin/clock")
bp.before_request(require_office)
EXTENSION = "balai_clock"
MAX_UTC_OFFSET = 14 * 60  # minutes: the farthest time zones from UTC


@bp.record_once
def watch_the_clock(state):
    """Give the app its ClockStatus (one per app: it caches the last check)."""
    app = state.app
    domain = app.extensions["balai"]
    app.extensions[EXTENSION] = ClockStatus(domain.db, domain.clock, config.clock_request_path(domain.settings))


def clock():
    """The running app's ClockStatus."""
    return current_app.extensions[EXTENSION]


@bp.app_template_global()
def clock_banner():
    """The clock's Status for the console's banner when the clock is not trusted, else None
    (called by ``admin/_clock_banner.html``, which every console page includes)."""
    # The check may be a minute old; the time shown is now's.
    status = replace(clock().current(), now=balai().clock.now())
    return status if status.problem else None


def utc_offset(moment, tz_name):
    """The village's offset from UTC at ``moment``, in minutes (what clock.js sends for the device)."""
    return round(moment.astimezone(ZoneInfo(tz_name)).utcoffset().total_seconds() / 60)


def utc_text(minutes):
    """A UTC offset in minutes as people read it: ``UTC+07:00``."""
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def amount_text(seconds):
    """How far a change moves the clock, to the minute ("1 hour 30 minutes"), or in seconds under
    a minute: the confirmation must not round 90 minutes to "2 hours"."""
    seconds = abs(seconds)
    if seconds < 60:
        return ngettext("%(num)s second", "%(num)s seconds", seconds)
    days, minutes = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        ngettext("%(num)s day", "%(num)s days", days) if days else "",
        ngettext("%(num)s hour", "%(num)s hours", hours) if hours else "",
        ngettext("%(num)s minute", "%(num)s minutes", minutes) if minutes else "",
    ]
    return " ".join(part for part in parts if part)


def page(user, error=None, status=200):
    """The clock page: what the clock says and why, the outcome of the last request, the form."""
    return (
        render_template(
            "admin/clock.html",
            user=user,
            status=clock().fresh(),
            outcome=clock().outcome(),
            error=error,
        ),
        status,
    )


@bp.get("")
@console_page("clock")
def index(user):
    """The clock's status, checked now (not the banner's minute-old check)."""
    return page(user)


@bp.post("/confirm")
@console_page("clock")
def confirm(user):
    """ "Change the clock from X to Y?" for the time the form sent."""
    tz_name = village_tz()
    try:
        wanted = wanted_time(tz_name, request.form.get("device_ms", ""), request.form.get("local", ""))
    except DomainError as exc:
        return page(user, message(exc.code, exc.details), 400)
    now = balai().clock.now()
    with balai().db.read() as session:
        latest = latest_event(session)
        after = last_change(session)
    offset = round((wanted - now).total_seconds())
    device_tz = request.form.get("device_tz", type=int)
    village_offset = utc_offset(now, tz_name)
    if device_tz is not None and abs(device_tz) > MAX_UTC_OFFSET:
        device_tz = None  # not a time zone: nothing to say about it
    return render_template(
        "admin/clock_confirm.html",
        user=user,
        now=now,
        wanted=wanted,
        offset=offset,
        after=after,
        amount=amount_text(offset),
        earlier_than_records=latest if latest and latest - wanted > TOLERANCE else None,
        device_zone=utc_text(device_tz) if device_tz is not None and device_tz != village_offset else None,
        village_zone=utc_text(village_offset),
    )


@bp.post("/set")
@console_page("clock")
def set_clock(user):
    """Ask the root helper for the confirmed time (now plus the confirmed difference), audited."""
    try:
        wanted = shifted(balai().clock.now(), request.form.get("offset", ""), village_tz())
    except DomainError as exc:
        return page(user, message(exc.code, exc.details), 400)
    try:
        with balai().db.write() as session:
            if str(last_change(session)) != request.form.get("after", ""):
                # This confirmation was sent before (a double click, a reload) or another admin
                # changed the clock meanwhile: moving it again would be wrong.
                return page(user, message("clock_changed_meanwhile"), 409)
            clock().request(session, actor(), wanted)
    except OSError as exc:  # the data directory is read-only or full: the audit entry is rolled back too
        details = {"path": str(clock().request_path), "problem": exc.strerror or exc}
        return page(user, message("clock_request_failed", details), 503)
    return redirect(url_for("clock_admin.index"), code=303)
