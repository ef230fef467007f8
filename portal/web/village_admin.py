"""The console's village page (``/admin/village``, admins): the village's identity after setup.

Its name, Kemendagri code, kecamatan, kabupaten, province and time zone, the Wi-Fi name residents
are told to join, and the logo printed on receipts: the setup wizard's first two steps, with the
same fields, checks and logo handling (``save_posted_village`` serves both), in one form. Every
change is audited (``village.update``, with what changed; the logo by its fingerprint).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from portal import media
from portal.config import logo_path
from portal.domain import setup
from portal.domain.content import ContentInvalid
from portal.domain.errors import DomainError
from portal.web.auth import actor, balai, console_page
from portal.web.errors import message
from portal.web.public import fingerprint, logo_version
from portal.web.security import require_office
from portal.web.uploads import MB, accepts_upload, file_data

bp = Blueprint("village_admin", __name__, url_prefix="/admin/village")
bp.before_request(require_office)


def save_posted_village(save):
    """Save the posted village form and its logo, if a file was chosen.

    ``save(session, now, also)`` runs the domain's save in a write transaction; ``also`` is the
    logo's change for its audit entry (``{"logo": [old, new]}`` fingerprints, {} without a new
    logo). The logo file is replaced last in that transaction, so a wrong field or a wrong picture
    changes nothing. Returns what ``save`` returned; ContentInvalid with every problem, the
    logo's included."""
    errors, logo, also = {}, None, {}
    data = file_data("logo")
    if data is not None:
        try:
            logo = media.logo_png(data, balai().settings["BALAI_PHOTO_MAX_MB"] * MB)
            old, new = logo_version(), fingerprint(logo)
            also = {"logo": [old, new]} if old != new else {}
        except DomainError as exc:
            errors["logo"] = (exc.code, exc.details)
    try:
        with balai().db.write() as session:
            saved = save(session, balai().clock.now(), also)
            if errors:
                raise ContentInvalid(errors)  # the logo is wrong: roll the rest back too
            if logo is not None:
                media.replace_file(logo_path(balai().settings), logo)
    except ContentInvalid as exc:
        raise ContentInvalid({**exc.errors, **errors}) from None
    return saved


def prefilled():
    """The saved identity and hotspot values, else the installer's answers (an appliance set up
    before the Wi-Fi name was asked for has none yet)."""
    answers = setup.read_answers(balai().settings["BALAI_INSTALL_ANSWERS"])
    with balai().db.read() as session:
        return setup.prefill(session, answers)


def page(user, values, errors=None):
    """The form with ``values`` (as saved, or as typed with their ``errors``: 400)."""
    html = render_template(
        "admin/village.html",
        user=user,
        values=values,
        errors={name: message(code, details) for name, (code, details) in (errors or {}).items()},
        identity=setup.IDENTITY.fields,
        hotspot=setup.HOTSPOT.fields,
    )
    return html, 400 if errors else 200


@bp.get("")
@console_page("setup")
def index(user):
    """The village's identity as saved, ready to change."""
    return page(user, prefilled())


@bp.post("")
@accepts_upload("BALAI_PHOTO_MAX_MB")
@console_page("setup")
def save(user):
    """Save the form: every field and the logo at once, or nothing with the problems shown."""
    who = actor()

    def edit(session, now, also):
        return setup.edit_village(session, request.form, who, now, also)

    try:
        changes = save_posted_village(edit)
    except ContentInvalid as exc:
        return page(user, request.form.to_dict(), exc.errors)
    flash(message("done_village" if changes else "done_village_unchanged"), "ok")
    if "logo" in changes:
        flash(message("done_logo"), "ok")
    return redirect(url_for("village_admin.index"), code=303)
