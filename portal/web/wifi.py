"""The hotspot's sign-in page: the terms and one button, then the phone's Wi-Fi status.

``/wifi`` is where every captive redirect lands (``captive.py``), usually inside the phone's
"sign in to network" popup. That popup keeps no cookies between pages on iOS and opens no new
tabs, so the page knows the phone by its address and MAC alone, every link stays in the same
window, and the accept form needs nothing but a tap. Before accepting, the phone can already take
a queue ticket and read the news: the village's services do not wait for the terms or the
internet.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for

from portal.domain.errors import DomainError
from portal.web.auth import balai
from portal.web.errors import message
from portal.web.security import client_address, on_hotspot, same_origin

bp = Blueprint("wifi", __name__, url_prefix="/wifi")


@bp.before_request
def captive_only():
    """Without BALAI_CAPTIVE there is no sign-in page."""
    if not balai().settings["BALAI_CAPTIVE"]:
        abort(404)


def this_phone():
    """``(ip, mac)`` of the requesting device (mac "" when unknown)."""
    ip = str(client_address())
    return ip, balai().captive.mac(ip)


def page(error=None, status=200):
    """The sign-in page before acceptance, the Wi-Fi status page after."""
    captive, settings = balai().captive, balai().settings
    ip, mac = this_phone()
    session = captive.session_of(ip, mac)
    # The firewall's view of this phone: is it let through yet, and how much data has it used?
    usage = captive.usage() if session and captive.firewall.enforcing else {}
    pending = usage is None or (captive.firewall.enforcing and session and (ip, mac) not in usage)
    used = (usage or {}).get((ip, mac))
    return (
        render_template(
            "wifi.html",
            session=session,
            online=captive.uplink_state() == "up",
            now=balai().clock.now(),
            hours=settings["BALAI_CAPTIVE_MINUTES"] / 60,
            quota_mb=settings["BALAI_CAPTIVE_QUOTA_MB"],
            rate_kbps=settings["BALAI_CAPTIVE_RATE_KBPS"],
            used_mb=None if used is None else round(used / 1_000_000),
            pending=bool(session) and pending,
            tickets=balai().queue.client_tickets(request.remote_addr or ""),
            error=error,
        ),
        status,
    )


@bp.get("")
def status():
    """The sign-in page, or the phone's Wi-Fi status once it accepted."""
    return page()


@bp.post("/accept")
def accept():
    """The phone accepts the terms: let it through, then show its status (in the same window)."""
    same_origin()
    ip, mac = this_phone()
    try:
        if balai().captive.firewall.enforcing and not on_hotspot():
            raise DomainError("not_on_hotspot")
        balai().captive.accept(ip, mac)
    except DomainError as exc:
        return page(message(exc.code, exc.details), exc.status)
    return redirect(url_for("wifi.status"), code=303)


@bp.post("/logout")
def logout():
    """The phone leaves: it is captured again until it accepts once more."""
    same_origin()
    ip, mac = this_phone()
    session = balai().captive.session_of(ip, mac)
    if session is not None:
        balai().captive.end(session.id, "logout")
    return redirect(url_for("wifi.status"), code=303)
