"""The console's page about the sync with the district (``/admin/sync``): whether it is turned on,
when the hub was last reached, what waits to be sent, why the last attempt failed (in plain words),
a "sync now" button, and the district's messages to the officials.

The worker (``portal.sync``) does the syncing; this page only reads where it stands and asks it
to try again without waiting.
"""

from flask import Blueprint, flash, redirect, render_template, url_for

from portal import sync
from portal.domain import district, district_messages
from portal.web.auth import balai, console_page
from portal.web.errors import message
from portal.web.moments import clock_difference, clock_warning, relative
from portal.web.security import require_office

bp = Blueprint("sync_admin", __name__, url_prefix="/admin/sync")
bp.before_request(require_office)


@bp.get("")
@console_page("sync")
def console(user):
    """Where the sync stands and the district's messages; showing them marks the messages read."""
    settings = balai().settings
    now = balai().clock.now()
    with balai().db.write() as session:
        state = district.overview(session)
        code = sync.village_code(settings, session)
        notes = district.messages(session)
        # The rows keep the read_at they were loaded with, so this page still marks them as new.
        district_messages.mark_read(session, now)
    error = message(state["last_error"]) if state["last_error"] else None
    return render_template(
        "admin/sync.html",
        user=user,
        configured=bool(settings["BALAI_UPSTREAM_URL"]),
        hub_url=settings["BALAI_UPSTREAM_URL"],
        config_path=settings["BALAI_CONFIG"],
        village_code=code,
        state=state,
        error=error,
        clock_warning=clock_warning(state["clock_offset_s"]),
        notes=notes,
        now=now,
        relative=lambda moment: relative(moment, now),
        clock_difference=clock_difference,
    )


@bp.post("/now")
@console_page("sync")
def sync_now(user):
    """Ask the worker to sync at its next round instead of waiting for the backoff."""
    with balai().db.write() as session:
        district.try_now(session, balai().clock.now())
    flash(message("done_sync_now"), "ok")
    return redirect(url_for("sync_admin.console"), code=303)
