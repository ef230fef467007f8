"""The officials' letters console over HTTP: the requests with their full details, correcting and
issuing, printing (counted reprints), voiding, rejecting, the register and its CSV, the letters'
texts and settings (admins only), and the counter's button to a called ticket's request."""

import csv
import io
import json
import re

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from portal.domain import letter_requests
from portal.models import AuditEntry, IssuedLetter, LetterRequest, LetterType
from tests.conftest import csrf_from, login
from tests.test_letter_domain import ANSWERS, NIK
from tests.test_sign_in import english

FORM = {
    "nama": "Siti Aminah",
    "nik": NIK,
    "alamat__rt": "2",
    "alamat__rw": "1",
    "alamat__dusun": "Dusun I",
    "keperluan": "Melamar pekerjaan",
}


def submit(balai, code="domisili", answers=ANSWERS, ticket_id=None):
    """A resident's request, stored as the public form stores it; returns its id."""
    with balai.db.write() as session:
        letter_type = session.scalar(select(LetterType).where(LetterType.code == code))
        request = letter_requests.submit(session, letter_type, answers, now=balai.clock.now())
        request.ticket_id = ticket_id
        return request.id


@pytest.fixture
def official(client):
    """The test client signed in as the demo operator, reading English."""
    login(client, "operator")
    return english(client)


@pytest.fixture
def admin(app):
    """Another client signed in as the demo admin, reading English."""
    client = app.test_client()
    login(client, "admin")
    return english(client)


def post(client, path, page, **data):
    """Post a console form with the CSRF token of ``page`` (a path); returns the response."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def follow(client, response):
    """The page a 303 leads to, as text."""
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def stored(balai, request_id):
    with balai.db.read() as session:
        row = letter_requests.get(session, request_id)
        return row.status, letter_requests.answers_of(row), row.reason


def letters_of(balai, request_id):
    with balai.db.read() as session:
        return session.scalars(
            select(IssuedLetter).where(IssuedLetter.request_id == request_id).order_by(IssuedLetter.id)
        ).all()


def issue(client, request_id, **data):
    """Press "Save and issue the letter" on the request's page (the form's answers and the first signer)."""
    page = f"/admin/letters/{request_id}"
    signer = re.search(r'<option value="(\d+)" selected>', client.get(page).get_data(as_text=True)).group(1)
    return post(client, f"{page}/issue", page, answers="1", signer=signer, **{**FORM, **data})


def pdf_text(data):
    document = pdfium.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def actions(balai):
    with balai.db.read() as session:
        return [a for a in session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)) if a != "login"]


def test_the_list_counts_each_status_and_shows_full_names(official, balai):
    first = submit(balai)
    submit(balai, code="sktm", answers={**ANSWERS, "nama": "Budi Santoso"})
    post(official, f"/admin/letters/{first}/reject", f"/admin/letters/{first}", reason="Berkas tidak lengkap")
    html = official.get("/admin/letters").get_data(as_text=True)
    assert "Siti Aminah" in html and "Budi Santoso" in html  # officials see the names in full
    assert "All (2)" in html and "Received (1)" in html and "Rejected (1)" in html
    assert letter_requests.display_code(stored_code(balai, first)) in html
    rejected = official.get("/admin/letters?status=rejected").get_data(as_text=True)
    assert "Siti Aminah" in rejected and "Budi Santoso" not in rejected
    assert official.get("/admin/letters?status=nonsense").status_code == 400


def stored_code(balai, request_id):
    with balai.db.read() as session:
        return letter_requests.get(session, request_id).code


def test_the_request_page_shows_the_full_nik_to_an_operator(official, balai):
    request_id = submit(balai)
    html = official.get(f"/admin/letters/{request_id}").get_data(as_text=True)
    assert f'value="{NIK}"' in html and 'value="Siti Aminah"' in html
    assert 'name="alamat__rt"' in html and 'value="Dusun I"' in html
    assert official.get("/admin/letters/999999").status_code == 404


def test_editing_with_a_bad_nik_is_refused_beside_the_field_and_changes_nothing(official, balai):
    request_id = submit(balai)
    page = f"/admin/letters/{request_id}"
    response = post(official, f"{page}/edit", page, **{**FORM, "nik": "1234", "nama": "Siti Aminah Baru"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="nik-error"' in html and "16 digits" in html
    assert 'value="Siti Aminah Baru"' in html  # what was typed stays on the form
    status, answers, _ = stored(balai, request_id)
    assert status == "received" and answers["nama"] == "Siti Aminah" and answers["nik"] == NIK
    html = follow(official, post(official, f"{page}/edit", page, **{**FORM, "nama": "Siti Aminah Baru"}))
    assert stored(balai, request_id)[:2] == ("processing", {**answers, "nama": "Siti Aminah Baru"})
    assert "The request was saved." in html


def test_issuing_numbers_the_letter_marks_the_request_ready_and_keeps_the_edits(official, balai):
    request_id = submit(balai)
    html = follow(official, issue(official, request_id, nama="Siti Aminah Putri"))
    letter = letters_of(balai, request_id)[0]
    assert f"Letter {letter.number} was issued." in html
    assert letter.number.startswith("470/001/")
    status, answers, _ = stored(balai, request_id)
    assert status == "ready" and answers["nama"] == "Siti Aminah Putri"
    assert "Siti Aminah Putri" in letter.body
    register = official.get("/admin/letters/register").get_data(as_text=True)
    assert letter.number in register and "S*** A***** P****" in register and "Siti" not in register
    # A wrong answer on the issuing form issues nothing.
    other = submit(balai)
    response = issue(official, other, nik="12")
    assert response.status_code == 400 and letters_of(balai, other) == []
    assert stored(balai, other)[0] == "received"


def test_printing_counts_reprints_and_never_renumbers(official, balai):
    request_id = submit(balai)
    issue(official, request_id)
    letter = letters_of(balai, request_id)[0]
    page = official.get(f"/admin/letters/{request_id}").get_data(as_text=True)
    assert f'action="/admin/letters/letter/{letter.id}.pdf" target="_blank"' in page
    # A form (POST, with the CSRF token): a prefetch or another site's link cannot count a print.
    assert official.get(f"/admin/letters/letter/{letter.id}.pdf").status_code == 405
    pdf_at = f"/admin/letters/letter/{letter.id}.pdf"
    first = post(official, pdf_at, f"/admin/letters/{request_id}")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.headers["Cache-Control"] == "no-store"
    expected = "surat-" + letter.number.replace("/", "-") + ".pdf"
    assert first.headers["Content-Disposition"] == f'inline; filename="{expected}"'
    text = pdf_text(first.data)
    assert letter.number in text and "Siti Aminah" in text
    second = post(official, pdf_at, f"/admin/letters/{request_id}")
    assert second.status_code == 200 and letter.number in pdf_text(second.data)
    again = letters_of(balai, request_id)[0]
    assert (again.prints, again.number) == (2, letter.number)
    assert actions(balai)[-2:] == ["letter.print", "letter.reprint"]
    assert post(official, "/admin/letters/letter/999999.pdf", f"/admin/letters/{request_id}").status_code == 404


def test_a_purged_letter_cannot_be_printed(official, balai, clock):
    request_id = submit(balai)
    issue(official, request_id)
    letter = letters_of(balai, request_id)[0]
    clock.advance(days=400)
    with balai.db.write() as session:
        assert letter_requests.purge(session, balai.clock.now(), 365) == 1
    login(official, "operator")  # the session ended long ago
    html = follow(official, post(official, f"/admin/letters/letter/{letter.id}.pdf", f"/admin/letters/{request_id}"))
    assert "cannot be printed again" in html and 'id="purged"' in html
    assert NIK not in html and "Siti Aminah" not in html


def test_voiding_keeps_the_number_and_reopens_the_request(official, balai):
    request_id = submit(balai)
    issue(official, request_id)
    letter = letters_of(balai, request_id)[0]
    page = f"/admin/letters/{request_id}"
    refused = follow(official, post(official, f"/admin/letters/letter/{letter.id}/void", page, reason=""))
    assert "Write a reason" in refused and letters_of(balai, request_id)[0].voided_at is None
    html = follow(official, post(official, f"/admin/letters/letter/{letter.id}/void", page, reason="Salah ketik nama"))
    assert f"Letter {letter.number} is void." in html
    assert stored(balai, request_id)[0] == "processing"
    register = official.get("/admin/letters/register").get_data(as_text=True)
    assert "Void" in register and "Salah ketik nama" in register
    follow(official, issue(official, request_id))
    numbers = [row.number for row in letters_of(balai, request_id)]
    assert numbers[0] == letter.number and numbers[1].startswith("470/002/")


def test_rejecting_needs_a_reason_the_resident_reads(official, balai):
    request_id = submit(balai)
    page = f"/admin/letters/{request_id}"
    assert "Write a reason" in follow(official, post(official, f"{page}/reject", page, reason="no"))
    assert stored(balai, request_id)[0] == "received"
    html = follow(official, post(official, f"{page}/reject", page, reason="Berkas KK belum dibawa"))
    assert "The request was rejected" in html
    assert stored(balai, request_id)[0::2] == ("rejected", "Berkas KK belum dibawa")
    closed = post(official, f"{page}/issue", page, signer="1")
    assert "This request is no longer open" in follow(official, closed)


def test_collecting_a_ready_letter(official, balai):
    request_id = submit(balai)
    page = f"/admin/letters/{request_id}"
    assert "Only a letter that is ready" in follow(official, post(official, f"{page}/collected", page))
    issue(official, request_id)
    assert "marked as collected" in follow(official, post(official, f"{page}/collected", page))
    assert stored(balai, request_id)[0] == "collected"
    assert post(official, f"{page}/nonsense", page).status_code == 404


def test_a_walk_in_request_from_the_counter(official, balai):
    chooser = official.get("/admin/letters/new").get_data(as_text=True)
    assert "/admin/letters/new?type=domisili" in chooser
    page = "/admin/letters/new?type=domisili"
    refused = post(official, page, page, **{**FORM, "nik": "99"})
    assert refused.status_code == 400 and 'id="nik-error"' in refused.get_data(as_text=True)
    for _ in range(12):  # officials type for residents: no rate limit
        response = post(official, page, page, **FORM)
        assert response.status_code == 303
    with balai.db.read() as session:
        rows = session.scalars(select(LetterRequest)).all()
    assert len(rows) == 12 and {r.source for r in rows} == {"official"}
    assert response.headers["Location"].endswith(f"/admin/letters/{rows[-1].id}")


def test_register_search_and_csv(official, balai):
    issue(official, submit(balai))
    issue(official, submit(balai, code="sktm"), nama="Budi Santoso")
    found = official.get("/admin/letters/register?q=B***").get_data(as_text=True)
    assert "B*** S******" in found and "S*** A*****" not in found
    assert "Surat Keterangan Domisili" in official.get("/admin/letters/register?q=domisili").get_data(as_text=True)
    response = official.get("/admin/letters/register.csv?year=2026")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="register-surat-2026.csv"'
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["nomor", "urut", "tahun"] and len(rows) == 3
    assert [r[5] for r in rows[1:]] == ["S*** A*****", "B*** S******"]
    assert NIK not in text and "Siti" not in text and "Budi" not in text
    everything = official.get("/admin/letters/register.csv?q=B***")
    assert 'filename="register-surat-all.csv"' in everything.headers["Content-Disposition"]
    assert len(list(csv.reader(io.StringIO(everything.get_data(as_text=True))))) == 2


def test_texts_and_settings_are_for_admins(official):
    for path in ("/admin/letters/templates", "/admin/letters/templates/1", "/admin/letters/settings"):
        assert official.get(path).status_code == 403
    assert 'href="/admin/letters/templates"' not in official.get("/admin/letters").get_data(as_text=True)


def type_id(balai, code="domisili"):
    with balai.db.read() as session:
        return session.scalar(select(LetterType.id).where(LetterType.code == code))


def test_an_admin_edits_a_letters_text(admin, official, balai):
    path = f"/admin/letters/templates/{type_id(balai)}"
    html = admin.get(path).get_data(as_text=True)
    assert (
        "{keperluan}" in html
        and "{nomor_surat}" in html
        and "Shipped text" in admin.get("/admin/letters/templates").get_data(as_text=True)
    )
    text = "Yang bertanda tangan di bawah ini, {jabatan} {desa}.\n\nNama : {nama}\nNIK : {nik}\n\nUntuk {keperluan}."
    refused = post(admin, path, path, template=text + " {umur} {gaji}")
    assert refused.status_code == 400 and "{gaji}, {umur}" in refused.get_data(as_text=True)
    with balai.db.read() as session:
        assert session.get(LetterType, type_id(balai)).template == ""
    assert "was saved" in follow(admin, post(admin, path, path, template=text))
    with balai.db.read() as session:
        assert session.get(LetterType, type_id(balai)).template == text
    with balai.db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "letter_type.template" and json.loads(entry.detail)["length"] == [0, len(text)]
    request_id = submit(balai)
    issue(official, request_id)
    assert "Untuk Melamar pekerjaan." in letters_of(balai, request_id)[0].body
    follow(admin, post(admin, path, path, template="", restore="1"))
    with balai.db.read() as session:
        assert session.get(LetterType, type_id(balai)).template == ""


def test_previews_escape_and_register_nothing(admin, balai):
    path = f"/admin/letters/templates/{type_id(balai)}"
    text = "<script>alert(1)</script> untuk {nama}\n\nNama : {nama}"
    html = post(admin, path, path, template=text, preview="1").get_data(as_text=True)
    assert 'id="preview"' in html and "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; untuk [Nama lengkap]" in html
    response = post(admin, path, path, template=text, pdf="1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    shown = pdf_text(response.data)
    assert "000/SAMPLE" in shown and "[Nama lengkap]" in shown
    with balai.db.read() as session:
        assert session.scalar(select(func.count()).select_from(IssuedLetter)) == 0
        assert session.get(LetterType, type_id(balai)).template == ""


def test_settings_change_the_next_number(admin, official, balai):
    page = admin.get("/admin/letters/settings").get_data(as_text=True)
    assert "470/001/DS-SKM/" in page and 'placeholder="DS-SKM"' in page
    path = "/admin/letters/settings"
    refused = post(admin, path, path, number_format="{kode}/{desa}", paper="A4", retention_days="365", letter_code="")
    assert refused.status_code == 400 and "{nomor}" in refused.get_data(as_text=True)
    bad_days = post(admin, path, path, number_format="{nomor}/{tahun}", paper="A4", retention_days="x", letter_code="")
    assert bad_days.status_code == 400
    saved = post(
        admin, path, path, number_format="{nomor}/{desa}/{tahun}", paper="F4", retention_days="90", letter_code="SKJ"
    )
    assert "The letter settings were saved." in follow(admin, saved)
    assert "001/SKJ/2026" in admin.get(path).get_data(as_text=True)
    request_id = submit(balai)
    issue(official, request_id)
    letter = letters_of(balai, request_id)[0]
    assert (letter.number, letter.paper) == ("001/SKJ/2026", "F4")


def test_the_counter_opens_the_called_tickets_request(official, balai, queue):
    ticket = queue.issue("surat")
    request_id = submit(balai, ticket_id=ticket["id"])
    assert 'id="letter-request"' not in official.get("/admin/counter/1").get_data(as_text=True)
    html = follow(official, post(official, "/admin/counter/1/call-next", "/admin/counter/1"))
    code = letter_requests.display_code(stored_code(balai, request_id))
    assert f'href="/admin/letters/{request_id}"' in html and code in html
    assert f'href="/admin/letters/{request_id}"' in official.get("/admin/counter/1/live").get_data(as_text=True)
    listing = official.get("/admin/letters").get_data(as_text=True)
    assert ticket["number"] in listing
