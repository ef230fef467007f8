"""Ticket helpers shared by the phone pages and the API: issuing with the hotspot rule,
the public ticket shape, and conditional GETs."""

from flask import Response, request

from portal.web.auth import balai, current_user
from portal.web.devices import current_kiosk
from portal.web.i18n import pick_locale
from portal.web.polls import VERSION_KEY
from portal.web.security import on_hotspot, settings

API_FIELDS = (
    "id",
    "number",
    "service",
    "service_name",
    "priority",
    "status",
    "position",
    "eta_seconds",
    "counter",
    "created_at",
)


def issue_ticket(service_code, priority, source=None, letter_request=None):
    """Issue a ticket for this request's client; hotspot clients hold only a few at once
    (whatever page they came from: a phone opening the kiosk screen is still a phone).

    A registered kiosk (its paired browser, or its agent's device token) gets the receipt
    queued for its printer, in the language its screen shows. ``letter_request`` (an id) is
    linked to the ticket in the same transaction, so its receipt always carries its code.
    """
    hotspot = on_hotspot()
    official = current_user() is not None
    kiosk = current_kiosk()
    if source is None:
        source = "kiosk" if kiosk else "official" if official else "hotspot" if hotspot else "web"
    view = balai().queue.issue(
        service_code,
        priority=priority,
        source=source,
        client=request.remote_addr or "",
        limit_client=hotspot and not official and kiosk is None,
        print_on=kiosk["id"] if kiosk else None,
        lang=pick_locale(),
        letter_request=letter_request,
    )
    if kiosk:
        balai().printing.notify(kiosk["id"])
    return view


def public_base():
    """The portal's address as phones reach it: BALAI_PUBLIC_URL when set, else this request's host."""
    return settings()["BALAI_PUBLIC_URL"].rstrip("/") or request.host_url.rstrip("/")


def status_url(ticket_id):
    """The ticket page's full address (for QR codes that phones open).

    Built as text, not with url_for: it is in every ticket answer phones poll, and ticket ids are
    URL-safe by construction. The path is the one ``public.ticket`` serves.
    """
    return f"{public_base()}/ticket/{ticket_id}"


def ticket_payload(view):
    """A ticket as the API shows it."""
    payload = {key: view[key] for key in API_FIELDS}
    payload["status_url"] = status_url(view["id"])
    return payload


def conditional(fetch, render):
    """``render(fetch(version))``, or 304 when the client's ETag is the current queue version.

    ``fetch`` runs either way (it is cached per version, and raises NotFound for a ticket that
    does not exist, which must not be answered with 304).
    """
    version = request.environ.get(VERSION_KEY) or balai().queue.version()
    data = fetch(version)
    response = Response(status=304) if request.if_none_match.contains(version) else render(data)
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache"
    return response


def current_etag():
    """The queue's ETag as a page embeds it for its script's first poll."""
    return '"' + balai().queue.version() + '"'
