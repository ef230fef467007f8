"""Polls and proposals: advisory votes (one per phone session or device), binding votes with
single-use codes, closing, results, and the officials' console with its audit trail.

Phones are test clients with a hotspot address; their MAC comes from a DHCP leases file, as in
test_captive.py. Pages are read in English (``?lang=en`` sets the language cookie)."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.domain import polls
from portal.domain.audit import SYSTEM
from portal.models import AuditEntry, Ballot, Poll, VotingCode, ballot_choices
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login
from tests.test_captive import PHONE_MAC, accept, hand_out

DEMO_POLL = 1  # the demo's open advisory proposals poll: up to 3 of 5 proposals
CODE = re.compile(r'<span class="slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})</span>')


@pytest.fixture
def extra():
    """Settings a test adds (tests parametrize this)."""
    return {}


@pytest.fixture
def overrides(data_dir, extra):
    leases = data_dir / "dnsmasq.leases"
    hand_out(leases, PHONE_MAC)
    return {"BALAI_DHCP_LEASES": str(leases), **extra}


def english(client):
    """Read pages in English from now on (the language cookie)."""
    client.get("/?lang=en")
    return client


@pytest.fixture
def phone(app):
    """A phone on the hotspot, reading English."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = HOTSPOT_ADDRESS
    return english(client)


@pytest.fixture
def editor(client):
    """The console, signed in as the demo editor."""
    login(client, "editor")
    return english(client)


def option_ids(balai, poll_id):
    with balai.db.read() as session:
        return [o.id for o in polls.load(session, poll_id).options]


def ballots(balai, poll_id=DEMO_POLL):
    """The poll's ballots as ``[(voter, sorted option ids)]``."""
    with balai.db.read() as session:
        rows = session.scalars(select(Ballot).where(Ballot.poll_id == poll_id).order_by(Ballot.id)).all()
        return [
            (
                b.voter,
                sorted(session.scalars(select(ballot_choices.c.option_id).where(ballot_choices.c.ballot_id == b.id))),
            )
            for b in rows
        ]


def make_poll(balai, status="open", **fields):
    """A poll made through the domain (the console's own path is tested separately)."""
    values = {
        "title": "Hari kerja bakti",
        "description": "",
        "kind": "question",
        "binding": False,
        "max_choices": 1,
        "closes_at": None,
        "options": "Sabtu\nMinggu",
        **fields,
    }
    with balai.db.write() as session:
        poll = polls.save(session, SYSTEM, balai.clock.now(), values)
        if status == "open":
            polls.open_poll(session, SYSTEM, balai.clock.now(), poll.id)
        return poll.id


def vote(client, poll_id, options, **form):
    return client.post(f"/polls/{poll_id}", data={"option": [str(o) for o in options], **form})


def audit_actions(balai, poll_id):
    with balai.db.read() as session:
        return session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == f"poll:{poll_id}").order_by(AuditEntry.id)
        ).all()


# Advisory polls: one vote per phone.


def test_phone_with_a_wifi_session_votes_once(phone, balai):
    """With the captive portal on, does an accepted phone vote once, a second time get 409 and
    change nothing, and is the ballot keyed by its hotspot session?"""
    accept(phone)
    first = vote(phone, DEMO_POLL, [1, 3])
    assert first.status_code == 303
    page = phone.get(first.headers["Location"]).get_data(as_text=True)
    assert "Thank you: your vote was recorded." in page
    assert 'name="option"' not in page  # no second form
    again = vote(phone, DEMO_POLL, [2])
    assert again.status_code == 409
    assert "You have already voted in this poll." in again.get_data(as_text=True)
    session_id = balai.captive.session_of(HOTSPOT_ADDRESS, PHONE_MAC).id
    assert ballots(balai) == [(f"session:{session_id}", [1, 3])]
    assert "You have already voted in this poll." in phone.get(f"/polls/{DEMO_POLL}").get_data(as_text=True)


def test_phone_without_a_wifi_session_is_sent_to_accept_the_terms(phone, balai):
    """A phone on the hotspot that has not accepted: told to accept first, with a link, no ballot."""
    page = phone.get(f"/polls/{DEMO_POLL}").get_data(as_text=True)
    assert "accept the terms of the village Wi-Fi" in page and 'href="/wifi"' in page
    assert 'name="option"' not in page
    response = vote(phone, DEMO_POLL, [1])
    assert response.status_code == 422
    assert 'href="/wifi"' in response.get_data(as_text=True)
    assert ballots(balai) == []


@pytest.mark.parametrize("extra", [{"BALAI_CAPTIVE": "off"}])
def test_without_captive_portal_a_device_cookie_counts_once(phone, app, balai, extra):
    """Without the captive portal, is a random HttpOnly cookie (only its hash stored) the voter,
    once per device, while another device still votes?"""
    response = vote(phone, DEMO_POLL, [2])
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("balai_voter="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert vote(phone, DEMO_POLL, [3]).status_code == 409
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.42.0.77"
    assert vote(other, DEMO_POLL, [3]).status_code == 303
    rows = ballots(balai)
    assert rows[0] == ("device:" + hashlib.sha256(token.encode()).hexdigest()[:40], [2])
    assert len(rows) == 2 and rows[1][0] != rows[0][0]
    assert all(token not in voter for voter, _ in rows)


def test_advisory_and_binding_labels(phone, balai):
    """Are residents told plainly what kind of vote this is?"""
    html = phone.get(f"/polls/{DEMO_POLL}").get_data(as_text=True)
    assert "Advisory: the result helps the village decide but is not binding; one vote per phone" in html
    binding = make_poll(balai, binding=True)
    assert "voting code" in phone.get(f"/polls/{binding}").get_data(as_text=True)


@pytest.mark.parametrize(
    "choices",
    [[1, 2, 3, 4], [], [1, 1], ["x"]],
    ids=["too-many", "none", "twice", "not-a-number"],
)
def test_wrong_choices_are_refused(client, balai, choices):
    """More than max_choices, none, the same option twice, garbage: refused, nothing stored."""
    english(client)
    response = vote(client, DEMO_POLL, choices)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert ballots(balai) == []


def test_option_of_another_poll_is_refused(client, balai):
    other = make_poll(balai)
    foreign = option_ids(balai, other)[0]
    assert vote(client, DEMO_POLL, [1, foreign]).status_code == 400
    assert vote(client, other, [1]).status_code == 400
    assert ballots(balai) == [] and ballots(balai, other) == []


def test_question_takes_one_answer(client, balai):
    poll_id = make_poll(balai, max_choices=5)  # a question: always one answer
    html = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert 'type="radio"' in html and 'type="checkbox"' not in html
    assert vote(client, poll_id, option_ids(balai, poll_id)).status_code == 400
    assert vote(client, poll_id, option_ids(balai, poll_id)[:1]).status_code == 303


def test_vote_from_another_site_is_refused(client, balai):
    response = client.post(f"/polls/{DEMO_POLL}", data={"option": "1"}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert ballots(balai) == []


# Binding polls: single-use codes.


def binding_poll_with_codes(editor, balai, count=3):
    """A binding poll opened through the console, and the codes of its printed sheet."""
    poll_id = make_poll(balai, binding=True, title="Pemilihan lokasi pasar desa", options="Dusun I\nDusun II")
    html = editor.get(f"/admin/polls/{poll_id}").get_data(as_text=True)
    sheet = editor.post(f"/admin/polls/{poll_id}/codes", data={"count": count, "csrf_token": csrf_from(html)})
    assert sheet.status_code == 200
    assert sheet.headers["Cache-Control"] == "no-store"
    text = sheet.get_data(as_text=True)
    assert "Pemilihan lokasi pasar desa" in text and f"Vote at 10.42.0.1/polls/{poll_id}<" in text
    return poll_id, CODE.findall(text)


def test_codes_are_shown_once_and_stored_hashed(editor, balai):
    poll_id, codes = binding_poll_with_codes(editor, balai, count=5)
    assert len(set(codes)) == 5
    assert all(set(c.replace("-", "")) <= set(polls.CODE_ALPHABET) for c in codes)
    with balai.db.read() as session:
        stored = session.scalars(select(VotingCode.code_hash).where(VotingCode.poll_id == poll_id)).all()
    assert sorted(stored) == sorted(hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes)
    # Not recoverable: the console's poll page shows counts, not codes.
    page = editor.get(f"/admin/polls/{poll_id}").get_data(as_text=True)
    assert "5 made, 0 used." in page
    assert not any(c in page for c in codes)


def test_a_code_votes_once(editor, app, balai):
    poll_id, codes = binding_poll_with_codes(editor, balai)
    kiosk = english(app.test_client())  # codes work from any device, the hall's kiosk too
    first, second = option_ids(balai, poll_id)
    assert vote(kiosk, poll_id, [first], code=codes[0]).status_code == 303
    again = vote(kiosk, poll_id, [second], code=codes[0])
    assert again.status_code == 409
    assert "This voting code has already been used." in again.get_data(as_text=True)
    # Lower case without the dash, from the same device: another code is another voter.
    assert vote(kiosk, poll_id, [second], code=codes[1].replace("-", "").lower()).status_code == 303
    with balai.db.read() as session:
        used = session.scalars(select(VotingCode).where(VotingCode.used_at.is_not(None))).all()
    assert ballots(balai, poll_id) == [(f"code:{used[0].id}", [first]), (f"code:{used[1].id}", [second])]
    assert all(u.used_at == balai.clock.now() for u in used)


def test_unknown_missing_and_other_polls_codes_are_refused(editor, client, balai):
    poll_id, codes = binding_poll_with_codes(editor, balai)
    other_id, other_codes = binding_poll_with_codes(editor, balai)
    option = option_ids(balai, poll_id)[0]
    wrong = vote(client, poll_id, [option], code=other_codes[0])
    assert wrong.status_code == 422 and "belongs to another poll" in wrong.get_data(as_text=True)
    unknown = vote(client, poll_id, [option], code="ABCD-EFGH")
    assert unknown.status_code == 422 and "not known" in unknown.get_data(as_text=True)
    assert vote(client, poll_id, [option], code="").status_code == 400
    # A bad choice does not use the code up.
    assert vote(client, poll_id, [], code=codes[0]).status_code == 400
    assert ballots(balai, poll_id) == [] and ballots(balai, other_id) == []
    with balai.db.read() as session:
        assert session.scalar(select(func.count()).where(VotingCode.used_at.is_not(None))) == 0
    assert vote(client, other_id, [option_ids(balai, other_id)[0]], code=other_codes[0]).status_code == 303


def test_codes_only_for_binding_polls_and_in_range(editor, balai):
    html = editor.get(f"/admin/polls/{DEMO_POLL}").get_data(as_text=True)
    token = csrf_from(html)
    refused = editor.post(f"/admin/polls/{DEMO_POLL}/codes", data={"count": 5, "csrf_token": token})
    assert refused.status_code == 303
    assert "only for binding polls" in editor.get(refused.headers["Location"]).get_data(as_text=True)
    binding = make_poll(balai, binding=True)
    for count in (0, 501, "x"):
        response = editor.post(f"/admin/polls/{binding}/codes", data={"count": count, "csrf_token": token})
        assert response.status_code == 303
    with balai.db.read() as session:
        assert session.scalar(select(func.count()).select_from(VotingCode)) == 0


# Drafts, closing and results.


def test_drafts_are_invisible_to_residents(client, balai):
    draft = make_poll(balai, status="draft", title="Rahasia dapur")
    assert "Rahasia dapur" not in client.get("/polls").get_data(as_text=True)
    assert client.get(f"/polls/{draft}").status_code == 404
    assert vote(client, draft, option_ids(balai, draft)[:1]).status_code == 404
    assert ballots(balai, draft) == []


def test_closed_polls_refuse_votes(editor, client, balai):
    html = editor.get(f"/admin/polls/{DEMO_POLL}").get_data(as_text=True)
    assert editor.post(f"/admin/polls/{DEMO_POLL}/close", data={"csrf_token": csrf_from(html)}).status_code == 303
    response = vote(client, DEMO_POLL, [1])
    assert response.status_code == 422
    page = client.get(f"/polls/{DEMO_POLL}").get_data(as_text=True)
    assert "Voting is closed." in page and 'name="option"' not in page
    assert ballots(balai) == []


def test_a_poll_past_its_closing_time_is_closed(client, balai, clock):
    poll_id = make_poll(balai, closes_at=clock.now() + timedelta(hours=2))
    options = option_ids(balai, poll_id)
    assert "23 November 2026 11.00" in client.get(f"/polls/{poll_id}").get_data(as_text=True)  # WIB
    assert vote(client, poll_id, options[:1]).status_code == 303
    clock.advance(hours=2)
    other = client.application.test_client()
    assert vote(other, poll_id, options[1:]).status_code == 422
    with balai.db.read() as session:
        assert polls.state(session.get(Poll, poll_id), clock.now()) == "closed"
        assert [p["id"] for p in polls.public_polls(session, clock.now())[0]] == [DEMO_POLL]
    assert len(ballots(balai, poll_id)) == 1


def test_results_are_hidden_until_published(editor, app, balai):
    poll_id = make_poll(balai, title="Jam buka posyandu", options="Pagi\nSore")
    morning, evening = option_ids(balai, poll_id)
    for address, choice in (("10.0.0.5", morning), ("10.0.0.6", morning), ("10.0.0.7", evening)):
        voter = app.test_client()
        voter.environ_base["REMOTE_ADDR"] = address
        assert vote(voter, poll_id, [choice]).status_code == 303
    resident = english(app.test_client())
    assert "2 · 67%" not in resident.get(f"/polls/{poll_id}").get_data(as_text=True)
    official = editor.get(f"/admin/polls/{poll_id}").get_data(as_text=True)
    assert "3 people voted" in official and "2 · 67%" in official and "1 · 33%" in official
    assert 'width="67"' in official  # the bar, drawn by the server
    html = editor.post(f"/admin/polls/{poll_id}/publish", data={"csrf_token": csrf_from(official)})
    assert html.status_code == 303
    page = resident.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "2 · 67%" in page and "style=" not in page
    # Closed with public results: listed under the results.
    editor.post(f"/admin/polls/{poll_id}/close", data={"csrf_token": csrf_from(official)})
    listing = resident.get("/polls").get_data(as_text=True)
    assert listing.index("Results") < listing.index("Jam buka posyandu")


# The console.


def test_console_is_for_editors_only(app, client, phone):
    assert phone.get("/admin/polls/").status_code == 404
    assert client.get("/admin/polls/").status_code == 302  # sign in first
    login(client, "operator")
    assert client.get("/admin/polls/").status_code == 403
    assert client.post(f"/admin/polls/{DEMO_POLL}/close").status_code in (400, 403)
    admin = app.test_client()
    login(admin, "admin")
    assert admin.get("/admin/polls/").status_code == 200


def test_create_open_edit_with_local_time_and_audit(editor, balai):
    """The console's whole path: a proposals poll with descriptions and a closing time typed in
    village time (WIB, UTC+7), opened and published, every step in the audit log."""
    token = csrf_from(editor.get("/admin/polls/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "title": "Usulan RT 03",
        "description": "Pilih dua.",
        "kind": "proposals",
        "max_choices": "2",
        "closes_at": "2026-11-30T17:00",
        "options": "Gorong-gorong — saluran di depan masjid\nPos ronda - atap baru\nTaman bacaan",
    }
    response = editor.post("/admin/polls/new", data=form)
    assert response.status_code == 303
    poll_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with balai.db.read() as session:
        poll = polls.load(session, poll_id)
        assert (poll.status, poll.binding, poll.max_choices) == ("draft", False, 2)
        assert poll.closes_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        assert [(o.label, o.description) for o in poll.options] == [
            ("Gorong-gorong", "saluran di depan masjid"),
            ("Pos ronda", "atap baru"),
            ("Taman bacaan", ""),
        ]
    edit = editor.get(f"/admin/polls/{poll_id}/edit").get_data(as_text=True)
    assert 'value="2026-11-30T17:00"' in edit and "Gorong-gorong — saluran di depan masjid" in edit
    editor.post(f"/admin/polls/{poll_id}/open", data={"csrf_token": token})
    editor.post(f"/admin/polls/{poll_id}/publish", data={"csrf_token": token})
    assert editor.post(f"/admin/polls/{poll_id}/edit", data={**form, "title": "Usulan RT 03/RW 01"}).status_code == 303
    editor.post(f"/admin/polls/{poll_id}/close", data={"csrf_token": token})
    assert audit_actions(balai, poll_id) == ["poll.create", "poll.open", "poll.results", "poll.update", "poll.close"]
    with balai.db.read() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "poll.update"))
    assert entry.username == "editor" and "Usulan RT 03/RW 01" in entry.detail
    binding = make_poll(balai, binding=True)
    editor.post(f"/admin/polls/{binding}/codes", data={"count": 2, "csrf_token": token})
    assert audit_actions(balai, binding)[-1] == "poll.codes"


def test_refused_form_keeps_what_was_typed(editor, balai):
    token = csrf_from(editor.get("/admin/polls/new").get_data(as_text=True))
    base = {"csrf_token": token, "title": "Kerja bakti", "kind": "question", "max_choices": "1", "closes_at": ""}
    for options, status, text in (
        ("Sabtu", 400, "at least 2"),
        ("Sabtu\nsabtu", 400, "same name"),
    ):
        response = editor.post("/admin/polls/new", data={**base, "options": options})
        html = response.get_data(as_text=True)
        assert response.status_code == status and text in html and 'value="Kerja bakti"' in html
    past = editor.post("/admin/polls/new", data={**base, "options": "A\nB", "closes_at": "2026-11-01T08:00"})
    assert past.status_code == 400 and "closing time has passed" in past.get_data(as_text=True)
    with balai.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Poll)) == 1  # the demo's only


def test_options_are_locked_once_people_voted(editor, client, balai):
    assert vote(client, DEMO_POLL, [1]).status_code == 303
    edit = editor.get(f"/admin/polls/{DEMO_POLL}/edit").get_data(as_text=True)
    token = csrf_from(edit)
    with balai.db.read() as session:
        poll = polls.load(session, DEMO_POLL)
        form = {
            "csrf_token": token,
            "title": poll.title,
            "description": poll.description,
            "kind": "proposals",
            "max_choices": "3",
            "closes_at": "",
            "options": polls.options_text(poll),
        }
    changed = editor.post(f"/admin/polls/{DEMO_POLL}/edit", data={**form, "options": form["options"] + "\nJembatan"})
    assert changed.status_code == 409 and "already voted" in changed.get_data(as_text=True)
    assert editor.post(f"/admin/polls/{DEMO_POLL}/edit", data={**form, "max_choices": "2"}).status_code == 409
    assert editor.post(f"/admin/polls/{DEMO_POLL}/edit", data={**form, "title": "Usulan 2027"}).status_code == 303
    assert len(option_ids(balai, DEMO_POLL)) == 5
    assert ballots(balai) and audit_actions(balai, DEMO_POLL) == ["poll.update"]


def test_script_in_title_and_options_is_escaped(editor, client, balai):
    evil = "<script>alert(1)</script>"
    poll_id = make_poll(balai, title=f"Judul {evil}", options=f"Ya {evil}\nTidak", status="open")
    for page in (
        client.get(f"/polls/{poll_id}"),
        client.get("/polls"),
        editor.get(f"/admin/polls/{poll_id}"),
        editor.get("/admin/polls/"),
        editor.get(f"/admin/polls/{poll_id}/edit"),
    ):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert evil not in html and "&lt;script&gt;" in html
