"""The touchscreen kiosk in the hall (``/kiosk``): tap a service, read its requirements, take a
number (priority is one tap), see it large with a QR code to follow it on a phone.

Plain forms and links, so it works even if the kiosk's script fails; ``static/js/kiosk.js``
returns to the start after 30 s without a touch and shows the information screen after 90 s.

A kiosk browser paired with ``python -m portal kiosk add|pair`` carries a device cookie: its
tickets get a receipt on the kiosk's printer, and its screens say how printing goes.
"""

import segno
from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from portal.domain import announcements, kiosks, letter_requests, published
from portal.domain.errors import DomainError
from portal.models import Kiosk
from portal.web.auth import balai
from portal.web.devices import current_kiosk, remember_browser
from portal.web.errors import message
from portal.web.letters import (
    Sent,
    form_page,
    letter_type_or_404,
    no_ticket_message,
    offered,
    phone_source,
    send_form,
)
from portal.web.letters import status_url as letter_status_url
from portal.web.security import on_hotspot, same_origin
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
    # segno, not qrcode (python-escpos's, for the agent): qrcode would load Pillow into the portal.
    svg = segno.make(text, error="m", micro=False).svg_inline(border=2, svgclass=None, lineclass=None, omitsize=True)
    # Markup: the SVG is drawn here from our own URL, never from what a person typed.
    return Markup(svg.replace("<svg ", '<svg class="qr" aria-hidden="true" ', 1))


def printer_problem():
    """This kiosk's printer state when it is not simply ready (for the start screen), else None."""
    kiosk = current_kiosk()
    if kiosk is None:
        return None
    with balai().db.read() as session:
        state = kiosks.printer_state(session.get(Kiosk, kiosk["id"]), balai().clock.now())
    return None if state == "ok" else state


@bp.get("/")
def start():
    """The first screen: every service as a big button."""
    return render_template("kiosk/start.html", services=balai().queue.services(), printer=printer_problem())


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
    """The number, large, with people ahead, the estimate and a QR code of its phone page; for a
    ticket taken with a letter request, the request's tracking code and its status page's QR."""
    view = balai().queue.ticket(ticket_id)
    receipt = balai().printing.for_ticket(ticket_id)
    with balai().db.read() as session:
        letter = letter_requests.for_ticket(session, ticket_id)
    code = letter_requests.display_code(letter.code) if letter else None
    return render_template(
        "kiosk/ticket.html",
        t=view,
        qr=qr_svg(status_url(ticket_id)),
        receipt=receipt,
        letter_code=code,
        letter_qr=qr_svg(letter_status_url(code)) if code else None,
    )


@bp.get("/letters")
def letter_types():
    """Every letter residents can ask for, as big buttons."""
    return render_template("kiosk/letters.html", types=offered())


KIOSK_FORM = "kiosk/letter_form.html"


@bp.get("/letters/<type_code>")
def letter_form(type_code):
    """What to bring, then the letter's questions (typed with the screen's own keyboard)."""
    return form_page(letter_type_or_404(type_code), template=KIOSK_FORM)


@bp.post("/letters/<type_code>")
def letter_send(type_code):
    """Send the request (no hourly limit at the kiosk) with a queue number printed here, then show
    the number with the request's tracking code. A phone on the hotspot opening the kiosk's
    screens is still a phone, limited like the phone form."""
    same_origin()
    letter_type = letter_type_or_404(type_code)
    source = "kiosk" if current_kiosk() else phone_source()
    sent = send_form(letter_type, source, True, template=KIOSK_FORM)
    if not isinstance(sent, Sent):
        return sent
    if sent.ticket_id:
        return redirect(url_for("kiosk.ticket", ticket_id=sent.ticket_id), code=303)
    no_ticket = sent.no_ticket.code if sent.no_ticket else None
    return redirect(url_for("kiosk.letter_sent", code=sent.tracking_code, no_ticket=no_ticket), code=303)


@bp.get("/letters/sent/<code>")
def letter_sent(code):
    """A request sent without a queue number (its service is closed, or it has none): the
    tracking code, large, with its status page's QR code and why no number was printed."""
    with balai().db.read() as session:
        row = letter_requests.find(session, code)
        service = row.letter_type.service if row.letter_type else None
    tracking_code = letter_requests.display_code(row.code)
    return render_template(
        "kiosk/letter_sent.html",
        letter_code=tracking_code,
        letter_qr=qr_svg(letter_status_url(tracking_code)),
        no_ticket=no_ticket_message(service, request.args.get("no_ticket")),
    )


@bp.get("/ticket/<ticket_id>/printing")
def printing(ticket_id):
    """How the ticket's receipt is doing, for the ticket screen's script to refresh."""
    balai().queue.ticket(ticket_id)  # 404 for an unknown ticket
    return render_template("kiosk/_printing.html", receipt=balai().printing.for_ticket(ticket_id))


def pairing_allowed():
    """Kiosks are on the hall's network, never on the public hotspot."""
    if on_hotspot():
        abort(404)


@bp.get("/pair/<code>")
def pair_page(code):
    """The pairing link's page: which kiosk this browser is about to become, and one button."""
    pairing_allowed()
    try:
        with balai().db.read() as session:
            name = kiosks.pairing_kiosk(session, code, balai().clock.now()).name
    except DomainError as exc:
        return render_template("kiosk/pair.html", error=message(exc.code, exc.details)), exc.status
    return render_template("kiosk/pair.html", name=name, code=code, error=None)


@bp.post("/pair/<code>")
def pair(code):
    """Make this browser the kiosk's screen: it gets the HttpOnly device cookie, the link is spent."""
    pairing_allowed()
    same_origin()
    try:
        with balai().db.write() as session:
            _, secret = kiosks.pair(session, code, balai().clock.now())
    except DomainError as exc:
        return render_template("kiosk/pair.html", error=message(exc.code, exc.details)), exc.status
    return remember_browser(redirect(url_for("kiosk.start"), code=303), secret)


@bp.get("/info")
def attract():
    """The information screen shown while nobody uses the kiosk: the queue now, news, the coming
    agenda and emergency numbers."""
    now = balai().clock.now()
    with balai().db.read() as session:
        news = announcements.current(session, now, limit=4)
        events = published.upcoming_events(session, now, limit=3)
        contacts = published.contacts(session)
    return render_template(
        "kiosk/attract.html", news=news, events=events, contacts=contacts, services=balai().queue.services()
    )
