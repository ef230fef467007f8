"""The touchscreen kiosk in the hall (``/kiosk``): tap a service, read its requirements, take a
number (priority is one tap), see it large with a QR code to follow it on a phone.

Plain forms and links, so it works even if the kiosk's script fails; ``static/js/kiosk.js``
returns to the start after 30 s without a touch and shows the information screen after 90 s.
Printing comes with the kiosk devices and their agent.
"""

import io

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from portal.domain import announcements
from portal.domain.errors import DomainError
from portal.web.auth import balai
from portal.web.errors import message
from portal.web.security import same_origin
from portal.web.tickets import issue_ticket, status_url

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")


def service_or_404(code):
    """The open-or-closed service with this code as the queue lists it, or 404."""
    found = next((s for s in balai().queue.services() if s["code"] == code), None)
    if found is None:
        abort(404)
    return found


def qr_svg(text):
    """An inline SVG QR code (drawn here, nothing fetched)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode().split("?>", 1)[-1]
    # Markup: the SVG is drawn here from our own URL, never from what a person typed.
    return Markup(svg.replace("<svg ", '<svg class="qr" aria-hidden="true" ', 1))


@bp.get("/")
def start():
    """The first screen: every service as a big button."""
    return render_template("kiosk/start.html", services=balai().queue.services())


@bp.get("/service/<code>")
def service(code):
    """A service's requirements, and the buttons that take a number."""
    return render_template("kiosk/service.html", s=service_or_404(code), error=None)


@bp.post("/take")
def take():
    """Take a number for the tapped service, then show it."""
    same_origin()
    code = request.form.get("service", "")
    try:
        view = issue_ticket(code, request.form.get("priority") == "1", source="kiosk")
    except DomainError as exc:
        return render_template(
            "kiosk/service.html", s=service_or_404(code), error=message(exc.code, exc.details)
        ), exc.status
    return redirect(url_for("kiosk.ticket", ticket_id=view["id"]), code=303)


@bp.get("/ticket/<ticket_id>")
def ticket(ticket_id):
    """The number, large, with people ahead, the estimate and a QR code of its phone page."""
    view = balai().queue.ticket(ticket_id)
    return render_template("kiosk/ticket.html", t=view, qr=qr_svg(status_url(ticket_id)))


@bp.get("/info")
def attract():
    """The information screen shown while nobody uses the kiosk: news and the queue now."""
    with balai().db.read() as session:
        news = announcements.current(session, balai().clock.now(), limit=4)
    return render_template("kiosk/attract.html", news=news, services=balai().queue.services())
