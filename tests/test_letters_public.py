"""The residents' side of letter requests: the phone pages (choose, fill in, follow), the public
API, and the kiosk's flow that prints a queue number with the request."""

import html
import re

import pytest
from sqlalchemy import func, select, update

from portal.domain import letter_register, letter_requests
from portal.domain.audit import Actor
from portal.models import LetterRequest, Officer, PrintJob, Service, Ticket
from tests.conftest import HOTSPOT_ADDRESS

PHONE = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
OFFICIAL = Actor(user_id=None, username="operator", address="127.0.0.1")
NIK = "3203015708900001"
GOOD = {
    "nama": "Siti Aminah",
    "nik": NIK,
    "alamat__rt": "2",
    "alamat__rw": "1",
    "alamat__dusun": "Dusun Cibodas",
    "keperluan": "Melamar pekerjaan di pabrik",
    "bring_papers": "1",
}
API_GOOD = {
    "type": "pengantar",
    "fields": {
        "nama": "Siti Aminah",
        "nik": NIK,
        "alamat": {"rt": "2", "rw": "1", "dusun": "Dusun Cibodas"},
        "keperluan": "Melamar pekerjaan di pabrik",
    },
    "bring_papers": True,
}


def send(client, type_code="pengantar", environ_base=None, **fields):
    return client.post(f"/letters/new/{type_code}", data=fields, environ_base=environ_base or PHONE)


def stored(balai):
    with balai.db.read() as session:
        return session.scalars(select(LetterRequest).order_by(LetterRequest.id)).all()


def code_in(location):
    return re.search(r"/letters/status/(SRT-[0-9A-Z]{5}-[0-9A-Z]{5})", location)[1]


def test_the_index_offers_every_letter_as_a_tile_linking_to_its_form(client):
    page = client.get("/letters").get_data(as_text=True)
    for code in ("pengantar", "domisili", "usaha", "sktm", "skck", "kehilangan", "kelahiran", "kematian", "pindah"):
        assert f'href="/letters/new/{code}"' in page
    assert 'action="/letters/track"' in page


def test_the_form_draws_every_kind_of_field_and_no_file_input(client):
    page = client.get("/letters/new/kelahiran").get_data(as_text=True)
    assert 'name="nama_bayi"' in page  # text
    assert 'name="tanggal_lahir" type="date"' in page  # date
    assert re.search(r'name="nik_ibu" inputmode="numeric"', page)  # nik
    for part in ("rt", "rw", "dusun"):  # address
        assert f'name="alamat__{part}"' in page
    assert "<textarea" in client.get("/letters/new/usaha").get_data(as_text=True)  # textarea
    assert 'name="bring_papers"' in page and 'name="ticket" value="1" checked' in page
    assert 'type="file"' not in page and "multipart" not in page
    assert "Surat keterangan lahir dari bidan" in page  # the requirements
    assert client.get("/letters/new/no-such-letter").status_code == 404


def test_a_good_request_is_stored_and_leads_to_its_status_page(client, balai):
    response = send(client, ticket="1", **GOOD)
    assert response.status_code == 303
    assert "sent=1" in response.headers["Location"]
    [row] = stored(balai)
    assert letter_requests.display_code(row.code) == code_in(response.headers["Location"])
    assert row.source == "hotspot" and row.client == HOTSPOT_ADDRESS and row.status == "received"
    assert letter_requests.answers_of(row) == {
        "nama": "Siti Aminah",
        "nik": NIK,
        "alamat": "RT 02/RW 01, Dusun Cibodas",
        "keperluan": "Melamar pekerjaan di pabrik",
    }
    assert row.ticket_id is not None  # asked for, and linked
    with balai.db.read() as session:
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket.source == "hotspot" and ticket.client == HOTSPOT_ADDRESS
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/ticket/{row.ticket_id}"' in page
    office = send(client, environ_base={"REMOTE_ADDR": "192.168.1.20"}, **GOOD)  # not the hotspot
    assert office.status_code == 303 and stored(balai)[-1].source == "web" and stored(balai)[-1].ticket_id is None


def test_wrong_answers_are_marked_beside_each_field_kept_and_nothing_is_stored(client, balai):
    wrong = {**GOOD, "nik": "1234", "alamat__rt": "x", "nama": "", "keperluan": "Untuk <b>sekolah</b>"}
    response = send(client, **wrong)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for name in ("nama", "nik", "alamat"):
        assert f'id="{name}-error"' in page
    assert 'id="keperluan-error"' not in page
    assert 'value="1234"' in page and 'value="Dusun Cibodas"' in page and "Untuk &lt;b&gt;sekolah&lt;/b&gt;" in page
    assert 'name="bring_papers" value="1" required checked' in page
    assert stored(balai) == []


def test_a_request_without_the_promise_to_bring_papers_is_refused(client, balai):
    unticked = {k: v for k, v in GOOD.items() if k != "bring_papers"}
    response = send(client, **{**unticked, "nik": "99"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="bring_papers-error"' in page and 'id="nik-error"' in page  # both marked at once
    assert stored(balai) == []


@pytest.mark.parametrize("overrides", [{"BALAI_LETTER_REQUESTS_PER_HOUR": 2}])
def test_phones_are_limited_per_hour(client, balai, clock):
    assert [send(client, **GOOD).status_code for _ in range(2)] == [303, 303]
    refused = send(client, **GOOD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert 'value="Siti Aminah"' in refused.get_data(as_text=True)  # what was typed stays
    assert len(stored(balai)) == 2
    assert send(client, environ_base={"REMOTE_ADDR": "10.42.0.99"}, **GOOD).status_code == 303  # another phone
    clock.advance(hours=1, minutes=1)
    assert send(client, **GOOD).status_code == 303


def test_the_status_page_masks_the_name_and_the_nik(client, balai):
    location = send(
        client,
        type_code="kelahiran",
        **{
            "nama_bayi": "Putri Lestari",
            "tanggal_lahir": "2026-11-20",
            "nama_ibu": "Siti Aminah",
            "nik_ibu": NIK,
            "alamat__rt": "3",
            "alamat__rw": "2",
            "alamat__dusun": "Dusun Cibodas",
            "bring_papers": "1",
        },
    ).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert code_in(location) in page
    assert NIK not in page and "3203********0001" in page
    for secret in ("Putri Lestari", "Siti Aminah", "Cibodas", "Lestari"):
        assert secret not in page
    assert "P**** L******" in page
    assert "Fotokopi KTP kedua orang tua" in page  # the papers to bring
    typed_loosely = code_in(location).lower().replace("-", " ")
    assert client.get(f"/letters/status/{typed_loosely}").status_code == 200


def test_the_status_page_follows_the_request_to_its_letter(client, balai, clock):
    code = code_in(send(client, **GOOD).headers["Location"])
    with balai.db.write() as session:
        row = letter_requests.find(session, code)
        signer = session.scalar(select(Officer.id).order_by(Officer.position))
        number = letter_register.issue(session, row, signer, OFFICIAL, clock.now()).number
    page = client.get(f"/letters/status/{code}").get_data(as_text=True)
    assert number in page and '<li class="now">' in page
    assert client.get(f"/api/v1/letters/{code}").get_json()["issued_on"] == "2026-11-23"


def test_a_rejection_shows_its_reason(client, balai, clock):
    code = code_in(send(client, **GOOD).headers["Location"])
    with balai.db.write() as session:
        letter_requests.reject(
            session, letter_requests.find(session, code), "Alamat di luar desa ini.", OFFICIAL, clock.now()
        )
    page = client.get(f"/letters/status/{code}").get_data(as_text=True)
    assert "Alamat di luar desa ini." in page and 'class="steps"' not in page
    assert client.get(f"/api/v1/letters/{code}").get_json()["reason"] == "Alamat di luar desa ini."


def test_tracking_a_code_and_the_friendly_404(client):
    code = code_in(send(client, **GOOD).headers["Location"])
    found = client.get("/letters/track", query_string={"code": code.lower()})
    assert found.status_code == 303 and found.headers["Location"] == f"/letters/status/{code}"
    page = client.get("/letters/track", query_string={"code": "nonsense"})
    assert page.status_code == 404 and 'action="/letters/track"' in page.get_data(as_text=True)
    missing = client.get("/letters/status/SRT-22222-22222")
    assert missing.status_code == 404 and 'name="code"' in missing.get_data(as_text=True)


def test_what_residents_type_is_escaped(client, balai):
    script = "<script>x</script>"
    response = send(client, **{**GOOD, "nama": script, "nik": script})
    assert response.status_code == 400
    assert script not in response.get_data(as_text=True) and html.escape(script) in response.get_data(as_text=True)
    location = send(client, **{**GOOD, "nama": "<script>x</script> Budi"}).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "<script>x" not in page and "&lt;****************" in page  # the masked name, escaped


def test_a_closed_service_still_stores_the_request_and_says_why_there_is_no_ticket(client, balai):
    with balai.db.write() as session:
        session.execute(update(Service).where(Service.code == "surat").values(opens_at="08:00", closes_at="08:30"))
    response = send(client, ticket="1", **GOOD)
    assert response.status_code == 303 and "no_ticket=service_closed" in response.headers["Location"]
    [row] = stored(balai)
    assert row.ticket_id is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "08:00" in page and "08:30" in page and 'href="/queue"' in page
    forged = client.get(f"/letters/status/{code_in(response.headers['Location'])}?no_ticket=server_error")
    assert 'class="flash warn"' not in forged.get_data(as_text=True)


def test_without_the_ticket_box_no_ticket_is_taken(client, balai):
    send(client, **GOOD)
    [row] = stored(balai)
    assert row.ticket_id is None
    with balai.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


# -- the API -----------------------------------------------------------------------------------


def test_the_api_lists_letter_types_with_their_fields(client):
    types = {t["code"]: t for t in client.get("/api/v1/letter-types").get_json()}
    birth = types["kelahiran"]
    assert birth["service"] == "kependudukan"
    assert [f["name"] for f in birth["fields"]] == [
        "nama_bayi",
        "tanggal_lahir",
        "nama_ibu",
        "nik_ibu",
        "nama_ayah",
        "alamat",
    ]
    assert birth["fields"][4] == {"name": "nama_ayah", "label": "Nama ayah", "kind": "text", "required": False}
    assert "Fotokopi Kartu Keluarga" in birth["requirements"]


def test_the_api_sends_a_request_and_shows_its_status(client, balai):
    created = client.post("/api/v1/letters", json={**API_GOOD, "ticket": True}, environ_base=PHONE)
    assert created.status_code == 201
    body = created.get_json()
    assert body["tracking_code"].startswith("SRT-") and body["ticket_id"] and body["ticket_error"] is None
    assert body["status_url"].endswith(f"/letters/status/{body['tracking_code']}")
    assert created.headers["Location"] == f"/api/v1/letters/{body['tracking_code']}"
    [row] = stored(balai)
    assert row.ticket_id == body["ticket_id"] and row.source == "hotspot"
    status = client.get(created.headers["Location"])
    assert status.status_code == 200
    view = status.get_json()
    assert view["status"] == "received" and view["name"] == "S*** A*****"
    assert view["masked"] == [{"label": "NIK (16 angka)", "value": "3203********0001"}]
    assert view["letter_number"] is None and view["issued_on"] is None and NIK not in status.get_data(as_text=True)
    assert client.get("/api/v1/letters/SRT-22222-22222").status_code == 404


def test_the_api_names_each_wrong_field(client, balai):
    wrong = client.post("/api/v1/letters", json={**API_GOOD, "fields": {"nik": "1234"}, "bring_papers": False})
    assert wrong.status_code == 400
    body = wrong.get_json()
    assert body["error"] == "letter_fields_invalid" and body["message"]
    assert set(body["fields"]) == {"nama", "nik", "alamat", "keperluan", "bring_papers"}
    unknown = client.post("/api/v1/letters", json={**API_GOOD, "type": "surat-sakti"})
    assert unknown.status_code == 400 and set(unknown.get_json()["fields"]) == {"type"}
    assert client.post("/api/v1/letters", json={**API_GOOD, "fields": "nama"}).status_code == 400
    assert client.post("/api/v1/letters", json={**API_GOOD, "ticket": "yes"}).status_code == 400
    assert stored(balai) == []


@pytest.mark.parametrize("overrides", [{"BALAI_LETTER_REQUESTS_PER_HOUR": 1}])
def test_the_api_is_limited_like_the_form(client):
    assert client.post("/api/v1/letters", json=API_GOOD, environ_base=PHONE).status_code == 201
    refused = client.post("/api/v1/letters", json=API_GOOD, environ_base=PHONE)
    assert refused.status_code == 429 and refused.get_json()["error"] == "letter_too_often"
    assert int(refused.headers["Retry-After"]) > 0
    assert send(client, **GOOD).status_code == 429  # the form and the API share the allowance


# -- the kiosk ---------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [{"BALAI_LETTER_REQUESTS_PER_HOUR": 1}])
def test_the_kiosk_sends_a_request_with_a_number_printed_here(client, balai, kiosk):
    kiosk_id, _, pairing = kiosk
    client.post(f"/kiosk/pair/{pairing}")
    start = client.get("/kiosk/").get_data(as_text=True)
    assert 'href="/kiosk/letters"' in start
    assert 'href="/kiosk/letters/domisili"' in client.get("/kiosk/letters").get_data(as_text=True)
    form = client.get("/kiosk/letters/domisili").get_data(as_text=True)
    assert 'class="card kiosk-form"' in form and 'name="nik"' in form and 'name="ticket"' not in form
    for _ in range(2):  # no hourly limit at the kiosk
        response = client.post("/kiosk/letters/domisili", data=GOOD)
        assert response.status_code == 303 and response.headers["Location"].startswith("/kiosk/ticket/")
    rows = stored(balai)
    assert [r.source for r in rows] == ["kiosk", "kiosk"] and all(r.ticket_id for r in rows)
    with balai.db.read() as session:
        jobs = session.scalars(select(PrintJob).where(PrintJob.ticket_id == rows[-1].ticket_id)).all()
        assert [job.kiosk_id for job in jobs] == [kiosk_id]
        assert session.get(Ticket, rows[-1].ticket_id).source == "kiosk"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert letter_requests.display_code(rows[-1].code) in page and page.count('class="qr"') == 2
    wrong = client.post("/kiosk/letters/domisili", data={**GOOD, "nik": "12"})
    assert wrong.status_code == 400 and 'id="nik-error"' in wrong.get_data(as_text=True)


@pytest.mark.parametrize("overrides", [{"BALAI_LETTER_REQUESTS_PER_HOUR": 1}])
def test_a_phone_on_the_kiosk_pages_is_still_limited(client, balai):
    assert client.post("/kiosk/letters/domisili", data=GOOD, environ_base=PHONE).status_code == 303
    refused = client.post("/kiosk/letters/domisili", data=GOOD, environ_base=PHONE)
    assert refused.status_code == 429 and 'class="card kiosk-form"' in refused.get_data(as_text=True)
    assert [r.source for r in stored(balai)] == ["hotspot"]


def test_the_kiosk_shows_the_code_when_no_number_can_be_printed(client, balai):
    with balai.db.write() as session:
        session.execute(update(Service).where(Service.code == "surat").values(opens_at="08:00", closes_at="08:30"))
    response = client.post("/kiosk/letters/domisili", data=GOOD)
    assert response.status_code == 303 and response.headers["Location"].startswith("/kiosk/letters/sent/SRT-")
    [row] = stored(balai)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert letter_requests.display_code(row.code) in page and 'class="qr"' in page and "08:30" in page
    assert client.get("/kiosk/letters/sent/SRT-22222-22222").status_code == 404
