"""The officials' console (``/admin``): sign in, pick a counter, run the queue.

Only reachable from the office (see ``security.require_office``); every form carries a CSRF
token. Buttons are plain forms, so the panel works without JavaScript; a small script keeps the
waiting list live.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from portal.domain import letter_requests
from portal.domain.captive import uplink
from portal.domain.errors import DomainError
from portal.domain.queue import current_tickets, get_counter, ticket_summary
from portal.domain.village import business_day
from portal.models import Counter, Service, Ticket
from portal.web import audited, dashboard, sign_in
from portal.web.auth import balai, console_page, logout, may, requires
from portal.web.errors import message
from portal.web.security import require_office
from portal.web.tickets import current_etag

bp = Blueprint("admin", __name__, url_prefix="/admin")

COUNTER_ACTIONS = ("call-next", "recall", "start", "complete", "skip", "transfer")
TICKET_ACTIONS = ("requeue", "cancel")


@bp.before_request
def office_only():
    """The console does not exist for the hotspot or outside networks."""
    require_office()


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    """Sign in with username and password (lockout and throttle: see ``portal.web.sign_in``)."""
    if request.method == "GET":
        return render_template("admin/login.html")
    error, status = sign_in.attempt(request.form.get("username", ""), request.form.get("password", ""))
    if error is None:
        return redirect(url_for("admin.index"), code=303)
    return render_template("admin/login.html", error=error), status


@bp.post("/logout")
def logout_page():
    """Sign out."""
    logout()
    return redirect(url_for("admin.login_page"), code=303)


@bp.get("/")
@console_page()
def index(user):
    """The console's home: pick a counter, and today at a glance (see ``portal.web.dashboard``)."""
    return render_template(
        "admin/index.html",
        user=user,
        counters=balai().queue.counters(),
        can_queue=may("queue", user),
        **dashboard.glance(user),
    )


@bp.post("/reprint")
@console_page("queue")
def reprint(user):
    """Print a receipt again on a kiosk: by ticket (an uncertain receipt's button) or by the
    number a resident shows."""
    printing = balai().printing
    kiosk_id = request.form.get("kiosk", type=int)
    try:
        if request.form.get("ticket"):
            job = printing.reprint(request.form["ticket"], kiosk_id)
            number = balai().queue.ticket(request.form["ticket"])["number"]
        else:
            job, number = printing.reprint_number(request.form.get("number", ""), kiosk_id)
        audited.print_write("ticket.reprint", job)
        flash(message("done_reprint", {"number": number}), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("admin.index") + "#printers", code=303)


@bp.post("/job/<int:job_id>/confirm")
@console_page("queue")
def confirm_printed(job_id, user):
    """The official saw an uncertain receipt on paper: nothing to reprint."""
    try:
        confirmed = balai().printing.confirm(job_id)
        audited.print_write("print.confirm", job_id)
        flash(message("done_confirm", confirmed), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("admin.index") + "#printers", code=303)


def panel_context(counter_id):
    """What the counter panel shows: the counter, its current ticket, who waits, who was skipped."""
    queue = balai().queue
    with balai().db.read() as session:
        counter = get_counter(session, counter_id)
        day = business_day(session, balai().clock.now())
        skipped = session.scalars(
            select(Ticket)
            .where(
                Ticket.day == day,
                Ticket.status == "skipped",
                Ticket.service_id.in_([s.id for s in counter.services]),
            )
            .order_by(Ticket.finished_at.desc())
        ).all()
        services = session.scalars(select(Service).where(Service.active).order_by(Service.position)).all()
        info = {"id": counter.id, "name": counter.name, "services": [s.name for s in counter.services]}
        transfer_to = [(s.code, s.name) for s in services]
        skipped = [{"id": t.id, "number": t.number} for t in skipped]
        current = current_tickets(session, day).get(counter.id)
        # Calling a ticket taken with a letter request opens the request, pre-filled (one indexed query).
        letter = letter_requests.for_ticket(session, current.id) if current else None
        letter = {"id": letter.id, "code": letter_requests.display_code(letter.code)} if letter else None
        current = ticket_summary(current) if current else None
    return {
        "counter": info,
        "current": current,
        "letter": letter,
        "waiting": queue.waiting_list(counter_id),
        "skipped": skipped,
        "transfer_to": transfer_to,
    }


@bp.get("/counter/<int:counter_id>")
@console_page("queue")
def counter(counter_id, user):
    """The counter panel."""
    return render_template("admin/counter.html", user=user, etag=current_etag(), **panel_context(counter_id))


@bp.get("/counter/<int:counter_id>/live")
@requires("queue")
def counter_live(counter_id):
    """The panel's changing part, fetched by the page's script when the queue changes (a 401, not
    a sign-in page, once the session has ended: the script keeps the part it has)."""
    return render_template("admin/_counter_live.html", **panel_context(counter_id))


@bp.post("/counter/<int:counter_id>/<action>")
@console_page("queue")
def counter_action(counter_id, action, user):
    """Run a counter operation from a console button, then show the panel again."""
    if action not in COUNTER_ACTIONS:
        abort(404)
    queue = balai().queue
    try:
        if action == "transfer":
            view = queue.transfer(counter_id, request.form.get("service", ""), user_id=user.id)
        else:
            view = getattr(queue, action.replace("-", "_"))(counter_id, user_id=user.id)
        audited.counter_write(action, counter_id, view)
        flash(message(f"done_{action.replace('-', '_')}", view), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("admin.counter", counter_id=counter_id), code=303)


@bp.post("/ticket/<ticket_id>/<action>")
@console_page("queue")
def ticket_action(ticket_id, action, user):
    """Put a skipped ticket back into the queue (from the skipped list), or cancel the ticket at
    the counter for a resident who asks to (from the panel)."""
    if action not in TICKET_ACTIONS:
        abort(404)
    try:
        view = getattr(balai().queue, action)(ticket_id, user_id=user.id)
        audited.ticket_write(f"ticket.{action}", view)
        flash(message(f"done_{action}", view), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    back = request.form.get("counter", type=int)
    with balai().db.read() as session:
        if back is None or session.get(Counter, back) is None:
            return redirect(url_for("admin.index"), code=303)
    return redirect(url_for("admin.counter", counter_id=back), code=303)


@bp.get("/hotspot")
@console_page("hotspot")
def hotspot(user):
    """The phones let through the hotspot, the internet's state, and a button to revoke each."""
    captive = balai().captive
    with balai().db.read() as session:
        link = uplink(session)
    return render_template(
        "admin/hotspot.html",
        user=user,
        sessions=captive.sessions(),
        uplink=link,
        captive_on=balai().settings["BALAI_CAPTIVE"],
        firewall=balai().settings["BALAI_FIREWALL"],
    )


@bp.post("/hotspot/<int:session_id>/revoke")
@console_page("hotspot")
def revoke(session_id, user):
    """Stop letting one phone through; it sees the sign-in page again."""
    try:
        row = balai().captive.end(session_id, "revoked")
        audited.record_after("hotspot.revoke", f"hotspot:{row.id}", {"phone": row.ip, "mac": row.mac})
        flash(message("done_revoke", {"ip": row.ip}), "ok")
    except DomainError as exc:
        flash(message(exc.code, exc.details), "error")
    return redirect(url_for("admin.hotspot"), code=303)
