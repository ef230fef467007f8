"""The first-run setup wizard (``/admin/setup``): from the office, before anyone can sign in.

Five steps (``portal.domain.setup.STEPS``), each a plain form saved when it is posted: the
village's identity and logo, the hotspot's name, services and counters, a printer test, and the
first admin account, which ends the wizard and signs that admin in. The current step comes from
what is saved, so a closed browser or a power cut resumes there; earlier steps stay open for
corrections (the back links) and later ones lead to the current one. While nobody can sign in,
the console's front door (``/admin/``, the sign-in page) leads here; once an official exists the
wizard answers 404, as if it never existed.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from portal.domain import audit, kiosks, setup, users
from portal.domain.content import ContentInvalid
from portal.domain.errors import Conflict, DomainError
from portal.web.auth import balai, login
from portal.web.errors import message
from portal.web.i18n import pick_locale
from portal.web.security import from_office, require_office
from portal.web.services_admin import save_posted_desks, stored_desks_form
from portal.web.uploads import accepts_upload
from portal.web.village_admin import prefilled, save_posted_village

bp = Blueprint("setup", __name__, url_prefix="/admin/setup")
FRONT_DOOR = ("admin.index", "admin.login_page")


def finished():
    """Whether an official exists. Remembered once true: the wizard never comes back."""
    state = current_app.extensions.setdefault("balai_setup", {})
    if not state.get("finished"):
        with balai().db.read() as session:
            state["finished"] = not setup.needs_setup(session)
    return state["finished"]


def to_the_wizard():
    """While nobody can sign in, the console's front door leads to the wizard (app-wide hook)."""
    if request.endpoint in FRONT_DOOR and from_office() and not finished():
        return redirect(url_for("setup.start"), code=303 if request.method == "POST" else 302)
    return None


def init_app(app):
    """Register the wizard and the hook that leads to it."""
    app.register_blueprint(bp)
    app.before_request(to_the_wizard)


@bp.before_request
def only_before_the_first_official():
    """From the office only, and only while no official exists."""
    require_office()
    if finished():
        abort(404)


def who():
    """The wizard's audit actor: nobody has an account yet, so the address says who."""
    return setup.wizard_actor(request.remote_addr or "")


def current():
    """The index of the step the wizard is at (the last one once all before it are saved)."""
    with balai().db.read() as session:
        return min(setup.current_step(session), len(setup.STEPS) - 1)


def ahead(step):
    """A redirect to the current step when ``step`` is beyond it, else None."""
    at = current()
    if setup.STEPS.index(step) > at:
        return redirect(url_for(f"setup.{setup.STEPS[at]}"), code=303)
    return None


def next_step(step):
    """After ``step`` is saved: on to the next one."""
    return redirect(url_for(f"setup.{setup.STEPS[setup.STEPS.index(step) + 1]}"), code=303)


def page(step, status=200, **context):
    """A step's page, with the step indicator."""
    html = render_template(
        f"admin/setup_{step}.html",
        step=step,
        number=setup.STEPS.index(step) + 1,
        steps=setup.STEPS,
        reached=current(),
        **context,
    )
    return html, status


def shown(errors):
    """Errors as ``{field: message}``."""
    return {field: message(code, details) for field, (code, details) in errors.items()}


@bp.get("")
@bp.get("/")
def start():
    """Where the wizard is: its current step."""
    return redirect(url_for(f"setup.{setup.STEPS[current()]}"))


def village_page(values, errors=None):
    """Step 1's page, with the values as typed and their errors (400) or as saved (200)."""
    return page(
        "village",
        400 if errors else 200,
        values=values,
        errors=shown(errors or {}),
        fields=setup.IDENTITY.fields,
    )


@bp.route("/village", methods=["GET", "POST"])
@accepts_upload("BALAI_PHOTO_MAX_MB")
def village():
    """Step 1: the village's name, code, kecamatan, kabupaten, province, time zone and logo."""
    if request.method == "GET":
        return village_page(prefilled())
    try:
        save_posted_village(lambda session, now, also: setup.save_identity(session, request.form, who(), now, also))
    except ContentInvalid as exc:
        return village_page(request.form.to_dict(), exc.errors)
    return next_step("village")


@bp.route("/hotspot", methods=["GET", "POST"])
def hotspot():
    """Step 2: the hotspot's name as residents are told to look for it."""
    if (later := ahead("hotspot")) is not None:
        return later
    if request.method == "GET":
        return page("hotspot", values=prefilled(), errors={}, fields=setup.HOTSPOT.fields)
    try:
        with balai().db.write() as session:
            setup.save_hotspot(session, request.form, who(), balai().clock.now())
    except ContentInvalid as exc:
        return page(
            "hotspot", 400, values=request.form.to_dict(), errors=shown(exc.errors), fields=setup.HOTSPOT.fields
        )
    return next_step("hotspot")


@bp.route("/services", methods=["GET", "POST"])
def services():
    """Step 3: services and counters, starting from the common ones."""
    if (later := ahead("services")) is not None:
        return later
    if request.method == "GET":
        return page("services", **stored_desks_form())
    actor = who()
    again = save_posted_desks(actor, lambda session, now: setup.record_step(session, "services", actor, now))
    if again is not None:
        return page("services", 400, **again)
    return next_step("services")


@bp.get("/printer")
def printer():
    """Step 4: print a test receipt on each kiosk's printer (or read how to register a kiosk)."""
    if (later := ahead("printer")) is not None:
        return later
    with balai().db.read() as session:
        printers = kiosks.overview(session, balai().clock.now())
    tests = balai().printing.tests()
    waiting = any(test["status"] == "queued" for test in tests.values())
    return page("printer", printers=printers, tests=tests, waiting=waiting)


@bp.post("/printer/test")
def test_print():
    """Send a test receipt to a kiosk's printer; the printer step shows how it went."""
    if (later := ahead("printer")) is not None:
        return later
    kiosk_id = request.form.get("kiosk", type=int) or 0
    try:
        test = balai().printing.test_print(kiosk_id, lang=pick_locale())
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    else:
        with balai().db.write() as session:
            audit.record(
                session, who(), "printer.test", f"kiosk:{kiosk_id}", {"kiosk": test["kiosk"]}, balai().clock.now()
            )
        flash(message("done_test_print", {"kiosk": test["kiosk"]}), "ok")
    return redirect(url_for("setup.printer"), code=303)


@bp.post("/printer")
def printer_done():
    """Leave the printer step (tested or skipped): on to the admin account."""
    if (later := ahead("printer")) is not None:
        return later
    with balai().db.read() as session:
        names = {row["id"]: row["name"] for row in kiosks.overview(session, balai().clock.now())}
    tested = {names.get(kiosk_id, kiosk_id): test["status"] for kiosk_id, test in balai().printing.tests().items()}
    with balai().db.write() as session:
        setup.record_step(session, "printer", who(), balai().clock.now(), {"test_prints": tested or None})
    return next_step("printer")


@bp.route("/admin", methods=["GET", "POST"])
def admin():
    """Step 5: the first admin account. Creating it ends the wizard and signs the admin in."""
    if (later := ahead("admin")) is not None:
        return later
    if request.method == "GET":
        return page("admin", values={}, errors={}, min_password=users.MIN_PASSWORD)
    now = balai().clock.now()
    form = request.form
    try:
        with balai().db.write() as session:
            password, repeated = form.get("password", ""), form.get("password2", "")
            user = setup.create_first_admin(
                session, form.get("username", ""), password, repeated, request.remote_addr or "", now
            )
    except Conflict:
        abort(404)  # another browser finished the wizard first
    except ContentInvalid as exc:
        values = {"username": form.get("username", "")}
        return page("admin", 400, values=values, errors=shown(exc.errors), min_password=users.MIN_PASSWORD)
    login(user, now)
    return redirect(url_for("admin.index"), code=303)
