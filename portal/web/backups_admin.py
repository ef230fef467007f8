"""The console's backups page (``/admin/backups``, admins only): the Pi's backups, making one now,
downloading one, and restoring one after a check and a confirmation.

``portal.backup`` makes and checks backups. Restoring is the appliance's work: the portal holds
the database open, so the console stages the checked backup and asks the root restore service
(``portal.restore_request``), which stops Balai, restores and starts it again. Audited: a backup
made or downloaded, a restore asked for or cancelled, and its result (recorded by the first visit
after it, into the database as it then is: the restored one after a success).
"""

from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, gettext
from sqlalchemy import select

from portal import backup as backups
from portal import config, restore_request
from portal.domain import audit
from portal.models import AuditEntry
from portal.web.auth import actor, balai, console_page, current_user, may
from portal.web.errors import message, respond
from portal.web.security import from_office, require_office
from portal.web.uploads import accepts_upload

bp = Blueprint("backups_admin", __name__, url_prefix="/admin/backups")
bp.before_request(require_office)

# What portal.backup's (English) errors mean for an official: words of the error, and the console's
# message for them. Anything else is backup_failed, with the error itself for the technician.
PLAIN = (
    ("Wrong passphrase", "backup_wrong_passphrase"),
    ("give its passphrase", "backup_needs_passphrase"),
    ("is not a Balai backup", "backup_not_a_backup"),
    ("newer Balai", "backup_too_new"),
    ("is full", "backup_disk_full"),
    ("damaged", "backup_damaged"),
    ("altered", "backup_damaged"),
    ("unexpected entry", "backup_damaged"),
)
RESULT_ACTIONS = {True: "backup.restored", False: "backup.restore_failed"}
SHOWN_NAME_MAX = 200


def plain(error):
    """The console's message code for a backup error's text."""
    return next((code for words, code in PLAIN if words in error), "backup_failed")


def failure(exc):
    """An official's words for a BackupError, and the error itself when they are the generic ones."""
    code = plain(str(exc))
    return message(code), (str(exc) if code == "backup_failed" else None)


def flash_failure(exc):
    """Flash what went wrong (and, for an unexpected error, its detail for the technician)."""
    text, detail = failure(exc)
    flash(text, "error")
    if detail:
        flash(gettext("Technical detail: %(detail)s", detail=detail), "error")


def settings():
    """This app's settings."""
    return balai().settings


def megabytes(size):
    """A file size as people read it: ``12,3 MB`` in Indonesian."""
    return f"{format_decimal(size / 2**20, format='#,##0.0')} MB"


def moment(iso):
    """A time stored as ISO text (a backup's manifest, the console's notes) as a datetime, or None."""
    try:
        return datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None


@bp.context_processor
def helpers():
    """What the backups templates format with."""
    return {"megabytes": megabytes, "moment": moment}


def back():
    """Redirect to the backups page after a form."""
    return redirect(url_for("backups_admin.index"), code=303)


def pi_backup(name):
    """The path of the Pi's backup called ``name`` (None: there is no such backup)."""
    path = Path(config.backup_dir(settings())) / name
    return path if backups.BACKUP_NAME.match(name) and path.is_file() else None


def listing():
    """The Pi's backups, newest first: name, when made (UTC), size, whether encrypted."""
    folder = Path(config.backup_dir(settings()))
    rows = []
    for path in reversed(backups.backups_in(folder)) if folder.is_dir() else []:
        try:
            size, encrypted = path.stat().st_size, backups.encrypted(path)
        except OSError:
            continue  # rotated away while the page was made
        rows.append({"name": path.name, "made": backups.backup_time(path.name), "size": size, "encrypted": encrypted})
    return rows


def passphrase_state():
    """Whether backups are encrypted: "set", "none" or "broken" (and then what is wrong)."""
    try:
        return ("set" if backups.configured_passphrase(settings()) else "none"), None
    except backups.BackupError as exc:
        return "broken", str(exc)


def last_result():
    """The restore service's last report (None: there is none), audited once: by the first visit
    after it, into the database as it then is."""
    done = restore_request.result(settings())
    if done is None or done.staged is None:
        return done
    target = f"restore:{done.staged.ident}"
    with balai().db.write() as session:
        query = select(AuditEntry.id).where(AuditEntry.target == target, AuditEntry.action.in_(RESULT_ACTIONS.values()))
        if session.scalar(query.limit(1)) is None:
            about = done.staged.about()
            changes = {key: about.get(key) for key in ("file", "created", "requested_by", "requested_from")}
            if not done.ok:
                changes["reason"] = done.reason()
            audit.record(session, audit.SYSTEM, RESULT_ACTIONS[done.ok], target, changes, balai().clock.now())
    return done


@bp.get("")
@console_page("setup")
def index(user):
    """The Pi's backups, whether they are encrypted, and a restore that waits or just finished."""
    done = last_result()
    restore_request.tidy(settings(), older_than=restore_request.STALE_S)
    waiting = restore_request.pending(settings())
    state, problem = passphrase_state()
    return render_template(
        "admin/backups.html",
        user=user,
        backups=listing(),
        passphrase=state,
        passphrase_problem=problem,
        keep=settings()["BALAI_BACKUP_KEEP"],
        waiting=waiting,
        command=restore_request.command(waiting) if waiting else "",
        done=done,
    )


@bp.post("/make")
@console_page("setup")
def make(user):
    """Make a backup now, as the nightly one (encrypted when the passphrase is set, then rotated)."""
    try:
        made = backups.create(settings(), balai().clock.now(), backups.configured_passphrase(settings()))
    except backups.BackupError as exc:
        flash_failure(exc)
        return back()
    size = made.path.stat().st_size
    with balai().db.write() as session:
        changes = {"encrypted": made.encrypted, "size": size, "removed": [p.name for p in made.removed]}
        audit.record(session, actor(), "backup.create", f"backup:{made.path.name}", changes, balai().clock.now())
    flash(message("done_backup_made", {"size": megabytes(size)}), "ok")
    if not made.encrypted:
        flash(message("done_backup_plain"), "warn")
    return back()


@bp.get("/download/<name>")
@console_page("setup")
def download(name, user):
    """One of the Pi's backups as a file to save (audited: a backup holds everything)."""
    path = pi_backup(name)
    if path is None:
        abort(404)
    with balai().db.write() as session:
        audit.record(session, actor(), "backup.download", f"backup:{name}", None, balai().clock.now())
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def form_page(user, name="", error=None, detail=None, status=200):
    """The page that chooses the backup to restore (``name``: one of the Pi's) and its passphrase."""
    return render_template(
        "admin/backups_restore.html",
        user=user,
        name=name,
        made=backups.backup_time(name) if name else None,
        error=error,
        detail=detail,
        limit_mb=settings()["BALAI_BACKUP_UPLOAD_MAX_MB"],
        passphrase=passphrase_state()[0],
    ), status


@bp.get("/restore")
@console_page("setup")
def restore_form(user):
    """Choose the backup to restore (``?name=``: one of the Pi's; else a file) and its passphrase."""
    name = request.args.get("name", "")
    if name and pi_backup(name) is None:
        flash(message("backup_unknown"), "error")
        return back()
    return form_page(user, name)


@bp.post("/restore")
@accepts_upload("BALAI_BACKUP_UPLOAD_MAX_MB")
@console_page("setup")
def check(user):
    """Check the chosen backup as a restore would and show what it holds, with the button that
    asks for the restore. Nothing changes here; a backup that fails the check is thrown away."""
    name = request.form.get("name", "")
    if restore_request.pending(settings()):
        return form_page(user, name, message("backup_busy"), status=409)
    upload = request.files.get("backup")
    source = pi_backup(name) if name else None
    if name and source is None:
        return form_page(user, "", message("backup_unknown"), status=400)
    if source is None and not (upload and upload.filename):
        return form_page(user, "", message("backup_choose"), status=400)
    staged = restore_request.new(settings())
    typed = request.form.get("passphrase", "").strip() or None  # as the passphrase file is read: trimmed
    try:
        if source:
            restore_request.stage_existing(staged, source)
        else:
            restore_request.save_upload(staged, upload.stream)
        manifest = backups.check(settings(), staged.backup, typed or backups.configured_passphrase(settings(), False))
        encrypted = backups.encrypted(staged.backup)
        about = {
            "file": name or Path(upload.filename).name[:SHOWN_NAME_MAX],
            "from": "pi" if name else "upload",
            "created": manifest.get("created"),
            "balai_version": manifest.get("balai_version"),
            "holds": manifest["holds"],
            "encrypted": encrypted,
            "size": staged.backup.stat().st_size,
            "checked_by": user.username,
        }
        restore_request.keep(staged, typed if encrypted else None, about)
    except backups.BackupError as exc:
        staged.remove()
        return form_page(user, name, *failure(exc), status=400)
    return render_template("admin/backups_confirm.html", user=user, staged=staged, about=about)


@bp.errorhandler(413)
def too_large(exc):
    """A file over BALAI_BACKUP_UPLOAD_MAX_MB: the form again, saying so (the CSRF check, which
    reads the form, raises this before any view runs, so the office and the role are checked here)."""
    if not from_office() or not may("setup"):
        return respond("too_large", 413)
    limit = settings()["BALAI_BACKUP_UPLOAD_MAX_MB"]
    return form_page(current_user(), "", message("backup_too_large", {"limit_mb": limit}), status=413)


@bp.post("/restore/<ident>/confirm")
@console_page("setup")
def confirm(ident, user):
    """Ask the appliance to restore the checked backup ``ident``; show the page that waits for it."""
    staged = restore_request.find(settings(), ident)
    if staged is None:
        flash(message("backup_expired"), "error")
        return back()
    if restore_request.pending(settings()):
        flash(message("backup_busy"), "error")
        return back()
    who, now = actor(), balai().clock.now()
    about = {**staged.about(), "requested_by": who.username, "requested_from": who.address, "requested_at": now}
    try:
        with balai().db.write() as session:
            changes = {"file": about.get("file"), "created": about.get("created")}
            audit.record(session, who, "backup.restore_request", f"restore:{ident}", changes, now)
            restore_request.submit(staged, about)
    except backups.BackupError as exc:
        flash_failure(exc)
        return back()
    return render_template(
        "admin/backups_waiting.html", user=user, staged=staged, about=about, command=restore_request.command(staged)
    )


@bp.get("/restore/<ident>/state")
@console_page("setup")
def state(ident, user):
    """For the waiting page's script: does the restore of ``ident`` still wait, has it finished?"""
    waiting = restore_request.pending(settings())
    done = restore_request.result(settings())
    return jsonify(
        pending=waiting is not None and waiting.ident == ident,
        finished=done is not None and done.staged is not None and done.staged.ident == ident,
    )


@bp.post("/restore/cancel")
@console_page("setup")
def cancel(user):
    """Withdraw a waiting restore request and throw away checked backups nobody confirmed."""
    waiting, now = restore_request.pending(settings()), balai().clock.now()
    changes = {"file": waiting.about().get("file")} if waiting else None
    with balai().db.write() as session:
        restore_request.cancel(settings())
        if waiting:
            audit.record(session, actor(), "backup.restore_cancel", f"restore:{waiting.ident}", changes, now)
    flash(message("done_restore_cancelled"), "ok")
    return back()


@bp.post("/restore/result/dismiss")
@console_page("setup")
def dismiss(user):
    """Put away the last restore's report (it stays in the audit log)."""
    last_result()
    restore_request.dismiss(settings())
    return back()
