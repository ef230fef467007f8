"""The console's printers page (``/admin/printers``): each kiosk's printer as its agent last
reported it, the receipts waiting for it, receipts that may not have printed, a test print, and
reprinting a ticket's receipt by its number.

Every official may look; only those who run the queue ("queue") may print. Reprints go through
``admin.reprint`` and ``admin.confirm_printed``; the test print is here.
"""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale

from portal.domain import kiosks
from portal.domain.errors import DomainError
from portal.web import audited
from portal.web.auth import balai, console_page, may
from portal.web.errors import message
from portal.web.moments import relative
from portal.web.security import require_office

bp = Blueprint("printers_admin", __name__, url_prefix="/admin/printers")
bp.before_request(require_office)


@bp.get("")
@console_page()
def page(user):
    """Every kiosk's printer, with its test print and reprint forms."""
    now = balai().clock.now()
    with balai().db.read() as session:
        printers = kiosks.overview(session, now)
    return render_template(
        "admin/printers.html",
        user=user,
        printers=printers,
        tests=balai().printing.tests(),
        can_queue=may("queue", user),
        relative=lambda moment: relative(moment, now),
    )


@bp.post("/<int:kiosk_id>/test")
@console_page("queue")
def test_print(kiosk_id, user):
    """Print a test receipt on the kiosk's printer (the village's name, "Test print", the time)."""
    try:
        test = balai().printing.test_print(kiosk_id, str(get_locale()))
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    else:
        audited.record_after("printer.test", f"kiosk:{kiosk_id}", {"kiosk": test["kiosk"]})
        flash(message("done_test_print", {"kiosk": test["kiosk"]}), "ok")
    return redirect(url_for("printers_admin.page"), code=303)
