"""The village's side of the district sync as people see it: the console's sync page, the
district's announcements and messages on every screen, and complaints forwarded to the district."""

import json

import pytest
from sqlalchemy import select

from hub import protocol
from portal import sync
from portal.domain import complaints, district
from portal.models import Announcement, DistrictMessage, OutboxEvent
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
TEXT = "Lampu jalan di RT 03 mati sejak dua minggu."
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there, the connection is refused


# The sync pointed at a hub that does not answer.
CONFIGURED = pytest.mark.parametrize(
    "overrides",
    [{"BALAI_UPSTREAM_URL": NOWHERE, "BALAI_UPSTREAM_KEY": protocol.new_key(), "BALAI_VILLAGE_CODE": "3203112005"}],
)


def page(client, path="/admin/sync"):
    """A console page in English (the messages are written in English in the source)."""
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def notices(balai, *items, cursor=10):
    """Apply the district's notices as the sync would after checking the hub's signature."""
    with balai.db.write() as session:
        return district.apply_notices(session, list(items), cursor, balai.clock.now())


def notice(kind, notice_id, title, body="", **extra):
    return {"id": notice_id, "kind": kind, "title": title, "body": body, "sent_at": "2026-11-23T01:00:00Z", **extra}


def state(balai):
    with balai.db.read() as session:
        return district.overview(session)


def test_the_page_needs_a_signed_in_official_with_the_sync_permission(client):
    assert client.get("/admin/sync").headers["Location"].endswith("/admin/login")
    login(client, "operator")
    assert client.get("/admin/sync").status_code == 403
    assert "/admin/sync" not in page(client, "/admin/")  # not in the operator's nav
    for username in ("editor", "admin"):
        login(client, username)
        assert 'href="/admin/sync"' in page(client)


def test_the_hotspot_does_not_see_the_page(client):
    login(client, "admin")
    token = csrf_from(page(client))
    assert client.get("/admin/sync", environ_base=HOTSPOT).status_code == 404
    assert client.post("/admin/sync/now", data={"csrf_token": token}, environ_base=HOTSPOT).status_code == 404


def test_without_a_hub_address_the_page_explains_how_to_turn_the_sync_on(client, balai):
    login(client, "admin")
    html = page(client)
    assert "The sync with the district is not turned on" in html
    for name in ("BALAI_UPSTREAM_URL=", "BALAI_UPSTREAM_KEY=", "BALAI_VILLAGE_CODE=", balai.settings["BALAI_CONFIG"]):
        assert name in html
    assert "Sync now" not in html


def test_pending_reports_are_counted_from_the_outbox(client, balai, queue):
    before = state(balai)["pending"]
    for _ in range(3):
        queue.issue("surat")
    with balai.db.read() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.seq > district.state(session).pushed_seq)).all()
    assert len(rows) == before + 3
    login(client, "editor")
    html = page(client)
    assert f"{before + 3} reports" in html
    assert "the oldest from" in html


@CONFIGURED
def test_a_failed_round_shows_its_reason_in_plain_words(client, balai, clock):
    result = sync.sync_round(balai, force=True)
    assert result["sync"] == "failed: sync_unreachable"
    login(client, "admin")
    html = page(client)
    assert "The district hub could not be reached. The internet may be down; Balai keeps trying." in html
    assert "Technical detail:" in html and "refused" in html.lower()
    assert NOWHERE in html and "3203112005" in html
    assert 'id="failures">1<' in html
    assert "Never yet" in html
    assert 'id="next-attempt">' in html and "minutes" in html.split('id="next-attempt">')[1].split("</dd>")[0]


@CONFIGURED
def test_sync_now_makes_the_next_attempt_due_at_once(client, balai, clock):
    sync.sync_round(balai, force=True)
    clock.advance(seconds=30)
    assert state(balai)["next_attempt_at"] > clock.now()
    login(client, "editor")
    token = csrf_from(page(client))
    assert client.post("/admin/sync/now").status_code == 400  # no CSRF token
    response = client.post("/admin/sync/now", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/sync")
    assert state(balai)["next_attempt_at"] == clock.now()
    assert "Balai will contact the district hub within a minute." in page(client)


@CONFIGURED
def test_last_contact_and_a_wrong_clock(client, balai, clock):
    with balai.db.write() as session:
        district.succeeded(session, clock.now(), 300, -420)  # the hub's clock is 7 minutes behind ours
    clock.advance(minutes=5)
    login(client, "admin")
    html = page(client)
    assert "5 minutes ago" in html.split('id="last-contact">')[1].split("</dd>")[0]
    assert "The Pi&#39;s clock is 7 minutes fast." in html
    with balai.db.write() as session:
        district.succeeded(session, clock.now(), 300, 30)
    html = page(client)
    assert "clock-warning" not in html and "30 seconds" in html


def test_district_announcements_are_marked_on_every_screen(client, balai):
    notices(balai, notice("announcement", 7, "Vaksinasi polio serentak", "Semua balita di Posyandu."))
    with balai.db.read() as session:
        item = session.scalar(select(Announcement).where(Announcement.district_id == 7))
    badge = "From the district"
    for path in ("/", "/news", f"/news/{item.id}", "/display", "/board/live", "/kiosk/info"):
        response = client.get(path, query_string={"lang": "en"}, environ_base=HOTSPOT)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "Vaksinasi polio serentak" in html and badge in html and 'class="badge district"' in html, path
    # The village's own announcements carry no such mark.
    html = client.get("/news", query_string={"lang": "en"}, environ_base=HOTSPOT).get_data(as_text=True)
    assert html.count('class="badge district"') == 1
    listed = client.get("/api/v1/announcements").get_json()
    assert [a["from_district"] for a in listed if a["id"] == item.id] == [True]
    assert sum(a["from_district"] for a in listed) == 1


def test_district_messages_are_shown_once_as_new_to_officials(client, balai):
    notices(
        balai,
        notice("message", 8, "Laporan triwulan", "Mohon kirim laporan APBDes sebelum 30 November."),
        notice("message", 9, "Rapat koordinasi", "Hari Kamis di kantor kecamatan."),
    )
    login(client, "operator")
    assert "from the district" not in page(client, "/admin/")  # operators do not read them
    login(client, "editor")
    index = page(client, "/admin/")
    assert "2 new messages from the district" in index and "/admin/sync#district-messages" in index
    html = page(client)
    assert "Laporan triwulan" in html and "Mohon kirim laporan APBDes sebelum 30 November." in html
    assert "Rapat koordinasi" in html and html.count(">New</span>") == 2
    with balai.db.read() as session:
        assert all(m.read_at is not None for m in session.scalars(select(DistrictMessage)))
    assert "new message" not in page(client, "/admin/")
    assert ">New</span>" not in page(client)


def test_the_content_editor_refuses_to_change_a_district_announcement(client, balai):
    notices(balai, notice("announcement", 11, "Jadwal pembagian BLT", "Kamis pukul 09.00."))
    with balai.db.read() as session:
        row_id = session.scalar(select(Announcement.id).where(Announcement.district_id == 11))
    login(client, "editor")
    listing = page(client, "/admin/content/announcement/")
    assert "Jadwal pembagian BLT" in listing and "From the district" in listing
    assert f"/admin/content/announcement/{row_id}" not in listing  # no edit link, no "hide" button
    token = csrf_from(listing)
    refused = "This announcement comes from the district: it changes only when the district changes it."
    attempts = [
        ("GET", "", {}),
        ("POST", "", {"title": "Diubah"}),
        ("POST", "/delete", {"confirm": "1"}),
        ("POST", "/unpublish", {}),
    ]
    for method, action, form in attempts:
        path = f"/admin/content/announcement/{row_id}{action}"
        response = client.open(path, method=method, data={"csrf_token": token, **form} if method == "POST" else None)
        assert response.status_code == 303, path
        assert response.headers["Location"].endswith("/admin/content/announcement/")
        assert refused in page(client, "/admin/content/announcement/")
    with balai.db.read() as session:
        row = session.get(Announcement, row_id)
        assert row.title == "Jadwal pembagian BLT" and row.expire_at is None


def complaint_events(balai):
    """The outbox's complaint events, by the complaint reference they carry."""
    with balai.db.read() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "complaint.received")).all()
        return {data["complaint"]: data for data in (json.loads(row.payload) for row in rows)}


def stored(balai, display_code):
    with balai.db.read() as session:
        return complaints.find(session, display_code)


@pytest.mark.parametrize("ticked", [True, False])
def test_the_complaint_form_forwards_the_text_only_when_ticked(client, balai, ticked):
    form = client.get("/complaints", query_string={"lang": "en"}).get_data(as_text=True)
    assert 'name="forward"' in form and "Your name and contact stay in the village." in form
    data = {"category": "infrastructure", "text": TEXT, "name": "Bu Siti", "contact": "0812-1111-2222"}
    if ticked:
        data["forward"] = "1"
    response = client.post("/complaints", data=data, environ_base={"REMOTE_ADDR": "10.42.0.61"})
    assert response.status_code == 303
    code = response.headers["Location"].split("/complaints/")[1].split("?")[0]
    complaint = stored(balai, code)
    assert complaint.forwarded is ticked
    event = complaint_events(balai)[complaint.ref]
    assert event["forwarded"] is ticked
    assert event.get("text") == (TEXT if ticked else None)
    assert "Bu Siti" not in json.dumps(event) and "0812" not in json.dumps(event)
    status_page = client.get(f"/complaints/{code}", query_string={"lang": "en"}).get_data(as_text=True)
    assert ("Forwarded to the district" in status_page) is ticked
    login(client, "editor")
    console = page(client, f"/admin/complaints/{complaint.id}")
    assert ("Forwarded to the district" in console) is ticked


def test_the_form_keeps_the_tick_when_it_shows_an_error(client):
    response = client.post("/complaints", data={"category": "infrastructure", "text": "short", "forward": "1"})
    assert response.status_code == 400
    assert 'name="forward" value="1" checked' in response.get_data(as_text=True)


def test_the_api_takes_an_optional_forward_flag(client, balai):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["paths"]["/api/v1/complaints"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["forward"]["type"] == "boolean" and "forward" not in schema["required"]
    answers = {}
    for forward in (True, None):
        body = {"category": "environment", "text": TEXT, **({"forward": forward} if forward is not None else {})}
        response = client.post("/api/v1/complaints", json=body, environ_base={"REMOTE_ADDR": "10.42.0.62"})
        assert response.status_code == 201, response.get_json()
        answers[forward] = stored(balai, response.get_json()["tracking_code"])
    events = complaint_events(balai)
    assert events[answers[True].ref]["text"] == TEXT
    assert "text" not in events[answers[None].ref]
    refused = client.post("/api/v1/complaints", json={"category": "environment", "text": TEXT, "forward": "yes"})
    assert refused.status_code == 400 and refused.get_json()["error"] == "bad_field"
