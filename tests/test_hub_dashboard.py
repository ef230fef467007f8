"""The district dashboard: who signs in, who sees which village, the figures, and sending notices."""

import shutil
import sqlite3
import uuid
from datetime import timedelta

import pytest

from hub import create_app, ingest, notices, users, villages
from portal.clock import FakeClock
from portal.web.throttle import Throttle
from tests.conftest import MONDAY_9AM, csrf_from

PASSWORD = "rahasia-123"
TODAY = "2026-11-23"  # MONDAY_9AM in Jakarta
# Three villages: the staff member looks after the first two.
VILLAGES = {"3203112005": "Sukamaju", "3203112006": "Sukamakmur", "3203112007": "Cibodas"}
SUKAMAJU, SUKAMAKMUR, CIBODAS = VILLAGES


def event(kind, data, at="2026-11-23T01:30:00.000000Z"):
    """One event as a village's outbox sends it."""
    return {"id": uuid.uuid4().hex, "kind": kind, "at": at, "data": data}


def tickets(issued, waits, day=TODAY):
    """``issued`` tickets issued, the first ones served after waiting ``waits`` seconds."""
    events = [event("ticket.issued", {"ticket": f"t{n}", "day": day, "service": "surat"}) for n in range(issued)]
    events += [
        event("ticket.served", {"ticket": f"t{n}", "day": day, "service": "surat", "wait_s": wait, "service_s": 240})
        for n, wait in enumerate(waits)
    ]
    return events


SUKAMAJU_EVENTS = [
    *tickets(3, [600, 300]),
    event("complaint.received", {"complaint": "c1", "category": "infrastructure", "forwarded": True,
                                 "text": "Jalan di Dusun II berlubang"}),
    event("complaint.received", {"complaint": "c2", "category": "health", "forwarded": False}),
    event("complaint.status", {"complaint": "c2", "status": "answered"}, at="2026-11-23T01:40:00.000000Z"),
    event("printer.state", {"kiosk": "Kiosk Aula", "state": "out", "detail": "paper sensor"}),
    event("stats.daily", {"day": "2026-11-20", "services": [
        {"code": "surat", "name": "Surat Pengantar", "issued": 7, "served": 6, "skipped": 1, "cancelled": 0,
         "avg_wait_seconds": 420, "avg_service_seconds": 180}]}),
    *tickets(7, [420] * 6, day="2026-11-20"),
    event("poll.result", {"poll": 1, "title": "Sumur bor atau jalan desa?", "kind": "question", "binding": False,
                          "ballots": 42, "options": [{"label": "Sumur bor", "votes": 30},
                                                     {"label": "Jalan desa", "votes": 12}]}),
]  # fmt: skip
SUKAMAJU_HEALTH = {
    "version": "0.6.0",
    "disk_free_mb": 500,
    "disk_total_mb": 29000,
    "clock": {"synchronised": False, "offset_s": 600, "now": "2026-11-23T01:50:00+00:00"},
    "power": {"raw": "0x50005", "undervoltage_now": True, "throttled_now": True},
    "printers": [{"kiosk": "Kiosk Aula", "state": "out", "detail": ""}, {"kiosk": "Kiosk Teras", "state": "ok"}],
    "last_backup": None,
}
GOOD_HEALTH = {
    "version": "0.6.0",
    "disk_free_mb": 20480,
    "disk_total_mb": 29000,
    "clock": {"synchronised": True, "offset_s": 1},
    "power": {"undervoltage_now": False, "undervoltage_since_boot": False},
    "printers": [{"kiosk": "Kiosk", "state": "ok"}],
    "last_backup": "2026-11-22T15:00:00+00:00",
}


def populate(hub, now):
    """The three villages, an admin ("kabupaten") and a staff member ("camat") for the first two,
    and what Sukamaju and Sukamakmur have reported."""
    with hub.store.write() as session:
        rows = {code: villages.add(session, code, name, now)[0] for code, name in VILLAGES.items()}
        users.add(session, "kabupaten", PASSWORD, "admin", now)
        users.add(session, "camat", PASSWORD, "staff", now, [rows[SUKAMAJU], rows[SUKAMAKMUR]])
        ingest.ingest(session, rows[SUKAMAJU], {"events": SUKAMAJU_EVENTS, "health": SUKAMAJU_HEALTH}, now)
        ingest.ingest(session, rows[SUKAMAKMUR], {"events": tickets(4, [60]), "health": GOOD_HEALTH}, now)


def make_app(data_dir, **overrides):
    """The hub on ``data_dir`` with a clock standing at Monday 09:00 in Jakarta."""
    settings = {"BALAI_HUB_DATA_DIR": str(data_dir), "BALAI_HUB_SECURE_COOKIES": "off", **overrides}
    return create_app(overrides=settings, clock=FakeClock(MONDAY_9AM))


@pytest.fixture(scope="module")
def populated_db(tmp_path_factory):
    """A migrated, populated hub database, made once and copied into every test."""
    data_dir = tmp_path_factory.mktemp("hub-template")
    hub = make_app(data_dir).extensions["hub"]
    hub.store.migrate()
    populate(hub, MONDAY_9AM)
    hub.store.dispose()
    with sqlite3.connect(data_dir / "hub.db") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return data_dir / "hub.db"


@pytest.fixture
def hub_app(tmp_path, populated_db):
    """The hub on its own copy of the populated database, with cookies not marked Secure."""
    shutil.copy(populated_db, tmp_path / "hub.db")
    app = make_app(tmp_path)
    yield app
    app.extensions["hub"].store.dispose()


def signed_in(app, username):
    """A test client reading English, signed in as ``username``."""
    client = app.test_client()
    client.set_cookie("balai_lang", "en")
    response = sign_in(client, username, PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def sign_in(client, username, password):
    """Post the sign-in form; returns the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def send(client, **fields):
    """Post the new-notice form (``village`` may be a list of codes); returns the response."""
    token = csrf_from(client.get("/notices/new").get_data(as_text=True))
    data = {"kind": "announcement", "title": "Posyandu", "body": "Sabtu pukul 08.00", "csrf_token": token}
    return client.post("/notices/new", data={**data, **fields})


def feed(app, code):
    """What the village ``code`` would pull: its notices by title."""
    with app.extensions["hub"].store.read() as session:
        answer = notices.for_village(session, villages.by_code(session, code), 0)
    return {n["title"]: n for n in answer["notices"]}


def row_of(html, name):
    """The overview's table row of the village ``name``."""
    return next(part for part in html.split("<tr") if f">{name}</a>" in part)


@pytest.mark.parametrize("path", ["/", f"/villages/{SUKAMAJU}", "/notices", "/notices/new"])
def test_every_page_needs_a_sign_in(hub_app, path):
    """Can anyone read the dashboard without signing in? No: every page sends them to the sign-in."""
    response = hub_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_a_wrong_password_says_so_and_shows_the_form_again(hub_app):
    """Does a mistyped password explain itself? Yes, on the form again, with the username kept."""
    client = hub_app.test_client()
    client.set_cookie("balai_lang", "en")
    response = sign_in(client, "camat", "not-the-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wrong username or password." in html
    assert 'value="camat"' in html and 'name="password"' in html
    assert client.get("/").status_code == 302


def test_repeated_wrong_passwords_make_the_account_wait(hub_app):
    """Can a password be guessed at speed? After five failures even the right one must wait."""
    client = hub_app.test_client()
    client.set_cookie("balai_lang", "en")
    for _ in range(5):
        assert sign_in(client, "camat", "guess-guess").status_code == 200
    refused = sign_in(client, "camat", PASSWORD)
    assert refused.status_code == 429
    assert "Too many wrong sign-ins. Please wait 15 minutes" in refused.get_data(as_text=True)
    hub_app.extensions["hub"].clock.advance(minutes=16)
    assert sign_in(client, "camat", PASSWORD).status_code == 303


def test_guessing_from_many_addresses_still_makes_the_account_wait(hub_app):
    """Does rotating addresses (say, inside an IPv6 /64 or over many hosts) give unlimited guesses
    at one account? No: the account itself allows 20 failures a quarter hour."""
    for n in range(20):
        assert sign_in(client_from(hub_app, f"203.0.113.{n}"), "camat", "guess-guess").status_code == 200
    assert sign_in(client_from(hub_app, "198.51.100.7"), "camat", PASSWORD).status_code == 429
    same_net = [client_from(hub_app, f"2001:db8::{n}") for n in (1, 2)]
    for _ in range(3):
        sign_in(same_net[0], "kabupaten", "guess-guess")
        sign_in(same_net[1], "kabupaten", "guess-guess")
    assert sign_in(same_net[0], "kabupaten", "guess-guess").status_code == 429  # one /64, one client


def client_from(app, address):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_the_sign_in_throttle_stays_small():
    """Can failures from many addresses fill the hub's memory? No: beyond its bound it forgets."""
    throttle = Throttle({"address": 2}, timedelta(minutes=15))
    throttle.MAX_KEYS = 3
    for n in range(10):
        throttle.failed({"address": f"10.0.0.{n}"}, MONDAY_9AM + timedelta(minutes=n))
    assert len(throttle.failures) == 3
    later = MONDAY_9AM + timedelta(minutes=10)
    throttle.failed({"address": "10.0.0.9"}, later)
    assert throttle.blocked({"address": "10.0.0.9"}, later)
    assert not throttle.blocked({"address": "10.0.0.9"}, later + timedelta(minutes=16))


def test_staff_see_only_their_villages(hub_app):
    """Does a staff member see another district's village? Not in the list, and its page is a 404."""
    client = signed_in(hub_app, "camat")
    html = client.get("/").get_data(as_text=True)
    assert "Sukamaju" in html and "Sukamakmur" in html
    assert "Cibodas" not in html
    assert client.get(f"/villages/{SUKAMAJU}").status_code == 200
    hidden = client.get(f"/villages/{CIBODAS}")
    assert hidden.status_code == 404
    assert "Cibodas" not in hidden.get_data(as_text=True)
    assert client.get("/villages/9999999999").status_code == 404


def test_an_admin_sees_every_village(hub_app):
    """Does the district admin see all villages, including one that never connected?"""
    html = signed_in(hub_app, "kabupaten").get("/").get_data(as_text=True)
    for name in VILLAGES.values():
        assert f">{name}</a>" in html
    assert "Not connected yet" in row_of(html, "Cibodas")
    assert "3 villages" in html


def test_the_overview_shows_what_the_villages_reported(hub_app):
    """Are today's queue, open complaints, printer and health problems on the overview?"""
    html = signed_in(hub_app, "camat").get("/").get_data(as_text=True)
    row = row_of(html, "Sukamaju")
    # 3 issued, 2 served after 10 and 5 minutes (average 8), one complaint still open.
    assert "<td>3</td>" in row and "<td>2</td>" in row and "<td>8 min</td>" in row and "<td>1</td>" in row
    assert "Kiosk Aula: Out of paper" in row
    assert "Undervoltage" in row and "10 minutes slow" in row and "No backup yet" in row and "0.5 GB free" in row
    assert "Balai 0.6.0" in row and "just now" in row
    healthy = row_of(html, "Sukamakmur")
    assert "<td>4</td>" in healthy and "<td>1</td>" in healthy and "<td>1 min</td>" in healthy
    assert "tag" not in healthy and "All good" in healthy
    totals = html.split("<tfoot>")[1]
    # 7 issued, 3 served, waits of 600, 300 and 60 seconds: 5 minutes on average.
    assert "<td>7</td>" in totals and "<td>3</td>" in totals and "<td>5 min</td>" in totals


def test_a_village_that_went_quiet_is_flagged(hub_app):
    """Two days without contact: is it visible on the overview?"""
    hub_app.extensions["hub"].clock.advance(days=2, minutes=1)
    html = signed_in(hub_app, "camat").get("/").get_data(as_text=True)
    assert "Not heard from for 2 days" in row_of(html, "Sukamaju")
    assert "2 not heard from" in html


def test_the_drill_down_shows_the_village_in_depth(hub_app):
    """Does a village's page show health, days with their services, complaints, printers, polls?"""
    html = signed_in(hub_app, "camat").get(f"/villages/{SUKAMAJU}").get_data(as_text=True)
    assert "Undervoltage: check the power supply" in html and "0.5 GB free of 28.3 GB" in html
    assert "November 23, 2026" in html and "November 20, 2026" in html
    assert "Surat Pengantar" in html  # the daily report's breakdown by service
    assert "Jalan di Dusun II berlubang" in html and "Roads, bridges and drains" in html
    assert "The resident did not forward the text" in html and "Answered" in html
    assert "Kiosk Aula" in html and "Out of paper" in html and "Kiosk Teras" in html
    assert "Sumur bor atau jalan desa?" in html and "42 ballots" in html


def test_an_announcement_reaches_the_chosen_villages(hub_app):
    """Sent to two villages: do exactly those two receive it, with its end date and pin?"""
    client = signed_in(hub_app, "kabupaten")
    response = send(client, village=[SUKAMAJU, CIBODAS], pinned="1", expires="2026-11-30")
    assert response.status_code == 303
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent. The villages receive it the next time they sync." in listing
    assert "Posyandu" in listing and "Cibodas, Sukamaju" in listing
    notice = feed(hub_app, SUKAMAJU)["Posyandu"]
    assert notice["pinned"] is True and notice["kind"] == "announcement"
    assert notice["expires_at"] == "2026-11-30T16:59:59.000000Z"  # the end of that day in Jakarta
    assert "Posyandu" in feed(hub_app, CIBODAS)
    assert feed(hub_app, SUKAMAKMUR) == {}


def test_all_means_the_officials_own_villages(hub_app):
    """Does "all villages" mean every village for the admin, and the assigned ones for staff?"""
    send(signed_in(hub_app, "camat"), all="1", title="Rapat camat", kind="message")
    assert "Rapat camat" in feed(hub_app, SUKAMAJU) and "Rapat camat" in feed(hub_app, SUKAMAKMUR)
    assert "Rapat camat" not in feed(hub_app, CIBODAS)
    send(signed_in(hub_app, "kabupaten"), all="1", title="Libur nasional")
    assert all("Libur nasional" in feed(hub_app, code) for code in VILLAGES)


def test_staff_cannot_send_to_a_village_that_is_not_theirs(hub_app):
    """A forged checkbox for another village is ignored: with nothing else chosen, nothing is sent."""
    response = send(signed_in(hub_app, "camat"), village=CIBODAS)
    assert response.status_code == 400
    assert "Choose at least one village." in response.get_data(as_text=True)
    assert feed(hub_app, CIBODAS) == {}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "  "}, "The title is empty or longer than 200 characters."),
        ({"expires": "2026-11-22"}, "The end date must be in the future."),
        ({"expires": "next week"}, "The end date is not a date."),
        ({"village": []}, "Choose at least one village."),
    ],
)
def test_a_refused_notice_keeps_what_was_typed(hub_app, fields, error):
    """Is the form shown again with the reason and everything typed, and nothing sent?"""
    client = signed_in(hub_app, "camat")
    response = send(client, **{"village": SUKAMAKMUR, "body": "Teks yang panjang", **fields})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in html
    assert "Teks yang panjang</textarea>" in html
    if fields.get("village") != []:
        assert f'value="{SUKAMAKMUR}" checked' in html
    assert feed(hub_app, SUKAMAKMUR) == {}


def test_withdrawing_a_notice_tells_its_villages(hub_app):
    """After a withdrawal, does the village's next pull say so?"""
    client = signed_in(hub_app, "camat")
    send(client, village=SUKAMAJU, title="Salah kirim")
    notice = feed(hub_app, SUKAMAJU)["Salah kirim"]
    assert notice["withdrawn"] is False
    token = csrf_from(client.get("/notices").get_data(as_text=True))
    response = client.post(f"/notices/{notice['id']}/withdraw", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Withdrawn." in client.get("/notices").get_data(as_text=True)
    assert feed(hub_app, SUKAMAJU)["Salah kirim"]["withdrawn"] is True


def test_staff_cannot_withdraw_a_notice_that_reached_other_villages(hub_app):
    """A notice the admin sent to all villages: staff see it, but may not take it back."""
    send(signed_in(hub_app, "kabupaten"), all="1", title="Untuk semua")
    notice = feed(hub_app, SUKAMAJU)["Untuk semua"]
    client = signed_in(hub_app, "camat")
    listing = client.get("/notices").get_data(as_text=True)
    assert "Untuk semua" in listing and "1 other village" in listing
    assert f"/notices/{notice['id']}/withdraw" not in listing
    token = csrf_from(listing)
    response = client.post(f"/notices/{notice['id']}/withdraw", data={"csrf_token": token}, follow_redirects=True)
    assert "Ask a district administrator to withdraw it." in response.get_data(as_text=True)
    assert feed(hub_app, CIBODAS)["Untuk semua"]["withdrawn"] is False


def test_forms_without_the_csrf_token_are_refused(hub_app):
    """Can another site make a signed-in official's browser send a notice? No: the token is missing."""
    client = signed_in(hub_app, "kabupaten")
    response = client.post("/notices/new", data={"kind": "announcement", "title": "Palsu", "all": "1"})
    assert response.status_code == 400
    assert feed(hub_app, SUKAMAJU) == {}
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_a_new_password_ends_every_session(hub_app):
    """After a password change, is an old session still good? No."""
    client = signed_in(hub_app, "camat")
    assert client.get("/").status_code == 200
    with hub_app.extensions["hub"].store.write() as session:
        users.set_password(session, "camat", "a-new-password")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_signing_out_ends_the_session(hub_app):
    """Does "Sign out" sign out?"""
    client = signed_in(hub_app, "camat")
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("mode", "base_url", "secure"),
    [("on", "http://hub.test", True), ("off", "https://hub.test", False), ("auto", "https://hub.test", True),
     ("auto", "http://hub.test", False)],
)  # fmt: skip
def test_the_session_cookie_is_secure_as_configured(tmp_path, mode, base_url, secure):
    """BALAI_HUB_SECURE_COOKIES: on, off, or auto (Secure when the request came over HTTPS)."""
    app = make_app(tmp_path, BALAI_HUB_SECURE_COOKIES=mode)
    app.extensions["hub"].store.migrate()
    with app.extensions["hub"].store.write() as session:
        users.add(session, "kabupaten", PASSWORD, "admin", MONDAY_9AM)
    client = app.test_client()
    page = client.get("/login", base_url=base_url)
    data = {"username": "kabupaten", "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))}
    # Over HTTPS, Flask-WTF also wants the Referer of the same site (as a browser sends it).
    response = client.post("/login", data=data, base_url=base_url, headers={"Referer": f"{base_url}/login"})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("balai_hub_session="))
    assert ("; Secure" in cookie) is secure
    app.extensions["hub"].store.dispose()


def test_an_empty_hub_tells_the_admin_how_to_add_a_village(tmp_path):
    """A fresh hub: does the overview say how to register the first village?"""
    app = make_app(tmp_path)
    app.extensions["hub"].store.migrate()
    with app.extensions["hub"].store.write() as session:
        users.add(session, "kabupaten", PASSWORD, "admin", MONDAY_9AM)
    html = signed_in(app, "kabupaten").get("/").get_data(as_text=True)
    assert "python -m hub village add CODE NAME" in html
    app.extensions["hub"].store.dispose()


def test_pages_read_indonesian_first(hub_app):
    """Without a language chosen, is the dashboard in Indonesian (the catalogue's words, not English)?"""
    client = hub_app.test_client()
    assert sign_in(client, "camat", PASSWORD).status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in html
