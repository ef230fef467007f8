"""The captive portal's front door: every phone's connectivity probe, answered before Flask.

Phones on the hotspot find out whether they are online by fetching a well-known address (the
table below) and comparing the answer. The captive resolver points every name at the Pi and the
firewall sends port 80 to the portal, so those fetches arrive here, whatever their Host header
(phone makers add hosts of their own; the paths are what they share).

- A phone that is *let through* (accepted the terms, and the internet works) gets each probe's
  exact "online" answer.
- Any other phone on the hotspot gets a 302 to the sign-in page (``/wifi``): that is what makes
  the OS open its "sign in to network" popup. Its requests for other websites (a foreign Host) get
  the same redirect; requests to the portal's own address go on to the pages.
- Clients that are not on the hotspot (the office, the kiosk on the Pi itself) are not behind the
  captive firewall: they get the "online" answers and never a redirect.

This is a WSGI layer, like the fast polls, because every phone in the hall probes repeatedly and
the answer needs two tiny reads, not a Flask request cycle. Everything is answered with
``Cache-Control: no-store``: a cached "online" would outlive the session, a cached redirect the
captivity.
"""

import ipaddress
from urllib.parse import urlsplit

from portal.config import captive_url
from portal.web.security import in_networks, parse_address

APPLE = b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"
FIREFOX = b'<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'
NO_CONTENT = ("204 No Content", None, b"")
# path → the "online" answer: (status, content type, body). None: always the sign-in page.
PROBES = {
    "/generate_204": NO_CONTENT,  # Android, ChromeOS (any host: gstatic, google, phone makers')
    "/gen_204": NO_CONTENT,
    "/hotspot-detect.html": ("200 OK", "text/html", APPLE),  # iOS, macOS
    "/library/test/success.html": ("200 OK", "text/html", APPLE),
    "/connecttest.txt": ("200 OK", "text/plain", b"Microsoft Connect Test"),  # Windows 10/11
    "/ncsi.txt": ("200 OK", "text/plain", b"Microsoft NCSI"),  # older Windows
    "/redirect": None,  # Windows opens this in the browser to show the portal
    "/canonical.html": ("200 OK", "text/html", FIREFOX),  # Firefox
    "/success.txt": ("200 OK", "text/plain", b"success\n"),
}
SPLASH = "/wifi"


def own_hosts(settings):
    """The Host names that mean "the portal itself" (not a website the phone wanted)."""
    hosts = {"localhost", urlsplit(captive_url(settings)).hostname}
    if settings["BALAI_PUBLIC_URL"]:
        hosts.add(urlsplit(settings["BALAI_PUBLIC_URL"]).hostname)
    return {host.lower() for host in hosts if host}


def host_name(environ):
    """The request's Host without its port, lower-case ("" when absent)."""
    host = environ.get("HTTP_HOST", "").lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0]


def is_own(host, hosts, networks):
    """Whether ``host`` names the portal: one of ``hosts``, or an address of the hotspot or loopback."""
    if not host or host in hosts:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or in_networks(address, networks)


def answer(start_response, status, content_type, body, location=None):
    """Send a small, uncacheable response."""
    headers = [("Cache-Control", "no-store")]
    if body:  # a 204 carries no length at all (RFC 9110, section 8.6)
        headers.append(("Content-Length", str(len(body))))
    if content_type:
        headers.append(("Content-Type", f"{content_type}; charset=utf-8"))
    if location:
        headers.append(("Location", location))
    start_response(status, headers)
    return [body]


def with_captive(wsgi_app, captive, settings):
    """Wrap a WSGI app with the probe answers and redirects of BALAI_CAPTIVE (see the module)."""
    networks = settings["BALAI_HOTSPOT_NETWORKS"]
    hosts = own_hosts(settings)
    splash = captive_url(settings) + SPLASH
    redirect_body = f'<a href="{splash}">Balai</a>'.encode()
    seen = {}  # Host header → is_own: every poll of every phone passes here, with a handful of hosts

    def own(host):
        known = seen.get(host)
        if known is None:
            known = is_own(host, hosts, networks)
            if len(seen) < 256:  # foreign names are many; remembering them all would grow forever
                seen[host] = known
        return known

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        probe = path in PROBES
        if not probe and own(host_name(environ)):
            return wsgi_app(environ, start_response)
        address = parse_address(environ.get("REMOTE_ADDR"))
        on_hotspot = in_networks(address, networks)
        if not on_hotspot and not probe:
            return wsgi_app(environ, start_response)  # a foreign Host off the hotspot: not ours to catch
        online = PROBES.get(path)
        if online is not None and (not on_hotspot or captive.let_through(str(address))):
            return answer(start_response, *online)
        return answer(start_response, "302 Found", "text/html", redirect_body, location=splash)

    return app
