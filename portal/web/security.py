"""Who may reach what: response headers, the office-only console, and cross-site form checks."""

import ipaddress
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import listen_ports
from portal.web.errors import respond

# Everything Balai serves comes from itself: no CDN, nothing fetched from the internet.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "media-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def settings():
    """The BALAI_* settings of the running app."""
    return current_app.extensions["balai"].settings


def parse_address(text):
    """A REMOTE_ADDR as an ip_address, or None (waitress sets it; Balai sits behind no proxy)."""
    try:
        address = ipaddress.ip_address(text or "")
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


def client_address():
    """The address the request came from."""
    return parse_address(request.remote_addr)


def in_networks(address, networks):
    """Whether ``address`` (or None) is inside one of ``networks``."""
    return address is not None and any(address in net for net in networks)


def on_hotspot(address=None):
    """Whether the request comes from the public hotspot networks."""
    return in_networks(address or client_address(), settings()["BALAI_HOTSPOT_NETWORKS"])


def from_office():
    """Whether the request may reach the console: an office network, never the hotspot,
    and, when the office has a listener of its own, arrived on that listener."""
    conf = settings()
    separate = conf["BALAI_ADMIN_LISTEN"] != conf["BALAI_LISTEN"]
    if separate and request.environ.get("SERVER_PORT") not in listen_ports(conf["BALAI_ADMIN_LISTEN"]):
        return False
    address = client_address()
    if address is None or on_hotspot(address):
        return False
    return any(address in net for net in conf["BALAI_ADMIN_NETWORKS"])


def require_office():
    """Answer 404 (not 403: the console's existence is not advertised) outside the office."""
    if not from_office():
        abort(404)


def console_only_from_office():
    """Before anything else looks at a console request (the CSRF check would answer 400): 404
    outside the office. The console's blueprints check again; this covers every /admin path."""
    if request.path == "/admin" or request.path.startswith("/admin/"):
        require_office()


def same_origin():
    """Refuse a form posted from another site (public forms work without cookies, so no CSRF token)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        error = CSRFError()
        error.balai_code = "cross_site"
        raise error


HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]


def with_headers(wsgi_app):
    """Wrap a WSGI app so every response carries HEADERS (cheaper than an after_request hook,
    which matters on the endpoints phones poll)."""

    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            headers.extend(HEADERS)
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


def secure_cookies(mode=None):
    """Whether this response's cookies are marked Secure: ``mode`` on, off or auto (when the request
    came over HTTPS); the village's BALAI_SECURE_COOKIES unless told."""
    mode = mode or settings()["BALAI_SECURE_COOKIES"]
    return mode == "on" or (mode == "auto" and request.is_secure)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure whenever the request came over HTTPS (or always).

    ``mode`` returns the on/off/auto setting for the running app (the hub passes its own)."""

    def __init__(self, mode=lambda: settings()["BALAI_SECURE_COOKIES"]):
        self.mode = mode

    def get_cookie_secure(self, app):
        return secure_cookies(self.mode())

    def open_session(self, app, request):
        # Residents' requests carry no session cookie: skip building the signing serializer.
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app):
    """Install the headers, the session cookies and the CSRF error page."""
    app.session_interface = SessionInterface()
    init_headers(app)
    conf = app.extensions["balai"].settings
    if conf["BALAI_ADMIN_PROXY"]:
        app.wsgi_app = with_office_proxy(app.wsgi_app, listen_ports(conf["BALAI_ADMIN_LISTEN"]))


LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def with_office_proxy(wsgi_app, ports):
    """Wrap a WSGI app so requests that the office's HTTPS proxy (nginx, on this machine) passes to
    the office listener carry the official's own address and scheme: the office check, the audit
    log and the throttles see the official, and cookies are Secure. Only a request from loopback on
    one of ``ports`` is believed; anyone else's X-Forwarded-* headers are ignored."""
    proxied = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def app(environ, start_response):
        behind = environ.get("SERVER_PORT") in ports and in_networks(
            parse_address(environ.get("REMOTE_ADDR")), LOOPBACK
        )
        return (proxied if behind else wsgi_app)(environ, start_response)

    return app


def init_headers(app):
    """Install the headers and the CSRF error page (the hub uses these too)."""
    app.wsgi_app = with_headers(app.wsgi_app)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return respond(getattr(exc, "balai_code", "csrf"), 400)
