"""The console's content editor (``/admin/content``): one list and one form for every kind of
content in ``portal.domain.content``, so announcements, the agenda, documents, directories, the
service catalogue and letter types all edit the same way."""

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from portal import media
from portal.config import logo_path, media_dir
from portal.domain import audit, content, pack
from portal.domain.content import ContentInvalid
from portal.domain.errors import DomainError
from portal.models import Service
from portal.web.auth import actor, balai, console_page, current_user
from portal.web.errors import message
from portal.web.i18n import local_input, village_tz
from portal.web.security import require_office
from portal.web.uploads import accepts_upload, file_data, store

bp = Blueprint("content_admin", __name__, url_prefix="/admin/content")
bp.before_request(require_office)


@bp.errorhandler(content.FromDistrict)
def from_district(exc):
    """An official tried to change what the district sent: back to the list, saying why."""
    flash(message(exc.code), "error")
    return redirect(url_for("content_admin.listing", kind="announcement"), code=303)


def form_value(f, value, tz):
    """A stored value as its form control shows it."""
    if f.kind == "datetime":
        return local_input(value, tz)
    return "" if value is None else value


def services():
    """(id, name) of every service, for letter types' queue-service choice."""
    with balai().db.read() as session:
        return session.execute(select(Service.id, Service.name).order_by(Service.position)).all()


def render_form(kind, values, errors=None, row=None, status=200):
    """The edit form of ``kind`` with ``values`` (strings as typed, or from the row) and errors."""
    shown = {name: message(code, details) for name, (code, details) in (errors or {}).items()}
    return (
        render_template(
            "admin/content_form.html",
            kind=kind,
            values=values,
            errors=shown,
            row=row,
            services=services(),
            user=current_user(),
        ),
        status,
    )


def stored_files(kind):
    """Store the form's uploaded files first; (stored names, errors) per file field."""
    files, errors = {}, {}
    for f in kind.fields:
        if f.kind in content.FILE_KINDS:
            try:
                name = store(f.kind, f.name)
            except DomainError as exc:
                errors[f.name] = (exc.code, exc.details)
            else:
                if name:
                    files[f.name] = name
    return files, errors


def save(kind, row=None):
    """Validate the posted form and create or update; a redirect, or the form again with errors."""
    files, file_errors = stored_files(kind)
    tz = village_tz()
    try:
        values = content.parse(kind, request.form, files, tz, row)
        if file_errors:
            raise ContentInvalid(file_errors)
        if kind.name == "document" and "file" in files:
            values["size"] = media.path_of(media_dir(balai().settings), files["file"]).stat().st_size
        with balai().db.write() as session:
            now = balai().clock.now()
            if row is None:
                row = content.create(session, kind, values, actor(), now)
            else:
                row = content.update(session, kind, row.id, values, actor(), now)
    except ContentInvalid as exc:
        return render_form(kind, request.form, {**exc.errors, **file_errors}, row, 400)
    flash(message("done_saved"), "ok")
    return redirect(url_for("content_admin.listing", kind=kind.name), code=303)


@bp.get("/")
@console_page("content")
def overview(user):
    """Every kind of content with how many entries it has."""
    with balai().db.read() as session:
        counts = content.counts(session)
    return render_template("admin/content_overview.html", user=user, kinds=content.KINDS, counts=counts)


@bp.get("/<kind>/")
@console_page("content")
def listing(kind, user):
    """The entries of one kind, newest or first-in-order at the top."""
    kind = content.kind_of(kind)
    if kind.name == "village":
        return redirect(url_for("content_admin.edit", kind="village", row_id=1))
    with balai().db.read() as session:
        rows = content.rows(session, kind)
    return render_template("admin/content_list.html", user=user, kind=kind, rows=rows, now=balai().clock.now())


@bp.route("/<kind>/new", methods=["GET", "POST"])
@accepts_upload("BALAI_PHOTO_MAX_MB", "BALAI_DOCUMENT_MAX_MB")
@console_page("content")
def new(kind, user):
    """Add an entry."""
    kind = content.kind_of(kind)
    if not kind.creatable:
        raise DomainError("not_creatable")
    if request.method == "POST":
        return save(kind)
    return render_form(kind, {"published": True, "active": True})


@bp.route("/<kind>/<int:row_id>", methods=["GET", "POST"])
@accepts_upload("BALAI_PHOTO_MAX_MB", "BALAI_DOCUMENT_MAX_MB")
@console_page("content")
def edit(kind, row_id, user):
    """Change an entry."""
    kind = content.kind_of(kind)
    with balai().db.read() as session:
        row = content.get(session, kind, row_id)
    content.check_editable(row)  # before any upload is stored
    if request.method == "POST":
        return save(kind, row)
    tz = village_tz()
    return render_form(kind, {f.name: form_value(f, getattr(row, f.name), tz) for f in kind.fields}, row=row)


@bp.post("/<kind>/<int:row_id>/delete")
@console_page("content")
def delete(kind, row_id, user):
    """Remove an entry (the form asks to confirm with a checkbox)."""
    kind = content.kind_of(kind)
    if not request.form.get("confirm"):
        flash(message("confirm_delete"), "error")
        return redirect(url_for("content_admin.edit", kind=kind.name, row_id=row_id), code=303)
    with balai().db.write() as session:
        content.delete(session, kind, row_id, actor(), balai().clock.now())
    flash(message("done_deleted"), "ok")
    return redirect(url_for("content_admin.listing", kind=kind.name), code=303)


@bp.post("/announcement/<int:row_id>/unpublish")
@console_page("content")
def unpublish(row_id, user):
    """Hide an announcement from every screen now."""
    with balai().db.write() as session:
        content.unpublish(session, row_id, actor(), balai().clock.now())
    flash(message("done_unpublished"), "ok")
    return redirect(url_for("content_admin.listing", kind="announcement"), code=303)


@bp.get("/pack.zip")
@console_page("content")
def export_pack(user):
    """Download the village's whole content as a pack (to set up another appliance)."""
    settings = balai().settings
    now = balai().clock.now()
    with balai().db.read() as session:
        doc, files = pack.export(session, media_dir(settings), logo_path(settings), now)
    return send_file(
        io.BytesIO(pack.write_zip(doc, files)),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"balai-content-{now:%Y%m%d}.zip",
    )


@bp.post("/pack")
@accepts_upload("BALAI_PACK_MAX_MB")
@console_page("setup")
def import_pack(user):
    """Replace the village's content with an uploaded pack (admins only, after a confirmation)."""
    data = file_data("pack")
    if data is None or not request.form.get("confirm"):
        flash(message("pack_confirm"), "error")
        return redirect(url_for("content_admin.overview"), code=303)
    settings = balai().settings
    with balai().db.write() as session:
        summary = pack.load(
            session,
            data,
            media_dir(settings),
            logo_path(settings),
            actor(),
            balai().clock.now(),
            photo_mb=settings["BALAI_PHOTO_MAX_MB"],
            pdf_mb=settings["BALAI_DOCUMENT_MAX_MB"],
        )
    flash(message("done_pack", {"count": sum(summary.values())}), "ok")
    return redirect(url_for("content_admin.overview"), code=303)


@bp.get("/audit")
@console_page("setup")
def audit_log(user):
    """The newest changes first: who, when, from where, what."""
    before = request.args.get("before", type=int)
    with balai().db.read() as session:
        entries = audit.recent(session, limit=100, before_id=before)
    return render_template("admin/audit.html", user=user, entries=entries)
