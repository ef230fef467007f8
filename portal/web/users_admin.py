"""The console's users pages (``/admin/users``, admins only) and every official's own password
page (``/admin/password``).

Admins add officials, change their role, set a new password for one who forgot theirs (that
official's open sessions end and a lockout is lifted), unlock one locked out by wrong passwords,
and remove one (never themselves, never the last admin). Each change is in the audit log, in the
same transaction, and never a password. Officials change their own password by typing the current
one: their other sessions end, this one goes on.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from portal.domain import users
from portal.domain.errors import DomainError
from portal.web import sign_in
from portal.web.auth import actor, balai, console_page, login
from portal.web.errors import message
from portal.web.security import require_office

bp = Blueprint("users_admin", __name__, url_prefix="/admin")
bp.before_request(require_office)


@bp.context_processor
def role_words():
    """What the templates use to name and explain the roles."""
    return {"roles": users.ROLES, "role_names": users.ROLE_NAMES, "role_descriptions": users.ROLE_DESCRIPTIONS}


def done(code, official):
    """Flash the confirmation ``code`` about ``official``, their role in words."""
    flash(message(code, {"username": official.username, "role": gettext(users.ROLE_NAMES[official.role])}), "ok")


@bp.get("/users")
@console_page("users")
def index(user):
    """Every official: role and what it may do, last sign-in, locked or not; the form to add one."""
    return listing(user)


def listing(user, status=200):
    """The users page (after a refused addition: with the form as it was typed, and its status)."""
    now = balai().clock.now()
    with balai().db.read() as session:
        people = [{"official": u, "locked": locked_until(u, now)} for u in users.listing(session)]
    return render_template("admin/users.html", user=user, people=people), status


@bp.post("/users")
@console_page("users")
def create(user):
    """Add an official with a first password; on a mistake the form comes back as it was typed."""
    form = request.form
    try:
        with balai().db.write() as session:
            official = users.create(
                session,
                actor(),
                balai().clock.now(),
                form.get("username", ""),
                form.get("role", ""),
                form.get("password", ""),
            )
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
        return listing(user, exc.status)
    done("done_user_create", official)
    return redirect(url_for("users_admin.index"), code=303)


@bp.get("/users/<int:user_id>")
@console_page("users")
def official(user_id, user):
    """One official: change the role, set a new password, unlock, remove."""
    now = balai().clock.now()
    with balai().db.read() as session:
        row = users.by_id(session, user_id)
    return render_template("admin/users_edit.html", user=user, official=row, locked=locked_until(row, now))


def locked_until(official, now):
    """Until when (on the village's clock) wrong passwords lock ``official`` out, or None."""
    return sign_in.try_again_at(official.locked_until) if users.is_locked(official, now) else None


def change(user_id, operation, code, *args):
    """Run ``operation(session, actor, now, user_id, *args)`` in one write and say how it went."""
    try:
        with balai().db.write() as session:
            done(code, operation(session, actor(), balai().clock.now(), user_id, *args))
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("users_admin.official", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/role")
@console_page("users")
def role(user_id, user):
    """Give the official another role (the last admin stays one)."""
    return change(user_id, users.change_role, "done_user_role", request.form.get("role", ""))


@bp.post("/users/<int:user_id>/password")
@console_page("users")
def reset(user_id, user):
    """Set a new password for an official who forgot theirs; their open sessions end."""
    return change(user_id, users.reset_password, "done_user_password", request.form.get("password", ""))


@bp.post("/users/<int:user_id>/unlock")
@console_page("users")
def unlock(user_id, user):
    """Let an official locked out by wrong passwords try again now."""
    return change(user_id, users.unlock, "done_user_unlock")


@bp.post("/users/<int:user_id>/remove")
@console_page("users")
def remove(user_id, user):
    """Remove an official, after the confirmation box is ticked."""
    if request.form.get("confirm") != "1":
        flash(message("confirm_delete"), "error")
        return redirect(url_for("users_admin.official", user_id=user_id), code=303)
    try:
        with balai().db.write() as session:
            done("done_user_delete", users.remove(session, actor(), balai().clock.now(), user_id))
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
        return redirect(url_for("users_admin.official", user_id=user_id), code=303)
    return redirect(url_for("users_admin.index"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@console_page()
def password(user):
    """Change your own password: the current one, then the new one twice. Wrong current passwords
    count against the address like wrong sign-ins, so a borrowed session cannot guess it."""
    if request.method == "GET":
        return render_template("admin/password.html", user=user)
    form, keeper, now = request.form, sign_in.guard(), balai().clock.now()
    refused = keeper.refusal(now)
    if refused:
        flash(refused[0], "error")
        return render_template("admin/password.html", user=user), refused[1]
    try:
        with balai().db.write() as session:
            changed = users.change_own_password(
                session, actor(), now, user.id, form.get("current", ""), form.get("new", ""), form.get("repeat", "")
            )
    except DomainError as exc:
        if exc.code == "wrong_password":
            keeper.failed(now)
        flash(message(exc.code, exc.details), "error")
        return render_template("admin/password.html", user=user), exc.status
    login(changed, now)  # this session goes on under the new key; every other one has ended
    flash(message("done_password"), "ok")
    return redirect(url_for("admin.index"), code=303)
