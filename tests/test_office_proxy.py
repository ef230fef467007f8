"""The office's HTTPS proxy (install.sh --office-https: nginx on the Pi in front of the office
listener): with BALAI_ADMIN_PROXY on, the portal believes X-Forwarded-For and X-Forwarded-Proto on
requests from loopback to the office listener, and only there. Real waitress on loopback; the
requests carry the headers nginx would set."""

import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from portal import config, create_app
from portal.models import AuditEntry
from tests.conftest import csrf_from, free_port, serving, settings_for

OFFICIAL = "192.168.1.20"  # an office computer
PHONE = "10.42.0.7"  # a phone on the hotspot
OUTSIDE = "203.0.113.5"  # the internet


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, forwarded_for=None, proto=None, data=None, headers=None):
    """(status, headers, body) of a request with the proxy's headers."""
    headers = dict(headers or {})
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    if proto:
        headers["X-Forwarded-Proto"] = proto
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def app_factory(data_dir, clock, overrides):
    """Makes the portal with its own office and public ports: (app, office port, public port)."""
    made = []

    def make(proxy):
        office_port, public_port = free_port(), free_port()
        overrides.update(
            BALAI_LISTEN=f"127.0.0.1:{public_port}",
            BALAI_ADMIN_LISTEN=f"127.0.0.1:{office_port}",
            BALAI_ADMIN_PROXY="on" if proxy else "off",
        )
        app = create_app(overrides=settings_for(data_dir, **overrides), clock=clock)
        made.append(app)
        return app, office_port, public_port

    yield make
    for app in made:
        app.extensions["balai"].db.dispose()


def test_the_proxy_brings_the_officials_address_and_https(app_factory):
    app, office_port, _ = app_factory(proxy=True)
    with serving(app, listen=f"127.0.0.1:{office_port}") as url:
        status, headers, page = get(f"{url}/admin/login", OFFICIAL, "https")
        assert status == 200, page
        # Over HTTPS (as the proxy says), the session cookie is Secure.
        assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
        # The hotspot and the internet stay out, even through the proxy.
        assert get(f"{url}/admin/login", PHONE, "https")[0] == 404
        assert get(f"{url}/admin/login", OUTSIDE, "https")[0] == 404


def test_the_audit_log_names_the_officials_address(app_factory):
    app, office_port, _ = app_factory(proxy=True)
    with serving(app, listen=f"127.0.0.1:{office_port}") as url:
        _, headers, page = get(f"{url}/admin/login", OFFICIAL, "https")
        # The browser sends the Secure cookie back over HTTPS, and its Referer (flask-wtf checks it
        # on HTTPS requests).
        browser = {"Cookie": headers["Set-Cookie"].split(";")[0], "Referer": f"https://{url[7:]}/admin/login"}
        form = {"username": "admin", "password": "wrong-password", "csrf_token": csrf_from(page)}
        data = urllib.parse.urlencode(form).encode()
        status, _, page = get(f"{url}/admin/login", OFFICIAL, "https", data=data, headers=browser)
        assert status == 401, page
    with app.extensions["balai"].db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "login.failed" and entry.address == OFFICIAL


def test_forwarded_headers_are_ignored_without_the_proxy_setting(app_factory):
    """BALAI_ADMIN_PROXY off (a Pi without --office-https): the headers change nothing."""
    app, office_port, _ = app_factory(proxy=False)
    with serving(app, listen=f"127.0.0.1:{office_port}") as url:
        status, headers, _ = get(f"{url}/admin/login", PHONE, "https")
        assert status == 200  # loopback, as it really is
        assert "Secure" not in headers["Set-Cookie"]


def test_forwarded_headers_are_ignored_on_the_public_listener(app_factory):
    """Only the office listener sits behind the proxy: on the public port, a phone cannot claim to
    be an office computer (the console is not there anyway) nor claim another phone's address."""
    app, _, public_port = app_factory(proxy=True)
    with serving(app, listen=f"127.0.0.1:{public_port}") as url:
        assert get(f"{url}/admin/login", OFFICIAL, "https")[0] == 404
        status, headers, _ = get(f"{url}/", OFFICIAL, "https")
        assert status == 200 and "Secure" not in headers.get("Set-Cookie", "")


def test_the_proxy_setting_needs_an_office_port_of_its_own(data_dir):
    """With one listener for both, the proxy's headers would be believed on the public port too."""
    with pytest.raises(config.ConfigError, match="BALAI_ADMIN_PROXY=on needs BALAI_ADMIN_LISTEN"):
        config.load({}, settings_for(data_dir, BALAI_LISTEN="127.0.0.1:8080", BALAI_ADMIN_PROXY="on"))
