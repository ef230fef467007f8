"""Who may reach what, for every registered route (walked from the URL map, so a new console page
or official API is covered the day it is added): the console and the officials' API 404 from the
hotspot, refuse anonymous visitors and refuse the wrong role, and each declares its permission."""

import pytest

from portal.web.auth import PERMISSIONS
from portal.web.security import parse_address
from tests.conftest import bearer, csrf_from, login, make_token
from tests.routes import (
    HOTSPOT,
    ROLES,
    UNDECLARED,
    is_api,
    is_console,
    label,
    permission,
    routes,
    url,
    wrong_roles,
)

# Console routes that need no signed-in official, and why. Every other /admin route must declare
# a permission with ``auth.console_page`` (pages) or ``auth.requires`` (fragments fetched by scripts).
OPEN_CONSOLE = {
    "admin.login_page": "the sign-in page itself",
    "admin.logout_page": "signing out only ends the session this browser has, if any",
}
# The first-run setup wizard runs before any official exists, so it cannot ask for one; it guards
# itself (only while the village has no user: closed in these tests, whose village has officials)
# and is office-only like the rest (both checked below).
OPEN_CONSOLE_PREFIX = "/admin/setup"


def open_console(rule):
    """Whether a console route is meant to be reachable without signing in (see OPEN_CONSOLE)."""
    return rule.endpoint in OPEN_CONSOLE or rule.rule.startswith(OPEN_CONSOLE_PREFIX)


def guarded(app):
    """Every console and official API route with its method and declared permission."""
    found = []
    for rule, method in routes(app):
        declared = permission(app, rule)
        if is_console(rule) or (is_api(rule) and declared is not UNDECLARED):
            found.append((rule, method, declared))
    return found


def send(client, rule, method, **kwargs):
    """One request to ``rule`` with placeholder URL values."""
    return client.open(url(rule), method=method, **kwargs)


def form_csrf(client):
    """A CSRF token for this client's session (from a page that carries one)."""
    page = client.get("/admin/")
    html = page.get_data(as_text=True) if page.status_code == 200 else client.get("/admin/login").get_data(as_text=True)
    return csrf_from(html)


@pytest.fixture
def officials(app, balai):
    """Per role: a signed-in test client, its CSRF token and an API token."""
    found = {}
    for role in ROLES:
        client = app.test_client()
        assert login(client, role).status_code == 303
        found[role] = (client, form_csrf(client), make_token(balai, role))
    return found


def test_the_hotspot_address_is_inside_the_hotspot_networks(balai):
    address = parse_address(HOTSPOT["REMOTE_ADDR"])
    assert any(address in net for net in balai.settings["BALAI_HOTSPOT_NETWORKS"])


def test_every_console_route_declares_who_may_use_it(app):
    undeclared = [
        label(rule, method)
        for rule, method, declared in guarded(app)
        if declared is UNDECLARED and not open_console(rule)
    ]
    assert not undeclared, "console routes without console_page(...) or requires(...):\n" + "\n".join(undeclared)


def test_declared_permissions_are_known(app):
    unknown = [label(r, m) for r, m, d in guarded(app) if d not in (None, UNDECLARED) and d not in PERMISSIONS]
    assert not unknown


def test_the_openapi_document_marks_exactly_the_official_operations(app, client):
    """An operation the document says needs an official is guarded in the code, and only those
    (tests/test_api.py checks that every API route is described)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    adapter = app.url_map.bind("localhost")
    wrong = []
    for path, operations in spec["paths"].items():
        sample = path.replace("{counter}", "1").replace("{job}", "1").replace("{", "").replace("}", "")
        for method, operation in operations.items():
            rule, _ = adapter.match(sample, method=method.upper(), return_rule=True)
            official = {"session": []} in operation.get("security", [])
            if official != (permission(app, rule) is not UNDECLARED):
                wrong.append(f"{method.upper()} {path}: the document says official={official}")
    assert not wrong, "\n".join(wrong)


# Where the console does not exist: the hotspot, and any address outside the office networks.
OUTSIDE = {"the hotspot": HOTSPOT, "the internet": {"REMOTE_ADDR": "203.0.113.9"}}
OFFICE_PORT = "8443"


def not_404(app, where, token, session=None, csrf=""):
    """Every console and official route that answers anything but 404 to a request made ``where``
    (environ values): anonymous, with a bearer token, and with ``session`` (a signed-in client)."""
    anonymous = app.test_client()
    wrong = []
    for rule, method, _ in guarded(app):
        attempts = {
            "anonymous": send(anonymous, rule, method, environ_base=where),
            "token": send(anonymous, rule, method, environ_base=where, headers=bearer(token)),
        }
        if session is not None:
            attempts["session"] = send(session, rule, method, environ_base=where, data={"csrf_token": csrf})
        wrong += [
            f"{label(rule, method)} as {who}: {r.status_code}" for who, r in attempts.items() if r.status_code != 404
        ]
    return wrong


@pytest.mark.parametrize("where", OUTSIDE)
def test_outside_the_office_every_console_and_official_route_is_404(app, officials, where):
    """As if the console did not exist: anonymous, with a console session, or with an API token."""
    admin, csrf, token = officials["admin"]
    wrong = not_404(app, OUTSIDE[where], token, admin, csrf)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "overrides", [{"BALAI_LISTEN": "127.0.0.1:80", "BALAI_ADMIN_LISTEN": f"127.0.0.1:{OFFICE_PORT}"}]
)
def test_with_an_office_listener_the_public_listener_has_no_console(app, balai):
    """On the Pi the office has a port of its own: the public port 404s even from the office LAN."""
    token = make_token(balai, "admin")
    wrong = not_404(app, {"SERVER_PORT": "80"}, token)
    assert not wrong, "\n".join(wrong)
    office = app.test_client().get("/api/v1/kiosks", headers=bearer(token), base_url=f"http://localhost:{OFFICE_PORT}")
    assert office.status_code == 200


def test_anonymous_officials_are_sent_to_sign_in_or_refused(app):
    """Pages redirect to the sign-in page; the API and script fragments answer 401; never 200."""
    client = app.test_client()
    csrf = csrf_from(client.get("/admin/login").get_data(as_text=True))
    wrong = []
    for rule, method, _ in guarded(app):
        if rule.endpoint in OPEN_CONSOLE:
            continue  # signing in and out (and signing out would drop the CSRF token)
        response = send(client, rule, method, data={"csrf_token": csrf}, headers={"X-CSRFToken": csrf})
        if rule.rule.startswith(OPEN_CONSOLE_PREFIX):
            if response.status_code < 300:  # the village has officials: the wizard is over
                wrong.append(f"{label(rule, method)}: {response.status_code} (the setup wizard is still open)")
            continue
        to_sign_in = response.status_code in (302, 303) and response.headers["Location"].endswith("/admin/login")
        if not (to_sign_in or response.status_code == 401):
            wrong.append(f"{label(rule, method)}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_wrong_role_gets_403(app, officials):
    """With the console session (and its CSRF token) and with an API token alike."""
    anonymous = app.test_client()
    wrong, checked = [], 0
    for rule, method, declared in guarded(app):
        for role in wrong_roles(declared):
            client, csrf, token = officials[role]
            attempts = {"session": send(client, rule, method, data={"csrf_token": csrf}, headers={"X-CSRFToken": csrf})}
            if is_api(rule) or method == "GET":  # a console form post with a token is refused for its missing CSRF
                attempts["token"] = send(anonymous, rule, method, headers=bearer(token))
            checked += 1
            wrong += [f"{label(rule, method)} as {role} ({how}): {r.status_code}" for how, r in attempts.items()
                      if r.status_code != 403]  # fmt: skip
    assert checked, "no route refuses any role: the walk found nothing"
    assert not wrong, "\n".join(wrong)


def test_an_admin_is_refused_nowhere(app, officials):
    """Admins may do everything: no 401 or 403 (the placeholder ids may well be 404)."""
    admin, csrf, token = officials["admin"]
    wrong = []
    for rule, method, _ in guarded(app):
        if open_console(rule):
            continue  # signing in or out: not a question of permissions (and logout ends the session)
        attempts = {"session": send(admin, rule, method, data={"csrf_token": csrf}, headers={"X-CSRFToken": csrf})}
        if is_api(rule):
            attempts["token"] = send(app.test_client(), rule, method, headers=bearer(token))
        for how, response in attempts.items():
            if response.status_code in (401, 403) or response.status_code >= 500:
                wrong.append(f"{label(rule, method)} ({how}): {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_kiosk_agent_routes_want_a_device_token(app, officials):
    """The agents' API takes a kiosk's device token only: not nothing, not an official's token."""
    _, _, token = officials["admin"]
    client = app.test_client()
    wrong = []
    for rule, method in routes(app):
        if rule.rule.startswith("/api/v1/kiosk/"):
            for headers in ({}, bearer(token)):
                response = send(client, rule, method, json={}, headers=headers)
                if response.status_code != 401:
                    wrong.append(f"{label(rule, method)} with {headers or 'nothing'}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


# The hub: the district dashboard runs on the internet; every page but the sign-in wants a session.


def test_the_hub_refuses_anonymous_visitors_everywhere(empty_hub):
    """Dashboard pages redirect to the sign-in page; the villages' API refuses unsigned calls."""
    client = empty_hub.test_client()
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    # The sign-in, the unauthenticated probe, CSS, and the page a letter's QR code opens (anyone
    # outside the village checks a letter there).
    open_routes = {"dashboard.login", "api.health", "static", "verify.letter"}
    wrong = []
    for rule, method in routes(empty_hub):
        if rule.endpoint in open_routes:
            continue
        response = send(client, rule, method, data={"csrf_token": csrf})
        if is_api(rule):
            refused = response.status_code in (401, 403)
        else:
            refused = response.status_code in (302, 303) and response.headers["Location"].endswith("/login")
        if not refused:
            wrong.append(f"{label(rule, method)}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
