"""Every page at every size: the browser tier walks the app's routes and saves a screenshot of
each page on a phone (360×640), the kiosk (1280×800) and the hall's TV (1920×1080) in
``var/screenshots/pages/<size>/``, so a change can be looked at everywhere at once (``make
screenshots`` copies the README's from the tier).

It is a test, too: every page answers 200 at every size and none scrolls sideways, and a new page
whose address needs a value not listed here fails until it is added, so the walk stays complete.
"""

import re
import shutil

import pytest
from sqlalchemy import select

from portal.domain.content import KINDS
from portal.models import BudgetYear, Business, Complaint, Counter, LetterRequest, LetterType, Poll, Service, User
from tests.test_e2e import PHONE, SHOTS, browser, signed_in  # noqa: F401 (the fixture: one Chromium for the module)
from tests.test_letter_verify import issue_letter

pytestmark = pytest.mark.e2e

SIZES = {
    "phone": PHONE,
    "kiosk": {"viewport": {"width": 1280, "height": 800}, "has_touch": True},
    "tv": {"viewport": {"width": 1920, "height": 1080}},
}
# Routes that are not pages: fragments and JSON a page's script fetches, files, and an old
# address that redirects. The first-run wizard has its own browser test (test_e2e), which
# photographs it before the village exists; once set up, its addresses lead to the console.
NOT_PAGES = {
    "admin.counter_live": "the counter page's live fragment",
    "board.live": "the board's live fragment",
    "public.ticket_live": "the ticket page's live fragment",
    "kiosk.printing": "the kiosk ticket's receipt fragment",
    "backups_admin.state": "the restore page's JSON",
    "backups_admin.download": "a backup file",
    "budget_admin.csv": "a CSV file",
    "budget.csv": "a CSV file",
    "stats_admin.csv_export": "a CSV file",
    "content_admin.export_pack": "a ZIP file",
    "info.document_file": "a PDF file",
    "media.serve": "an uploaded picture",
    "public.logo": "the village's logo",
    "board.voice": "a voice clip",
    "board.old_address": "redirects to /display",
    "complaints.track": "the tracking box's action: redirects to the complaint's page",
    "letters.track": "the tracking box's action: redirects to the letter request's page",
    "letters_admin.register_csv": "a CSV file",
}


# Pages that lead elsewhere by design, and where to.
REDIRECTS = {"/admin/content/village/": "/admin/content/village/1"}  # one village: its form


def is_page(rule):
    """Whether the gallery photographs ``rule``: a GET page that is not in NOT_PAGES."""
    return (
        "GET" in rule.methods
        and not rule.rule.startswith(("/api/", "/static/"))
        and rule.endpoint not in NOT_PAGES
        and not rule.endpoint.startswith("setup.")
    )


def first(session, column):
    """The first value of ``column`` in the demo village (the pages show real records)."""
    return session.scalars(select(column).order_by(column).limit(1)).one()


def samples(balai, ticket_id, pairing_code):
    """Real values for every page's address arguments: ``{endpoint: [values, ...]}``."""
    with balai.db.read() as session:
        year = first(session, BudgetYear.year)
        found = {
            "admin.counter": [{"counter_id": first(session, Counter.id)}],
            "budget_admin.edit": [{"year": year}],
            "budget.year": [{"year": year}],
            "complaints_admin.complaint": [{"complaint_id": first(session, Complaint.id)}],
            "complaints.status": [{"code": first(session, Complaint.code)}],
            "content_admin.listing": [{"kind": kind} for kind in KINDS],
            "content_admin.new": [{"kind": name} for name, kind in KINDS.items() if kind.creatable],
            "content_admin.edit": [
                {"kind": name, "row_id": first(session, kind.model.id)} for name, kind in KINDS.items()
            ],
            "votes_admin.detail": [{"poll_id": first(session, Poll.id)}],
            "votes_admin.edit": [{"poll_id": first(session, Poll.id)}],
            "votes.poll": [{"poll_id": first(session, Poll.id)}],
            "users_admin.official": [{"user_id": first(session, User.id)}],
            "info.letter": [{"code": first(session, LetterType.code)}],
            "letters_admin.request_page": [{"request_id": first(session, LetterRequest.id)}],
            "letters_admin.template": [{"type_id": first(session, LetterType.id)}],
            "info.news_item": [{"item_id": first(session, KINDS["announcement"].model.id)}],
            "info.business": [{"business_id": first(session, Business.id)}],
            "kiosk.service": [{"code": first(session, Service.code)}],
            "letters.form": [{"type_code": first(session, LetterType.code)}],
            "letters.status": [{"code": first(session, LetterRequest.code)}],
            "kiosk.letter_form": [{"type_code": first(session, LetterType.code)}],
            "kiosk.letter_sent": [{"code": first(session, LetterRequest.code)}],
        }
    found["kiosk.ticket"] = found["public.ticket"] = [{"ticket_id": ticket_id}]
    found["kiosk.pair_page"] = [{"code": pairing_code}]
    return found


def pages(app, values):
    """``(name, path)`` for every page; fails naming a page whose arguments have no sample."""
    found, missing = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not is_page(rule):
            continue
        if not rule.arguments:
            found.append((file_name(rule.rule, {}), rule.rule))
        elif rule.endpoint in values:
            found += [(file_name(rule.rule, v), rule.build(v, append_unknown=False)[1]) for v in values[rule.endpoint]]
        else:
            missing.append(rule.endpoint)
    assert missing == [], f"pages with no sample values in tests/test_screenshots.py: {missing}"
    return found


def file_name(rule, values):
    """A screenshot's name that stays the same from run to run: the route with its arguments
    named, but for the content kind, which tells the pages apart
    (/admin/content/<kind>/<int:row_id> → admin-content-event-row_id)."""
    named = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]) if m[1] == "kind" else m[1], rule)
    return re.sub(r"[^A-Za-z0-9_]+", "-", named).strip("-") or "home"


def test_every_page_at_every_size(browser, app, server, queue, kiosk):  # noqa: F811 (the imported fixture)
    """Each page on a phone, the kiosk and the TV: answers 200, does not scroll sideways, and
    leaves its screenshot in var/screenshots/pages/<size>/."""
    ticket = queue.issue("surat")
    # The demo has no letters: one request, issued, for the letter pages (before ``samples``).
    _request, verify_code, _number = issue_letter(app.extensions["balai"])
    values = samples(app.extensions["balai"], ticket["id"], kiosk[2])
    values["letter_verify.verify"] = [{"verify_code": verify_code}]
    walk = pages(app, values)
    problems, count = [], 0
    shutil.rmtree(SHOTS / "pages", ignore_errors=True)  # no picture of a page that is gone
    for size, options in SIZES.items():
        folder = SHOTS / "pages" / size
        folder.mkdir(parents=True, exist_ok=True)
        visitor = browser.new_context(**options)
        official, _ = signed_in(browser, server, "admin", **options)
        for name, path in walk:
            console = path.startswith("/admin") and path != "/admin/login"
            page = (official if console else visitor).new_page()
            response = page.goto(server + path)
            if response.status != 200 or response.url != server + REDIRECTS.get(path, path):
                problems.append(f"{size} {path}: HTTP {response.status} at {response.url}")
            width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if width[0] > width[1] + 1:
                problems.append(f"{size} {path}: scrolls sideways ({width[0]} px wide in {width[1]})")
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            page.close()
            count += 1
        visitor.close()
        official.close()
    print(f"\n{count} screenshots of {len(walk)} pages in {SHOTS / 'pages'}: {len(problems)} problem(s)")
    print(*problems, sep="\n  ")
    assert problems == []
