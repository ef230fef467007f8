"""The console's printers page: each kiosk's printer, a test print that comes out of a real (fake
network) printer through ``python -m kiosk``, and reprints moved here from the console's home."""

import pytest
import zxingcpp
from sqlalchemy import select

from portal.domain import kiosks
from portal.domain.printing import TEST_IDS
from portal.models import AuditEntry
from tests.conftest import HOTSPOT_ADDRESS, bearer, csrf_from, login
from tests.fake_printer import OK, PAPER_OUT, FakePrinter
from tests.processes import start_agent, stop, wait_for

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}


def page(client):
    response = client.get("/admin/printers", query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def press_test_print(client, kiosk_id):
    """Press the kiosk's "Test print" button."""
    return client.post(f"/admin/printers/{kiosk_id}/test", data={"csrf_token": csrf_from(page(client))})


def poll(client, token, state="ok"):
    body = {"agent": "agent-1", "printer": {"state": state, "detail": ""}, "wait": 0}
    return client.post("/api/v1/kiosk/poll", json=body, headers=bearer(token)).get_json()["jobs"]


def finish(client, token, job_id, outcome="printed"):
    return client.post(f"/api/v1/kiosk/jobs/{job_id}", json={"outcome": outcome}, headers=bearer(token))


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def test_a_test_print_comes_out_of_the_kiosk_printer(server, client, kiosk, printer, tmp_path, balai):
    kiosk_id, token, _ = kiosk
    agent = start_agent(server, token, f"tcp://127.0.0.1:{printer.address[1]}", tmp_path / "agent")
    try:
        login(client, "operator")
        wait_for(lambda: "Printer ready" in page(client), what="the agent's first report")
        done = press_test_print(client, kiosk_id)
        assert done.status_code == 303 and done.headers["Location"].endswith("/admin/printers")
        wait_for(lambda: printer.paper().cuts == 1, what="the test receipt")
        paper = printer.paper()
        assert "Desa Sukamaju" in paper.text and "Test print" in paper.text and "Kiosk Aula" in paper.text
        assert "23/11/2026 09:00 WIB" in paper.text
        assert printer.numbers() == ["TEST"]
        assert [hit.text for hit in zxingcpp.read_barcodes(paper.images[-1])] == [f"{server}/"]
        wait_for(lambda: 'data-test="printed"' in page(client), what="the agent's acknowledgement")
        assert "Sent to the printer at 23-11 09:00" in page(client)
    finally:
        stop(agent)
    with balai.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "printer.test")).one()
        assert entry.username == "operator" and entry.target == f"kiosk:{kiosk_id}"


def test_a_test_print_goes_to_the_agent_once_and_waits_for_paper(client, kiosk, balai):
    kiosk_id, token, _ = kiosk
    login(client, "admin")
    press_test_print(client, kiosk_id)
    press_test_print(client, kiosk_id)  # a second press while the first waits is the same print
    assert 'data-test="queued"' in page(client) and "waiting for the printer" in page(client)
    (job,) = poll(client, token, state="out")
    assert job["id"] > TEST_IDS and job["reason"] == "test" and job["ticket"].startswith("test-")
    assert job["receipt"]["service"] == "Test print" and job["receipt"]["village"] == "Desa Sukamaju"
    assert poll(client, token) == [job]  # handed out again until the agent says how it went
    assert finish(client, token, job["id"] + 1).status_code == 404
    answer = finish(client, token, job["id"])
    assert answer.status_code == 200 and answer.get_json() == {"id": job["id"], "status": "printed"}
    assert poll(client, token) == [] and finish(client, token, job["id"]).status_code == 200  # a repeat is harmless
    assert 'data-test="printed"' in page(client)
    press_test_print(client, kiosk_id)
    (again,) = poll(client, token)
    assert again["id"] > job["id"] and again["ticket"] != job["ticket"]  # a new print, never the old one
    assert finish(client, token, again["id"], "uncertain").status_code == 200
    assert "It may not have printed completely." in page(client)


def test_a_test_print_belongs_to_its_kiosk(client, kiosk, balai):
    kiosk_id, token, _ = kiosk
    with balai.db.write() as session:
        _, other_token, _ = kiosks.add_kiosk(session, "Kiosk Teras", balai.clock.now())
    login(client, "operator")
    press_test_print(client, kiosk_id)
    assert poll(client, other_token) == []
    (job,) = poll(client, token)
    assert finish(client, other_token, job["id"]).status_code == 404
    missing = client.post("/admin/printers/999/test", data={"csrf_token": csrf_from(page(client))})
    assert "There is no kiosk 999." in client.get(missing.headers["Location"] + "?lang=en").get_data(as_text=True)


def test_printer_status_per_kiosk(client, kiosk, clock):
    token = kiosk[1]
    login(client, "editor")
    html = page(client)
    assert "Kiosk Aula" in html and "has not connected yet" in html and "Never yet" in html
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    poll(client, token, state="out")
    clock.advance(seconds=10)
    html = page(client)
    assert 'data-kiosk-printer="out"' in html and "Out of paper" in html
    assert "Monday, 23 November 2026 09.00" in html and "just now" in html
    assert "1 receipt" in html
    clock.advance(seconds=31)
    assert "printing program is not running" in page(client)


def test_reprints_from_the_printers_page(client, kiosk, balai):
    kiosk_id, token, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    (job,) = poll(client, token)
    finish(client, token, job["id"], "uncertain")
    login(client, "operator")
    html = page(client)
    assert "The receipt of A-001 may not have printed completely." in html
    assert 'action="/admin/reprint"' in html and f'action="/admin/job/{job["id"]}/confirm"' in html
    csrf = csrf_from(html)
    client.post(f"/admin/job/{job['id']}/confirm", data={"csrf_token": csrf})
    assert "may not have printed" not in page(client)
    client.post("/admin/reprint", data={"number": "a1", "kiosk": kiosk_id, "csrf_token": csrf})
    assert [(j["reason"], j["receipt"]["number"]) for j in poll(client, token)] == [("reprint", "A-001")]


def test_only_queue_roles_print_and_the_hotspot_sees_nothing(client, kiosk):
    kiosk_id = kiosk[0]
    assert client.get("/admin/printers").headers["Location"].endswith("/admin/login")
    login(client, "editor")  # may look, may not print
    html = page(client)
    assert "Kiosk Aula" in html and "/test" not in html and 'action="/admin/reprint"' not in html
    assert client.post(f"/admin/printers/{kiosk_id}/test", data={"csrf_token": csrf_from(html)}).status_code == 403
    login(client, "operator")
    assert f'action="/admin/printers/{kiosk_id}/test"' in page(client)
    assert client.post(f"/admin/printers/{kiosk_id}/test").status_code == 400  # no CSRF token
    assert client.get("/admin/printers", environ_base=HOTSPOT).status_code == 404
    assert client.post(f"/admin/printers/{kiosk_id}/test", environ_base=HOTSPOT).status_code == 404


def test_no_kiosk_yet(client):
    login(client, "admin")
    assert "python -m portal kiosk add NAME" in page(client)


def test_the_held_test_print_comes_out_when_paper_is_back(server, client, kiosk, printer, tmp_path):
    kiosk_id, token, _ = kiosk
    printer.status = PAPER_OUT
    agent = start_agent(server, token, f"tcp://127.0.0.1:{printer.address[1]}", tmp_path / "agent")
    try:
        login(client, "operator")
        wait_for(lambda: "Out of paper" in page(client), what="paper out")
        press_test_print(client, kiosk_id)
        assert 'data-test="queued"' in page(client) and printer.numbers() == []
        printer.status = OK
        wait_for(lambda: printer.numbers() == ["TEST"], what="the held test receipt")
    finally:
        stop(agent)
