"""No route answers 500 to any input: a bounded corpus of odd input (very long text, unicode, NUL,
invalid UTF-8, negative and huge numbers, malformed JSON, wrong content types, missing fields,
repeated keys, odd headers and cookies) sent to every registered route and method, anonymous and
as an admin, from the office and from the hotspot. Every answer is below 500 and carries the
security headers.

The field names come from the code itself (the names templates' forms post, the ones views read,
the API's documented properties), so a new form or route is covered without editing this file.
"""

import io
import itertools
import json
import re
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from hub import users as hub_users
from portal.models import User
from portal.web import openapi
from tests.conftest import MONDAY_9AM, bearer, make_token
from tests.routes import HOTSPOT, TEXT_PLACEHOLDER, is_console, label, missing_headers, routes, url

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 300  # the corpus is bounded by construction; this catches a route that stalls
NAME_PATTERNS = [
    r'name="([A-Za-z_][\w-]*)"',  # form fields in templates
    r"""(?:args|form|values|files|cookies|json)\.get(?:list)?\(\s*["']([\w-]+)""",  # fields views read
    r"""(?:args|form|files)\[\s*["']([\w-]+)""",
    r"""(?:text_field|data\.get)\(\s*(?:data,\s*)?["']([\w-]+)""",  # JSON fields of the API
]
ODD_TEXT = [
    "",
    " ",
    "a" * 5000,
    "\x00",
    "nul\x00inside",
    "ünïcødé 日本語 🙂 \u202egnp.exe",
    "-1",
    "0",
    "99999999999999999999999999",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-12-31T25:61",
    "../../../etc/passwd",
    "%00%ff",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "true",
    "[]",
]
ODD_JSON = [
    None,
    True,
    -1,
    0,
    2**70,
    -(2**70),
    1e308,
    1.5,
    "",
    "x" * 5000,
    "\x00",
    "ünï🙂",
    [],
    {},
    [1, "a", None],
    {"a": {"b": []}},
]
RAW_JSON = [
    b"{",
    b"[]",
    b"null",
    b'"x"',
    b"[" * 50000,
    b'{"wait": NaN, "kiosk": Infinity, "priority": -Infinity}',
    b'{"service": "surat", "service": 1, "text": "a", "text": null}',  # repeated keys
    b'\xff\xfe{"a": 1}',
    b'{"a": "\\ud800"}',  # a lone surrogate, valid JSON, unstorable text
]
ODD_HEADERS = {
    "Accept-Language": "xx;q=abc, *;q=-1",
    "If-None-Match": '"' + "z" * 300 + '", W/garbage, *',
    "If-Modified-Since": "yesterday",
    "Range": "bytes=99999999-1",
    "Origin": "null",
    "Cookie": "balai_lang=zz; balai_session=garbage.value.sig; balai_kiosk=\x7f; balai_voter=" + "v" * 500,
    "Authorization": "Bearer \x7f" + "t" * 300,
    "X-CSRFToken": "garbage",
}


def field_names(*folders, spec=None):
    """Every field name a form, a view or the API documents, found in ``folders``' sources."""
    names = set()
    for folder in folders:
        for path in itertools.chain(folder.rglob("*.py"), folder.rglob("*.html")):
            text = path.read_text()
            for pattern in NAME_PATTERNS:
                names.update(re.findall(pattern, text))
    names.update(documented_properties(spec or {}))
    return sorted(names)


def documented_properties(node):
    """The property names in an OpenAPI document's schemas."""
    if isinstance(node, dict):
        found = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
        for value in node.values():
            found |= documented_properties(value)
        return found
    if isinstance(node, list):
        return set().union(*(documented_properties(item) for item in node)) if node else set()
    return set()


def rotated(names, values, shift):
    """Every name with a value, each request a different pairing of names and values."""
    return {name: values[(shift + k) % len(values)] for k, name in enumerate(names)}


def queries(names):
    """Odd query strings, as ``(what, request arguments)``: every name with an odd value
    (rotating), repeated keys, invalid UTF-8."""
    for shift in range(0, len(ODD_TEXT), 3):
        yield f"query of odd text #{shift}", {"query_string": rotated(names, ODD_TEXT, shift)}
    yield "query with repeated keys", {"query_string": MultiDict([(n, v) for n in names for v in ("1", "x")])}
    yield "query of invalid UTF-8", {"query_string": "lang=%ED%A0%80&code=%ff%fe&day=%00"}


def bodies(names):
    """Odd request bodies, as ``(what, request arguments)``: forms, multipart files, JSON (odd
    values, odd types, malformed), wrong content types, an empty body, and one bigger than any the
    app takes."""
    form = "application/x-www-form-urlencoded"
    for shift in range(0, len(ODD_TEXT), 2):
        yield f"form of odd text #{shift}", {"data": rotated(names, ODD_TEXT, shift)}
    yield "form with repeated keys", {"data": MultiDict([(n, v) for n in names for v in ("1", "<x>")])}
    yield "form of invalid UTF-8", {"data": "&".join(f"{n}=%ff%fe%00" for n in names), "content_type": form}
    for content in (b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"%PDF-1.4 garbage", b"PK\x03\x04 not a zip"):
        files = {name: (io.BytesIO(content), "../../x.png") for name in names}
        yield f"files of {content[:8]!r}", {"data": files}  # multipart, as the test client encodes files
    for shift in range(len(ODD_JSON)):
        yield f"JSON of odd types #{shift}", {"json": rotated(names, ODD_JSON, shift)}
    for raw in RAW_JSON:
        yield f"JSON {raw[:30]!r}", {"data": raw, "content_type": "application/json"}
    yield "JSON as text/plain", {"data": json.dumps(dict.fromkeys(names, "x")), "content_type": "text/plain"}
    yield "multipart without boundary", {"data": "a=1", "content_type": "multipart/form-data"}
    yield "form in UTF-16", {"data": "a=1", "content_type": form + "; charset=utf-16"}
    yield "empty JSON", {"data": b"", "content_type": "application/json"}
    yield "300 KB form", {"data": "x" * (300 * 1024), "content_type": form}


def path_values(rule):
    """Odd values for the route's URL arguments (one argument set per request)."""
    numbers, texts = [1, 0, 2**63 - 1, 2**63], [TEXT_PLACEHOLDER, "a" * 300, "ü🙂", "\x00", "..", "-1", "%ff"]
    return [{name: numbers[i % len(numbers)] for name in rule.arguments} for i in range(len(numbers))] + [
        {name: texts[i] for name in rule.arguments} for i in range(len(texts))
    ]


class Corpus:
    """Sends the corpus, remembers every answer of 500 or more and every answer without the
    security headers, and stops the test at the deadline."""

    def __init__(self, app, names):
        self.app, self.names = app, names
        self.failures, self.sent = [], 0
        self.reached = Counter()  # answers below 400 per identity: the corpus got past the doors
        self.started = time.monotonic()

    def send(self, client, rule, method, who, what, path=None, **kwargs):
        """One request; records what is wrong with its answer."""
        path = path or url(rule)
        response = client.open(path, method=method, **kwargs)
        self.sent += 1
        if response.status_code < 400:
            self.reached[who] += 1
            self.reached[f"{who} in the console"] += is_console(rule)
        if response.status_code >= 500:
            self.failures.append(f"{label(rule, method)} as {who}, {what} ({path[:60]}): {response.status_code}")
        elif missing_headers(response):
            self.failures.append(f"{label(rule, method)} as {who}, {what}: no {missing_headers(response)}")
        response.close()
        elapsed = time.monotonic() - self.started
        assert elapsed < DEADLINE_S, f"the corpus took over {DEADLINE_S} s ({self.sent} requests)"

    def route(self, client, rule, method, who, extra=None):
        """The whole corpus for one route and method, as ``who``."""
        extra = extra or {}
        inputs = queries(self.names) if method in ("GET", "HEAD") else bodies(self.names)
        for what, kwargs in inputs:
            self.send(client, rule, method, who, what, **merge(kwargs, extra))
        for values in path_values(rule) if rule.arguments else ():
            try:
                path = url(rule, **values)
            except ValueError:
                continue  # a value the route's converter cannot even build: no URL to send
            self.send(client, rule, method, who, "odd URL", path=path, **extra)
        self.send(client, rule, method, who, "odd headers", **merge({"headers": ODD_HEADERS}, extra))

    def check(self, *identities):
        """Fail with every bad answer found (and when one of ``identities`` never got past a door)."""
        assert all(self.reached[who] for who in identities), f"some identity was always refused: {self.reached}"
        assert not self.failures, f"{len(self.failures)} bad answers of {self.sent}:\n" + "\n".join(self.failures)


def merge(kwargs, extra):
    """Request arguments with an identity's headers and environ added."""
    merged = {**kwargs, **{k: v for k, v in extra.items() if k != "headers"}}
    merged["headers"] = {**kwargs.get("headers", {}), **extra.get("headers", {})}
    return merged


def admin_token(balai):
    """A fresh token of an admin (made per route: the corpus may well revoke tokens or change
    passwords on the way)."""
    with balai.db.read() as session:
        username = session.scalar(select(User.username).where(User.role == "admin").order_by(User.id))
    assert username, "the corpus left the village without an admin"
    return make_token(balai, username)


def test_no_portal_route_answers_500(app, balai):
    """Anonymous from the office and from the hotspot, and as an admin from the office (with a
    bearer token, so console forms are reached without a CSRF token: tests/test_csrf.py checks
    CSRF)."""
    corpus = Corpus(app, field_names(ROOT / "portal" / "web", ROOT / "portal" / "templates", spec=openapi.SPEC))
    client = app.test_client()
    for rule, method in routes(app):
        corpus.route(client, rule, method, "anonymous")
        corpus.route(client, rule, method, "hotspot", {"environ_base": HOTSPOT})
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            corpus.route(client, rule, method, "admin", {"headers": bearer(admin_token(balai))})
        finally:
            app.config["WTF_CSRF_ENABLED"] = True
    corpus.check("anonymous", "hotspot", "admin in the console")


def test_no_hub_route_answers_500(empty_hub):
    """The district hub: anonymous, and signed in as a district admin."""
    hub_app = empty_hub
    with hub_app.extensions["hub"].store.write() as session:
        hub_users.add(session, "kabupaten", "rahasia-123", "admin", MONDAY_9AM)
    corpus = Corpus(hub_app, field_names(ROOT / "hub"))
    anonymous, admin = hub_app.test_client(), hub_app.test_client()
    # The anonymous corpus fails many sign-ins: from an address of its own, so the throttle it
    # trips does not stop the admin's.
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.9"}}
    hub_app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule, method in routes(hub_app):
            corpus.route(anonymous, rule, method, "anonymous", elsewhere)
            if admin.get("/").status_code != 200:  # the corpus signed out, or never signed in yet
                response = admin.post("/login", data={"username": "kabupaten", "password": "rahasia-123"})
                assert response.status_code == 303
            corpus.route(admin, rule, method, "district admin")
    finally:
        hub_app.config["WTF_CSRF_ENABLED"] = True
    corpus.check("anonymous", "district admin")
