"""Registered kiosks: pairing a browser, device tokens, print jobs and what the console and the
kiosk screen say about the printer (the agent's side is in test_agent.py)."""

import shutil

import pytest

from portal.cli import DEMO_LOGO
from portal.domain import kiosks
from tests.conftest import HOTSPOT_ADDRESS, bearer, csrf_from, login


def pair(client, code):
    return client.post(f"/kiosk/pair/{code}")


def take(client, service="surat", **kwargs):
    return client.post("/kiosk/take", data={"service": service}, **kwargs)


def agent_poll(client, token, state="ok", agent="agent-1"):
    body = {"agent": agent, "printer": {"state": state, "detail": ""}, "wait": 0}
    return client.post("/api/v1/kiosk/poll", json=body, headers=bearer(token))


def test_pairing_sets_an_httponly_device_cookie_once(client, kiosk):
    _, token, code = kiosk
    page = client.get(f"/kiosk/pair/{code}")
    assert page.status_code == 200 and "Kiosk Aula" in page.get_data(as_text=True)
    response = pair(client, code)
    assert response.status_code == 303 and response.headers["Location"] == "/kiosk/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("balai_kiosk=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert token not in cookie
    again = client.get(f"/kiosk/pair/{code}")
    assert again.status_code == 404 and "kiosk pair" in again.get_data(as_text=True)
    assert pair(client, code).status_code == 404


def test_pairing_links_expire_and_are_refused_on_the_hotspot(client, clock, kiosk):
    code = kiosk[2]
    assert client.get(f"/kiosk/pair/{code}", environ_base={"REMOTE_ADDR": HOTSPOT_ADDRESS}).status_code == 404
    assert pair(client, code + "x").status_code == 404
    clock.advance(hours=25)
    assert pair(client, code).status_code == 404


def test_a_paired_kiosk_prints_and_a_phone_does_not(app, client, balai, kiosk):
    _, token, code = kiosk
    pair(client, code)
    agent_poll(client, token)  # the agent is running, the printer ready
    ticket_page = client.get(take(client).headers["Location"]).get_data(as_text=True)
    assert "Struk Anda sedang dicetak" in ticket_page and 'data-receipt="printing"' in ticket_page
    assert token not in ticket_page and token not in client.get("/kiosk/").get_data(as_text=True)
    phone = app.test_client()
    phone_page = phone.get(take(phone, environ_base={"REMOTE_ADDR": HOTSPOT_ADDRESS}).headers["Location"])
    assert "data-receipt" not in phone_page.get_data(as_text=True)
    jobs = agent_poll(client, token).get_json()["jobs"]
    assert [job["receipt"]["number"] for job in jobs] == ["A-001"]


def test_the_device_token_takes_tickets_with_a_receipt(client, kiosk):
    _, token, _ = kiosk
    created = client.post("/api/v1/tickets", json={"service": "nikah", "priority": True}, headers=bearer(token))
    assert created.status_code == 201
    job = agent_poll(client, token).get_json()["jobs"][0]
    receipt = job["receipt"]
    assert job["ticket"] == created.get_json()["id"]
    assert receipt["village"] == "Desa Sukamaju" and receipt["number"] == "C-001"
    assert receipt["issued"] == "23/11/2026 09:00 WIB"
    assert receipt["status_url"].endswith(f"/ticket/{job['ticket']}")
    assert receipt["lines"][:2] == ["Prioritas", "Giliran Anda berikutnya"]


def test_the_village_logo_is_offered_to_the_agent_when_there_is_one(client, kiosk, data_dir):
    _, token, _ = kiosk
    assert client.get("/village/logo.png").status_code == 404
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    assert agent_poll(client, token).get_json()["jobs"][0]["receipt"]["logo_url"] is None
    shutil.copy(DEMO_LOGO, data_dir / "logo.png")
    with client.get("/village/logo.png") as response:
        assert response.headers["Content-Type"] == "image/png"
    logo_url = agent_poll(client, token).get_json()["jobs"][0]["receipt"]["logo_url"]
    assert logo_url.startswith("http://localhost/village/logo.png?v=")  # the picture's fingerprint


def test_the_receipt_speaks_the_language_the_kiosk_showed(client, kiosk):
    _, token, code = kiosk
    pair(client, code)
    client.get("/kiosk/?lang=en")
    take(client)
    receipt = agent_poll(client, token).get_json()["jobs"][0]["receipt"]
    assert receipt["lines"][0] == "You are next" and receipt["footer"].startswith("Keep this receipt")


def test_agent_calls_need_a_device_token(client, token, kiosk):
    assert agent_poll(client, token).status_code == 401  # an official's token is not a kiosk's
    assert agent_poll(client, "balai_kiosk_nope").status_code == 401
    assert client.post("/api/v1/kiosk/poll", json={}).status_code == 401
    assert agent_poll(client, kiosk[1], state="on fire").status_code == 400
    not_a_number = b'{"agent": "a", "printer": {"state": "ok"}, "wait": NaN}'
    headers = {**bearer(kiosk[1]), "Content-Type": "application/json"}
    assert client.post("/api/v1/kiosk/poll", data=not_a_number, headers=headers).status_code == 400
    odd = {"agent": "a", "printer": {"state": "unreachable", "detail": "\ud800 /dev/usb/lp\udcff"}}
    assert client.post("/api/v1/kiosk/poll", json=odd, headers=bearer(kiosk[1])).status_code == 200


def test_a_kiosk_identity_means_nothing_on_the_hotspot(client, kiosk, balai):
    _, token, code = kiosk
    pair(client, code)
    hotspot = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
    for _ in range(2):
        assert take(client, environ_base=hotspot).status_code == 303
    assert take(client, environ_base=hotspot).status_code == 422  # limited like any phone
    body = {"agent": "a", "printer": {"state": "ok"}}
    assert client.post("/api/v1/kiosk/poll", json=body, headers=bearer(token), environ_base=hotspot).status_code == 401
    assert agent_poll(client, token).get_json()["jobs"] == []


def test_outcomes_are_idempotent_and_printed_wins(client, kiosk, balai):
    _, token, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    job = agent_poll(client, token).get_json()["jobs"][0]

    def finish(outcome, who=token):
        return client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": outcome}, headers=bearer(who))

    assert finish("lost").status_code == 422
    assert finish("printed").get_json()["status"] == "printed"
    assert finish("printed").get_json()["status"] == "printed"
    assert finish("uncertain").get_json()["status"] == "printed"
    assert balai.printing.for_ticket(job["ticket"]) == "printed"
    with balai.db.write() as session:
        _, other, _ = kiosks.add_kiosk(session, "Kiosk Dua", balai.clock.now())
    assert finish("printed", other).status_code == 404
    assert agent_poll(client, token).get_json()["jobs"] == []


def test_a_claimed_job_stays_with_its_agent_until_it_goes_quiet(client, clock, kiosk):
    _, token, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    assert len(agent_poll(client, token, agent="a").get_json()["jobs"]) == 1
    assert len(agent_poll(client, token, agent="a").get_json()["jobs"]) == 1  # handed again: a restart
    assert agent_poll(client, token, agent="b").get_json()["jobs"] == []
    clock.advance(seconds=61)
    assert len(agent_poll(client, token, agent="b").get_json()["jobs"]) == 1


def test_a_receipt_for_a_finished_ticket_is_dropped(client, queue, kiosk, balai):
    _, token, _ = kiosk
    created = client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token)).get_json()
    queue.cancel(created["id"])
    assert agent_poll(client, token).get_json()["jobs"] == []
    assert balai.printing.for_ticket(created["id"]) is None


@pytest.mark.parametrize(
    "state,console,screen",
    [
        ("ok", "Printer siap", None),
        ("near_end", "Kertas hampir habis", "Kertas hampir habis"),
        ("out", "Kertas habis", "Kertas printer habis"),
        ("unreachable", "Printer tidak tersambung", "Printer sedang tidak berfungsi"),
        ("unknown", "printer tidak menjawab", "Struk Anda sedang dicetak"),
    ],
)
def test_printer_state_reaches_the_console_and_the_kiosk_screen(app, client, kiosk, state, console, screen):
    _, token, code = kiosk
    pair(client, code)
    agent_poll(client, token, state=state)
    ticket_page = client.get(take(client).headers["Location"]).get_data(as_text=True)
    start = client.get("/kiosk/").get_data(as_text=True)
    if screen:
        assert screen in ticket_page or screen in start
    if state in ("out", "unreachable"):
        assert "Catat nomor Anda" in ticket_page
    official = app.test_client()
    login(official)
    assert console in official.get("/admin/").get_data(as_text=True)


def test_a_silent_agent_shows_as_not_running(app, client, clock, kiosk):
    _, token, _ = kiosk
    official = app.test_client()
    login(official)
    assert "belum pernah tersambung" in official.get("/admin/").get_data(as_text=True)
    agent_poll(client, token)
    clock.advance(seconds=31)
    assert "tidak berjalan" in official.get("/admin/").get_data(as_text=True)


def test_console_reprints_by_number_and_settles_uncertain_receipts(app, client, kiosk, balai):
    kiosk_id, token, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    job = agent_poll(client, token).get_json()["jobs"][0]
    client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": "uncertain"}, headers=bearer(token))
    official = app.test_client()
    login(official)
    page = official.get("/admin/").get_data(as_text=True)
    assert "Struk A-001 mungkin tidak tercetak lengkap" in page
    csrf = csrf_from(page)
    done = official.post("/admin/reprint", data={"ticket": job["ticket"], "kiosk": kiosk_id, "csrf_token": csrf})
    assert done.status_code == 303
    page = official.get("/admin/").get_data(as_text=True)
    assert "mungkin tidak tercetak" not in page and "akan dicetak ulang" in page
    reprint = agent_poll(client, token).get_json()["jobs"]
    assert [(j["reason"], j["receipt"]["number"]) for j in reprint] == [("reprint", "A-001")]
    official.post("/admin/reprint", data={"number": "a1", "kiosk": kiosk_id, "csrf_token": csrf})
    assert len(agent_poll(client, token).get_json()["jobs"]) == 1  # the same receipt is still on its way
    client.post(f"/api/v1/kiosk/jobs/{reprint[0]['id']}", json={"outcome": "printed"}, headers=bearer(token))
    official.post("/admin/reprint", data={"number": "a1", "kiosk": kiosk_id, "csrf_token": csrf})
    assert [j["reason"] for j in agent_poll(client, token).get_json()["jobs"]] == ["reprint"]
    long_number = official.post("/admin/reprint", data={"number": "A" + "9" * 5000, "csrf_token": csrf})
    assert long_number.status_code == 303
    refused = official.post("/admin/reprint", data={"number": "Z-9", "kiosk": kiosk_id, "csrf_token": csrf})
    assert "Tidak ada nomor Z-9 hari ini" in official.get(refused.headers["Location"]).get_data(as_text=True)


def test_reprint_api_refuses_finished_tickets(client, token, queue, kiosk):
    ticket = queue.issue("surat")
    assert client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=bearer(token)).status_code == 202
    queue.cancel(ticket["id"])
    refused = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=bearer(token))
    assert refused.status_code == 422 and refused.get_json()["error"] == "reprint_finished"
    listed = client.get("/api/v1/kiosks", headers=bearer(token)).get_json()
    assert listed[0]["name"] == "Kiosk Aula" and listed[0]["printer"] == "never"


def test_the_receipt_fragment_follows_the_job(client, kiosk):
    _, token, code = kiosk
    pair(client, code)
    agent_poll(client, token)
    page = take(client).headers["Location"]
    assert 'data-receipt="printing"' in client.get(page + "/printing").get_data(as_text=True)
    job = agent_poll(client, token).get_json()["jobs"][0]
    client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": "printed"}, headers=bearer(token))
    assert 'data-receipt="printed"' in client.get(page + "/printing").get_data(as_text=True)
    assert client.get("/kiosk/ticket/nope/printing").status_code == 404
