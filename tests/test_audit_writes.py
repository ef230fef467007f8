"""Every write an official makes at the counters, on tickets, on the printers and on the hotspot,
from the console or the API, leaves an audit entry with who, from where and what changed; a
refused write leaves none; the audit page says it all in plain words."""

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEntry
from tests.conftest import HOTSPOT_ADDRESS, bearer, csrf_from, login
from tests.test_sign_in import english

OFFICE = "192.168.1.30"  # the official's computer (an office address, not the test client's default)


@pytest.fixture
def operator(client):
    """The test client, signed in as the demo operator from an office computer."""
    client.environ_base["REMOTE_ADDR"] = OFFICE
    login(client, "operator")
    return client


def entries(balai, since=0):
    """Audit entries after id ``since`` (sign-ins left out): (action, user, address, details)."""
    with balai.db.read() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > since, ~AuditEntry.action.startswith("login"))
        ).all()
    return [(e.action, e.username, e.address, json.loads(e.detail)) for e in rows]


def newest(balai):
    with balai.db.read() as session:
        return session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0


def press(client, path, **data):
    """Post a console form with a CSRF token; returns the page it leads to."""
    token = csrf_from(client.get("/admin/counter/1").get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_counter_buttons_are_audited_with_ticket_and_counter(operator, queue, balai):
    queue.issue("surat")
    second = queue.issue("surat")
    start = newest(balai)
    for action in ("call-next", "recall", "start", "complete", "call-next", "skip"):
        press(operator, f"/admin/counter/1/{action}")
    press(operator, f"/admin/ticket/{second['id']}/requeue", counter="1")
    press(operator, "/admin/counter/1/call-next")
    press(operator, "/admin/counter/1/transfer", service="kependudukan")
    press(operator, f"/admin/ticket/{second['id']}/cancel", counter="1")
    who = ("operator", OFFICE)
    at_counter = {"counter": "Loket 1"}
    assert entries(balai, start) == [
        ("counter.call_next", *who, {**at_counter, "ticket": "A-001"}),
        ("counter.recall", *who, {**at_counter, "ticket": "A-001"}),
        ("counter.start", *who, {**at_counter, "ticket": "A-001"}),
        ("counter.complete", *who, {**at_counter, "ticket": "A-001"}),
        ("counter.call_next", *who, {**at_counter, "ticket": "A-002"}),
        ("counter.skip", *who, {**at_counter, "ticket": "A-002"}),
        ("ticket.requeue", *who, {"ticket": "A-002"}),
        ("counter.call_next", *who, {**at_counter, "ticket": "A-002"}),
        ("counter.transfer", *who, {**at_counter, "ticket": "A-002", "to_service": "Administrasi Kependudukan"}),
        ("ticket.cancel", *who, {"ticket": "A-002"}),
    ]
    with balai.db.read() as session:
        targets = session.scalars(select(AuditEntry.target).where(AuditEntry.id > start)).all()
    assert second["id"] not in " ".join(targets)  # the resident's private link stays private


def test_refused_counter_writes_leave_no_entry(operator, queue, balai):
    start = newest(balai)
    for action in ("call-next", "recall", "start", "complete", "skip"):
        press(operator, f"/admin/counter/1/{action}")
    press(operator, "/admin/counter/1/transfer", service="kependudukan")
    ticket = queue.issue("surat")
    press(operator, f"/admin/ticket/{ticket['id']}/requeue", counter="1")  # waiting, not skipped
    assert entries(balai, start) == []


def test_reprints_and_confirmed_receipts_are_audited(operator, client, kiosk, balai, queue):
    kiosk_id, device, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(device))
    poll = {"agent": "agent-1", "printer": {"state": "ok", "detail": ""}, "wait": 0}
    job = client.post("/api/v1/kiosk/poll", json=poll, headers=bearer(device)).get_json()["jobs"][0]
    client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": "uncertain"}, headers=bearer(device))
    start = newest(balai)
    press(operator, f"/admin/job/{job['id']}/confirm")
    press(operator, "/admin/reprint", ticket=job["ticket"], kiosk=str(kiosk_id))
    press(operator, "/admin/reprint", number="a1", kiosk=str(kiosk_id))
    receipt = {"ticket": "A-001", "kiosk": "Kiosk Aula"}
    who = ("operator", OFFICE)
    assert entries(balai, start) == [
        ("print.confirm", *who, receipt),
        ("ticket.reprint", *who, receipt),
        ("ticket.reprint", *who, receipt),
    ]
    press(operator, "/admin/reprint", number="Z-9", kiosk=str(kiosk_id))
    press(operator, "/admin/job/999/confirm")
    assert len(entries(balai, start)) == 3


def test_revoking_a_phone_is_audited(operator, balai):
    row, _ = balai.captive.accept(HOTSPOT_ADDRESS, "02:00:00:00:00:23")
    start = newest(balai)
    token = csrf_from(operator.get("/admin/hotspot").get_data(as_text=True))
    assert operator.post(f"/admin/hotspot/{row.id}/revoke", data={"csrf_token": token}).status_code == 303
    assert operator.post(f"/admin/hotspot/{row.id}/revoke", data={"csrf_token": token}).status_code == 303  # ended
    assert entries(balai, start) == [
        ("hotspot.revoke", "operator", OFFICE, {"phone": HOTSPOT_ADDRESS, "mac": "02:00:00:00:00:23"})
    ]


def test_official_api_writes_are_audited(client, token, kiosk, balai, queue):
    api = {"headers": bearer(token), "environ_base": {"REMOTE_ADDR": OFFICE}}
    queue.issue("surat")
    skipped = queue.issue("surat")
    start = newest(balai)
    for action in ("call-next", "start", "call-next", "skip"):
        assert client.post(f"/api/v1/counters/1/{action}", **api).status_code == 200
    assert client.post(f"/api/v1/tickets/{skipped['id']}/requeue", **api).status_code == 200
    assert client.post(f"/api/v1/tickets/{skipped['id']}/reprint", json={"kiosk": kiosk[0]}, **api).status_code == 202
    assert client.post(f"/api/v1/tickets/{skipped['id']}/cancel", **api).status_code == 200
    assert client.post("/api/v1/counters/1/transfer", json={"service": "kependudukan"}, **api).status_code == 409
    who = ("operator", OFFICE)
    assert entries(balai, start) == [
        ("counter.call_next", *who, {"counter": "Loket 1", "ticket": "A-001"}),
        ("counter.start", *who, {"counter": "Loket 1", "ticket": "A-001"}),
        ("counter.call_next", *who, {"counter": "Loket 1", "ticket": "A-002"}),
        ("counter.skip", *who, {"counter": "Loket 1", "ticket": "A-002"}),
        ("ticket.requeue", *who, {"ticket": "A-002"}),
        ("ticket.reprint", *who, {"ticket": "A-002", "kiosk": "Kiosk Aula"}),
        ("ticket.cancel", *who, {"ticket": "A-002"}),
    ]


def test_a_resident_cancelling_their_own_ticket_is_no_official_write(client, balai, queue):
    ticket = queue.issue("surat")
    start = newest(balai)
    assert client.post(f"/api/v1/tickets/{ticket['id']}/cancel").status_code == 200
    assert entries(balai, start) == []


def test_the_audit_page_says_who_when_where_and_what_in_plain_words(operator, app, queue):
    queue.issue("surat")
    press(operator, "/admin/counter/1/call-next")
    admin = english(app.test_client())
    login(admin, "admin")
    html = admin.get("/admin/content/audit").get_data(as_text=True)
    rows = html.split("<tbody>")[1].split("</tr>")
    assert "Signed in" in rows[0] and "admin" in rows[0]  # the newest first: the admin's own sign-in
    row = rows[1]
    assert "Called the next ticket" in row and "operator" in row and OFFICE in row
    assert "23-11 09:00" in row
    assert "ticket: A-001" in row and "counter: Loket 1" in row
    assert "counter.call_next" not in row and "{" not in row
