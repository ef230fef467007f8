"""Checking a printed letter by its QR code: the village's page, the district hub's page (a real
hub process the village syncs with), what the hub keeps, and the retention that deletes the
residents' details (the worker's round and ``python -m portal purge``)."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, select, text, update

from hub import create_app as create_hub
from hub import ingest, villages
from hub.models import Letter
from portal import config, create_app, make_balai
from portal.domain import letter_register, letter_requests
from portal.housekeeping import run_once
from portal.models import AuditEntry, IssuedLetter, LetterRequest, LetterType, Officer, OutboxEvent
from portal.sync import sync_round
from portal.web.letter_verify import verify_url
from tests.conftest import MONDAY_9AM, settings_for
from tests.hub_process import ROOT
from tests.test_letter_domain import ANSWERS, NIK, OFFICIAL
from tests.test_sync_faults import hub  # noqa: F401 (the fixture: a real hub process for the module)

CODE = "3203112005"  # the demo village's code
HUB_NAME = "Desa Sukamaju (Kab. Cianjur)"  # as the district registered it: the hub's page names it so
FULL_NAME = ANSWERS["nama"]
MASKED = letter_requests.mask_name(FULL_NAME)


def issue_letter(balai):
    """Ask for a domisili letter with the standard answers and issue it, signed by the first
    official; returns ``(request id, verification code, number)``."""
    now = balai.clock.now()
    with balai.db.write() as session:
        letter_type = session.scalar(select(LetterType).where(LetterType.code == "domisili"))
        request = letter_requests.submit(session, letter_type, ANSWERS, now=now)
        signer = session.scalar(select(Officer.id).order_by(Officer.position, Officer.id))
        letter = letter_register.issue(session, request, signer, OFFICIAL, now)
        return request.id, letter.verify_code, letter.number


def void_letter(balai, verify_code):
    """Void the letter with ``verify_code``."""
    with balai.db.write() as session:
        letter = letter_register.by_verify_code(session, verify_code)
        letter_register.void(session, letter, "Salah ketik alamat", OFFICIAL, balai.clock.now())


def english(client, path):
    """GET ``path`` in English; returns ``(status, html)``."""
    response = client.get(path, query_string={"lang": "en"})
    return response.status_code, response.get_data(as_text=True)


def assert_nothing_personal(html):
    """The page names the resident only masked."""
    assert NIK not in html and FULL_NAME not in html and "Aminah" not in html
    assert ANSWERS["keperluan"] not in html and "Dusun I" not in html


# -- the village's page -------------------------------------------------------------------------


def test_a_registered_letter_is_confirmed_with_the_masked_name_only(balai, client):
    """What does the QR's page say of a valid letter? Registered, with its number, date, type,
    the masked name and the village; never the NIK, the full name or the other answers."""
    _request, code, number = issue_letter(balai)
    status, html = english(client, f"/letters/verify/{code}")
    assert status == 200
    assert 'class="card verdict valid"' in html and "VOID" not in html
    assert number in html and MASKED in html and "Sukamaju" in html
    assert "23 November 2026" in html  # the letter's date, written as the letter writes it
    assert "Surat Keterangan Domisili" in html
    assert_nothing_personal(html)
    # typed by hand: dashes and lower case are fine
    assert english(client, f"/letters/verify/{code[:4].lower()}-{code[4:]}")[0] == 200


def test_a_voided_letter_says_void_with_its_date_but_not_why(balai, client, clock):
    """A voided letter: VOID and the day it was voided; the reason is internal."""
    _request, code, number = issue_letter(balai)
    clock.advance(days=2)
    void_letter(balai, code)
    status, html = english(client, f"/letters/verify/{code}")
    assert status == 200
    assert 'class="card verdict void"' in html and "VOID" in html
    assert "25 November 2026" in html and number in html
    assert "Salah ketik" not in html
    assert_nothing_personal(html)


def test_an_unknown_code_is_a_friendly_404(client):
    """A code not in the register: 404, saying so, with the village named."""
    status, html = english(client, "/letters/verify/ZZZZZZZZZZZZ")
    assert status == 404
    assert "ZZZZZZZZZZZZ" in html and "Sukamaju" in html and 'role="alert"' in html


def test_the_qr_address_is_the_hub_when_the_village_syncs(app, data_dir, clock):
    """Where does the QR lead? To this portal's page, or to the hub's when BALAI_UPSTREAM_URL is set."""
    with app.test_request_context(base_url="http://10.42.0.1"):
        local = verify_url("ABCDEFGHJKMN")
    assert local == "http://10.42.0.1/letters/verify/ABCDEFGHJKMN"
    assert app.url_map.bind("10.42.0.1").match(urlsplit(local).path)[0] == "letter_verify.verify"
    synced = create_app(overrides=settings_for(data_dir, BALAI_UPSTREAM_URL="https://hub.cianjur.example/"))
    with synced.test_request_context(base_url="http://10.42.0.1"):
        assert verify_url("ABCDEFGHJKMN") == "https://hub.cianjur.example/verify/ABCDEFGHJKMN"
    synced.extensions["balai"].db.dispose()
    public = create_app(overrides=settings_for(data_dir, BALAI_PUBLIC_URL="http://balai.desa/"))
    with public.test_request_context(base_url="http://10.42.0.1"):
        assert verify_url("ABCDEFGHJKMN") == "http://balai.desa/letters/verify/ABCDEFGHJKMN"
    public.extensions["balai"].db.dispose()


def test_only_the_verification_record_travels_to_the_district(balai, clock):
    """What leaves the village about a letter? The verification record (masked name), nothing personal."""
    _request, code, number = issue_letter(balai)
    void_letter(balai, code)
    with balai.db.read() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.kind.like("letter.%"))).all()
        sent = {row.kind: json.loads(row.payload) for row in rows}
    assert sent["letter.issued"] == {
        "letter": code,
        "number": number,
        "type": "Surat Keterangan Domisili",
        "issued_on": "2026-11-23",
        "name": MASKED,
        "voided_on": None,
    }
    assert sent["letter.voided"] == {"letter": code, "voided_on": "2026-11-23"}
    everything = json.dumps(sent)
    assert NIK not in everything and FULL_NAME not in everything and "Salah ketik" not in everything


# -- the district hub ---------------------------------------------------------------------------


def fetch(url):
    """GET ``url`` in English from outside (no cookie, no sign-in); returns ``(status, html)``."""
    try:
        with urllib.request.urlopen(url + "?lang=en", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_hub_confirms_and_voids_a_synced_letter_without_a_sign_in(hub, data_dir, clock):  # noqa: F811
    """Issued, synced: the hub's public page confirms the letter with the village's name as the
    district registered it. Voided, synced again: VOID. The hub keeps no NIK and no full name."""
    key = hub.add_village(CODE, HUB_NAME)
    overrides = settings_for(data_dir, BALAI_UPSTREAM_URL=hub.url, BALAI_UPSTREAM_KEY=key, BALAI_CAPTIVE="off")
    balai = make_balai(config.load(overrides=overrides), clock)
    try:
        _request, code, number = issue_letter(balai)
        page = f"{hub.url}/verify/{code}"
        status, html = fetch(page)  # not synced yet: the hub does not know it
        assert status == 404 and "village office" in html and "internet" in html
        assert sync_round(balai, force=True)["sync"] == "ok"
        status, html = fetch(page)
        assert status == 200, html
        assert 'class="card verdict valid"' in html
        assert number in html and MASKED in html and HUB_NAME in html and "23 November 2026" in html
        assert_nothing_personal(html)
        clock.advance(days=1)
        void_letter(balai, code)
        assert sync_round(balai, force=True)["sync"] == "ok"
        status, html = fetch(page)
        assert status == 200 and "VOID" in html and "24 November 2026" in html and "Salah ketik" not in html
        with hub.store() as store, store.read() as session:
            row = session.get(Letter, code)
            stored = [row.code, row.number, row.type_name, row.issued_on, row.masked_name, row.voided_on]
            events = session.execute(text("SELECT data FROM events WHERE kind LIKE 'letter.%'")).scalars().all()
        assert stored[3:] == [datetime(2026, 11, 23).date(), MASKED, datetime(2026, 11, 24).date()]
        kept = json.dumps([str(value) for value in stored]) + "".join(events)
        assert NIK not in kept and FULL_NAME not in kept
    finally:
        balai.db.dispose()


def hub_event(kind, data):
    """One event as a village's outbox sends it."""
    return {"id": uuid.uuid4().hex, "kind": kind, "at": "2026-11-23T02:00:00.000000Z", "data": data}


GOOD = {
    "letter": "ABCDEFGHJKMN",
    "number": "470/001/DS-SKM/XI/2026",
    "type": "Surat Keterangan Domisili",
    "issued_on": "2026-11-23",
    "name": "S*** A*****",
    "voided_on": None,
}


@pytest.fixture
def hub_app(tmp_path):
    """The hub in this process, on a fresh database with two villages."""
    app = create_hub(overrides={"BALAI_HUB_DATA_DIR": str(tmp_path / "hub")})
    store = app.extensions["hub"].store
    store.migrate()
    with store.write() as session:
        villages.add(session, CODE, "Sukamaju", MONDAY_9AM)
        villages.add(session, "3203112006", "Sukamakmur", MONDAY_9AM)
    yield app
    store.dispose()


def take(app, code, events):
    """Ingest ``events`` from village ``code``; returns the hub's answer."""
    with app.extensions["hub"].store.write() as session:
        return ingest.ingest(session, villages.by_code(session, code), {"events": events}, MONDAY_9AM)


def letters_on(app):
    """The hub's letters table as ``{code: (village id, number, masked name, voided on)}``."""
    with app.extensions["hub"].store.read() as session:
        rows = session.scalars(select(Letter)).all()
    return {r.code: (r.village_id, r.number, r.masked_name, r.voided_on) for r in rows}


@pytest.mark.parametrize(
    "kind, data",
    [
        ("letter.issued", {**GOOD, "letter": "ABC"}),  # too short
        ("letter.issued", {**GOOD, "letter": "ABCDEFGHJKM0"}),  # 0 is not in the alphabet
        ("letter.issued", {**GOOD, "letter": 123456789012}),
        ("letter.issued", {**GOOD, "number": 470}),
        ("letter.issued", {**GOOD, "number": ""}),
        ("letter.issued", {**GOOD, "number": "4" * 121}),
        ("letter.issued", {**GOOD, "type": None}),
        ("letter.issued", {**GOOD, "name": "S" * 161}),
        ("letter.issued", {**GOOD, "name": ["S***"]}),
        ("letter.issued", {**GOOD, "issued_on": "23-11-2026"}),
        ("letter.issued", {**GOOD, "issued_on": 20261123}),
        ("letter.issued", {**GOOD, "voided_on": "kemarin"}),
        ("letter.issued", {key: value for key, value in GOOD.items() if key != "issued_on"}),
        ("letter.voided", {"letter": "ABCDEFGHJKMN", "voided_on": "2026-02-30"}),
        ("letter.voided", {"letter": "ABCDEFGHJKMN"}),
        ("letter.voided", {"letter": "abc", "voided_on": "2026-11-24"}),
    ],
)
def test_a_malformed_letter_event_is_kept_but_skipped_and_the_batch_goes_on(hub_app, kind, data):
    """Does a bad letter event block the village's outbox? No: the batch is taken, the bad event is
    kept but not applied, and the good events around it are."""
    other = {**GOOD, "letter": "PQRSTUVWXYZ2"}
    batch = [hub_event("letter.issued", GOOD), hub_event(kind, data), hub_event("letter.issued", other)]
    answer = take(hub_app, CODE, batch)
    assert answer["accepted"] == 3
    stored = letters_on(hub_app)
    assert set(stored) == {"ABCDEFGHJKMN", "PQRSTUVWXYZ2"}
    assert stored["ABCDEFGHJKMN"][1:] == (GOOD["number"], GOOD["name"], None)


def test_a_village_cannot_overwrite_or_void_another_villages_letter(hub_app):
    """The verification code is the page's only key: a second village sending the same code
    changes nothing of the first one's letter."""
    take(hub_app, CODE, [hub_event("letter.issued", GOOD)])
    intruder = {**GOOD, "number": "999/999/X/I/2026", "name": "X***"}
    take(hub_app, "3203112006", [hub_event("letter.issued", intruder)])
    take(hub_app, "3203112006", [hub_event("letter.voided", {"letter": GOOD["letter"], "voided_on": "2026-11-24"})])
    assert letters_on(hub_app)[GOOD["letter"]][1:] == (GOOD["number"], GOOD["name"], None)
    take(hub_app, CODE, [hub_event("letter.voided", {"letter": GOOD["letter"], "voided_on": "2026-11-24"})])
    assert str(letters_on(hub_app)[GOOD["letter"]][3]) == "2026-11-24"


def test_the_hub_page_needs_no_sign_in(hub_app):
    """Anyone may check a letter on the hub, without a session (every other dashboard page still
    asks for one: tests/test_routes_access.py walks them all)."""
    take(hub_app, CODE, [hub_event("letter.issued", GOOD)])
    client = hub_app.test_client()
    status, html = english(client, "/verify/ABCDEFGHJKMN")
    assert status == 200 and "Sukamaju" in html and GOOD["number"] in html and GOOD["name"] in html
    status, html = english(client, "/verify/ZZZZZZZZZZZZ")
    assert status == 404 and "ZZZZZZZZZZZZ" in html and "village office" in html
    assert client.get("/").status_code == 302


# -- retention ----------------------------------------------------------------------------------


def purge_entries(balai):
    """The audit log's retention entries, as their details."""
    with balai.db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "letter_request.purge")).all()
    return [(row.username, json.loads(row.detail)) for row in rows]


def test_the_workers_round_deletes_the_details_past_the_retention(balai, client, clock):
    """After the village's retention (365 days) the worker empties the answers and the letter's
    text, once, audited; the letter still verifies by its masked name."""
    request_id, code, number = issue_letter(balai)
    assert run_once(balai.db, clock)["letter_requests_purged"] == 0
    assert purge_entries(balai) == []
    clock.advance(days=400)
    assert run_once(balai.db, clock)["letter_requests_purged"] == 1
    assert run_once(balai.db, clock)["letter_requests_purged"] == 0
    assert purge_entries(balai) == [("system", {"requests": 1})]
    with balai.db.read() as session:
        request = session.get(LetterRequest, request_id)
        letter = letter_register.by_verify_code(session, code)
        assert (request.answers, request.purged_at, letter.body) == ("{}", clock.now(), "[]")
    status, html = english(client, f"/letters/verify/{code}")
    assert status == 200 and number in html and MASKED in html


def test_the_retention_query_uses_an_index(balai, clock):
    """Is the round's retention check cheap however many requests there are? Its query is answered
    from an index, not by reading the whole table."""
    seen = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM letter_requests" in statement and "purged_at IS NULL" in statement:
            seen.append((statement, parameters))

    event.listen(balai.db.engine, "before_cursor_execute", capture)
    try:
        run_once(balai.db, clock)
    finally:
        event.remove(balai.db.engine, "before_cursor_execute", capture)
    assert len(seen) == 1
    with balai.db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1]).all()
    details = " ".join(row[-1] for row in plan)
    assert "ix_letter_requests_purge" in details and "SCAN letter_requests" not in details, details


def test_python_m_portal_purge_deletes_them_at_once(balai, data_dir):
    """``python -m portal purge``: the same now, saying how many requests lost their details."""
    request_id, _code, _number = issue_letter(balai)
    kept_id, _code, _number = issue_letter(balai)
    with balai.db.write() as session:  # untouched for years, whatever today's real date is
        old = datetime(2020, 1, 1, tzinfo=UTC)
        session.execute(update(LetterRequest).where(LetterRequest.id == request_id).values(updated_at=old))
        future = datetime(2100, 1, 1, tzinfo=UTC)  # the other one: recent by any clock
        session.execute(update(LetterRequest).where(LetterRequest.id == kept_id).values(updated_at=future))
    env = {**os.environ, "BALAI_DATA_DIR": str(data_dir)}
    run = [sys.executable, "-m", "portal", "purge"]
    done = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("letter requests: 1.")
    with balai.db.read() as session:
        purged = {r.id: r.purged_at is not None for r in session.scalars(select(LetterRequest)).all()}
        assert session.scalar(select(IssuedLetter.body).where(IssuedLetter.request_id == request_id)) == "[]"
    assert purged == {request_id: True, kept_id: False}
    assert purge_entries(balai) == [("system", {"requests": 1})]
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.stdout.strip().endswith("letter requests: 0.")
