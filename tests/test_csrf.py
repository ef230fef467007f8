"""Cross-site request forgery, for every route that changes something (walked from the URL map):
console forms without a valid CSRF token get 400 with a clear page and change nothing; residents'
forms posted from another site are refused; a browser's API writes need the X-CSRFToken header;
and the session cookie carries HttpOnly, SameSite=Lax and, over HTTPS, Secure.

Officials' API calls with a bearer token need no CSRF token (a browser never adds the header by
itself), so those are not checked here; tests/test_routes_access.py checks who may make them.
"""

import sqlite3
from pathlib import Path

import pytest

from portal.config import database_path
from portal.messages import MESSAGES
from tests.conftest import csrf_from, login
from tests.routes import UNDECLARED, is_api, is_console, label, permission, routes, url

ENGLISH = {"lang": "en"}
FOREIGN = {"Origin": "http://evil.example"}
# Residents' forms, filled so that each would do its work if it came from the portal's own pages.
RESIDENT_FORM = {
    "service": "surat",
    "category": "other",
    "text": "Lampu jalan di RT 03 mati sejak kemarin.",
    "option": "1",
}


def snapshot(balai):
    """Everything the village has stored: every table's rows, and the data directory's files."""
    path = Path(database_path(balai.settings))
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        state = {table: sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))) for table in tables}
    connection.close()
    state["files"] = sorted(str(p.relative_to(path.parent)) for p in path.parent.rglob("*") if "balai.db" not in p.name)
    return state


def changed(before, after):
    """The tables (and "files") that differ between two snapshots."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def signed_in(app, username):
    """A test client signed in as ``username`` and its CSRF token."""
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client, csrf_from(client.get("/admin/").get_data(as_text=True))


def english(code):
    """An error message as the English page shows it."""
    return MESSAGES[code]


def test_console_forms_without_a_valid_token_are_refused_and_change_nothing(app, balai):
    admin, token = signed_in(app, "admin")
    _, foreign_token = signed_in(app, "editor")
    attempts = {
        "no token": {},
        "another session's token": {"csrf_token": foreign_token},
        "a garbled token": {"csrf_token": "x"},
    }
    wrong, done_with_token = [], []
    posts = [rule for rule, method in routes(app) if is_console(rule) and method == "POST"]
    assert posts, "no console form found"
    for rule in posts:
        for what, data in attempts.items():
            before = snapshot(balai)
            response = admin.post(url(rule), data=data, query_string=ENGLISH)
            if response.status_code != 400 or english("csrf") not in response.get_data(as_text=True):
                wrong.append(f"{label(rule, 'POST')} with {what}: {response.status_code}")
            if changed(before, snapshot(balai)):
                wrong.append(f"{label(rule, 'POST')} with {what} changed {changed(before, snapshot(balai))}")
        assert admin.get("/admin/").status_code == 200, f"{label(rule, 'POST')} ended the session without a token"
        # The same post with the token does its work (or refuses the placeholder ids): the refusal
        # above was the token's doing.
        before = snapshot(balai)
        admin.post(url(rule), data={"csrf_token": token})
        if changed(before, snapshot(balai)):
            done_with_token.append(rule.rule)
        if admin.get("/admin/").status_code != 200:  # that was signing out (or a session reset)
            admin, token = signed_in(app, "admin")
    assert not wrong, "\n".join(wrong)
    assert len(done_with_token) >= 3, f"hardly any form did anything even with its token: {done_with_token}"


def test_residents_forms_from_another_site_are_refused_and_change_nothing(app, balai, kiosk):
    """Public forms carry no token (the sign-in popup may keep no cookies): the Origin decides."""
    resident = app.test_client()
    ticket = resident.post("/api/v1/tickets", json={"service": "surat"}).get_json()["id"]
    values = {"ticket_id": ticket, "code": kiosk[2], "poll_id": 1}
    wrong, checked = [], 0
    for rule, method in routes(app):
        if method != "POST" or is_console(rule) or is_api(rule):
            continue
        path, checked = url(rule, **values), checked + 1
        before = snapshot(balai)
        response = resident.post(path, data=RESIDENT_FORM, headers=FOREIGN, query_string=ENGLISH)
        if response.status_code != 400 or english("cross_site") not in response.get_data(as_text=True):
            wrong.append(f"{label(rule, method)}: {response.status_code}")
        if changed(before, snapshot(balai)):
            wrong.append(f"{label(rule, method)} changed {changed(before, snapshot(balai))}")
        # From the portal's own page (or with no Origin, as old browsers send) it is not refused.
        for headers in ({"Origin": "http://localhost"}, {}):
            response = resident.post(path, data=RESIDENT_FORM, headers=headers, query_string=ENGLISH)
            if english("cross_site") in response.get_data(as_text=True):
                wrong.append(f"{label(rule, method)} refused {headers or 'no Origin'}")
    assert checked >= 5, "the walk found hardly any public form"
    assert not wrong, "\n".join(wrong)


def test_a_browsers_api_writes_need_the_csrf_header(app, balai):
    """The console session works on the API only with its page's token in X-CSRFToken."""
    admin, token = signed_in(app, "admin")
    ticket = admin.post("/api/v1/tickets", json={"service": "surat"}).get_json()["id"]
    writes = [
        rule
        for rule, method in routes(app)
        if is_api(rule)
        and method == "POST"
        and (permission(app, rule) is not UNDECLARED or rule.endpoint == "api.cancel")
    ]
    assert len(writes) >= 4
    wrong = []
    for rule in writes:
        path = url(rule, ticket_id=ticket)
        for headers in ({}, {"X-CSRFToken": "garbled"}):
            before = snapshot(balai)
            response = admin.post(path, json={}, headers=headers)
            if response.status_code != 400 or response.get_json().get("error") != "csrf":
                wrong.append(f"{label(rule, 'POST')} with {headers or 'no header'}: {response.status_code}")
            if changed(before, snapshot(balai)):
                wrong.append(f"{label(rule, 'POST')} with {headers or 'no header'} changed something")
    assert not wrong, "\n".join(wrong)
    # With the header the same session is an official again.
    assert admin.post(f"/api/v1/tickets/{ticket}/cancel", headers={"X-CSRFToken": token}).status_code == 200


def session_cookie(response):
    """The Set-Cookie header of the console session."""
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("balai_session=")]
    assert found, response.headers
    return found[0]


@pytest.mark.parametrize(
    "overrides,base_url,secure",
    [
        ({}, "http://localhost", False),
        ({}, "https://localhost", True),  # auto: Secure whenever the office listener serves HTTPS
        ({"BALAI_SECURE_COOKIES": "on"}, "http://localhost", True),
        ({"BALAI_SECURE_COOKIES": "off"}, "https://localhost", False),
    ],
)
def test_session_cookie_flags(app, base_url, secure):
    client = app.test_client()
    page = client.get("/admin/login", base_url=base_url)
    data = {"username": "admin", "password": "demo-admin", "csrf_token": csrf_from(page.get_data(as_text=True))}
    # Over HTTPS the CSRF check also wants the page's address as Referer, as browsers send it.
    referer = {"Referer": f"{base_url}/admin/login"}
    cookie = session_cookie(client.post("/admin/login", data=data, base_url=base_url, headers=referer))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert ("secure" in flags) == secure
