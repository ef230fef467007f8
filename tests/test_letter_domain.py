"""Letter requests and the register, below the web: checking answers, masking, numbering,
voiding, templates, retention. (The journey over HTTP is in test_letters.py.)"""

import json
import threading

import pytest
import yaml
from sqlalchemy import select

from portal.domain import demo, letter_register, letter_requests, letter_templates, letters
from portal.domain.audit import Actor
from portal.domain.errors import Conflict, DomainError
from portal.models import AuditEntry, IssuedLetter, LetterRequest, LetterType, Officer, OutboxEvent

NIK = "3203015708900001"  # Cianjur, born 17-08-1990, a woman (day + 40)
ANSWERS = {
    "nama": "Siti Aminah",
    "nik": NIK,
    "alamat": {"rt": "2", "rw": "1", "dusun": "Dusun I"},
    "keperluan": "Melamar pekerjaan",
}
OFFICIAL = Actor(user_id=None, username="operator", address="127.0.0.1")


def letter_type(session, code="domisili"):
    return session.scalar(select(LetterType).where(LetterType.code == code))


def submit(balai, code="domisili", answers=ANSWERS, **options):
    with balai.db.write() as session:
        request = letter_requests.submit(session, letter_type(session, code), answers, now=balai.clock.now(), **options)
        return request.id


def signer_id(balai):
    with balai.db.read() as session:
        return session.scalar(select(Officer.id).order_by(Officer.position))


def issue(balai, request_id):
    with balai.db.write() as session:
        request = letter_requests.get(session, request_id)
        letter = letter_register.issue(session, request, signer_id(balai), OFFICIAL, balai.clock.now())
        return letter.number


@pytest.mark.parametrize(
    "nik, problem",
    [
        (NIK, None),
        ("3203011708900001", None),  # a man
        ("320301570890000", "nik_length"),
        ("32030157089000011", "nik_length"),
        ("32030157089O0001", "nik_length"),
        ("0903015708900001", "nik_format"),  # no province 09
        ("3200015708900001", "nik_format"),  # regency 00
        ("3203013208900001", "nik_format"),  # day 32
        ("3203015713900001", "nik_format"),  # month 13
        ("3203015708900000", "nik_format"),  # serial 0000
    ],
)
def test_nik_format(nik, problem):
    assert letter_requests.nik_problem(nik) == problem


def test_only_ascii_digits_count():
    assert letter_requests.nik_problem("٣٢٠٣٠١٥٧٠٨٩٠٠٠٠١") == "nik_length"
    assert letter_requests.address_text({"rt": "²", "rw": "1", "dusun": "I"}) == ("", "address_rt_rw")
    assert letter_requests.parse_date("٢٠٢٦-١١-٢٤") is None


def test_a_masked_name_fits_the_register_and_the_district():
    fields = letters.COMMON_FIELDS
    assert len(letter_requests.masked_name_of(fields, {"nama": "Panjang " * 25})) == 160


def test_masking():
    assert letter_requests.mask_nik(NIK) == "3203********0001"
    assert letter_requests.mask_name("Siti Aminah") == "S*** A*****"
    assert letter_requests.mask_name("H. Asep bin Ujang") == "H. A*** b** U****"


def test_answers_are_checked_per_field_and_nothing_is_stored(balai):
    bad = {"nama": "", "nik": "1234", "alamat": {"rt": "x", "rw": "1", "dusun": "I"}, "keperluan": "y" * 1001}
    with pytest.raises(letter_requests.FieldErrors) as caught:
        submit(balai, answers=bad)
    assert caught.value.details["fields"] == {
        "nama": ("field_required", {"label": "Nama lengkap"}),
        "nik": ("nik_length", {"label": "NIK (16 angka)", "maximum": 200}),
        "alamat": ("address_rt_rw", {"label": "Alamat (RT/RW, dusun)", "maximum": 200}),
        "keperluan": ("field_too_long", {"label": "Keperluan", "maximum": 1000}),
    }
    with balai.db.read() as session:
        assert session.scalar(select(LetterRequest.id)) is None
    with pytest.raises(letter_requests.FieldErrors):
        submit(balai, bring_papers=False)


def test_answers_are_tidied(balai):
    answers = dict(ANSWERS, nik="3203 0157 0890 0001", nama="  Siti   Aminah ")
    request_id = submit(balai, answers=answers)
    with balai.db.read() as session:
        request = letter_requests.get(session, request_id)
        stored = letter_requests.answers_of(request)
        assert stored["nik"] == NIK and stored["nama"] == "Siti Aminah"
        assert stored["alamat"] == "RT 02/RW 01, Dusun I"
        assert request.masked_name == "S*** A*****"
        view = letter_requests.public_view(session, request)
    assert view["masked"] == [{"label": "NIK (16 angka)", "value": "3203********0001"}]
    assert NIK not in json.dumps(view, default=str) and "Siti" not in json.dumps(view, default=str)


def test_dates_in_either_form():
    assert letter_requests.parse_date("2026-11-24").isoformat() == "2026-11-24"
    assert letter_requests.parse_date("24-11-2026").isoformat() == "2026-11-24"
    assert letter_requests.parse_date("24/11/2026").isoformat() == "2026-11-24"
    assert letter_requests.parse_date("31-02-2026") is None
    assert letter_requests.parse_date("1-1-1800") is None


def test_issue_numbers_the_register_and_marks_the_request_ready(balai):
    request_id = submit(balai)
    number = issue(balai, request_id)
    assert number == f"470/001/DS-SKM/{letter_register.ROMAN_MONTHS[balai.clock.now().month - 1]}/2026"
    assert issue(balai, submit(balai, code="sktm")).startswith("470/002/")
    with balai.db.read() as session:
        request = letter_requests.get(session, request_id)
        assert request.status == "ready"
        letter = session.scalar(select(IssuedLetter).where(IssuedLetter.request_id == request_id))
        body = json.loads(letter.body)
        # The details table lines up, the answers are filled in once, the date is written out.
        assert ["rows", [["Nama", "Siti Aminah"], ["NIK", NIK], ["Alamat", "RT 02/RW 01, Dusun I"]]] in body
        assert any("Melamar pekerjaan" in b[1] for b in body if b[0] == "p")
        events = [json.loads(e.payload) for e in session.scalars(select(OutboxEvent))]
    issued = [e for e in events if e.get("letter") == letter.verify_code]
    assert issued == [
        {
            "letter": letter.verify_code,
            "number": number,
            "type": "Surat Keterangan Domisili",
            "issued_on": letter.issued_on.isoformat(),
            "name": "S*** A*****",
            "voided_on": None,
        }
    ]
    # Nothing personal ever goes to the outbox.
    assert not any(NIK in json.dumps(e) or "Siti Aminah" in json.dumps(e) for e in events)


def test_an_issued_request_is_closed(balai):
    request_id = submit(balai)
    issue(balai, request_id)
    with pytest.raises(Conflict):
        issue(balai, request_id)
    with balai.db.write() as session, pytest.raises(Conflict):
        letter_requests.reject(session, letter_requests.get(session, request_id), "Berkas kurang", OFFICIAL, None)


def test_numbers_are_gapless_and_unique_under_concurrent_issue(balai):
    ids = [submit(balai) for _ in range(24)]
    numbers, errors = [], []

    def worker(chunk):
        for request_id in chunk:
            try:
                numbers.append(issue(balai, request_id))
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(ids[n::6],)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(set(numbers)) == 24
    with balai.db.read() as session:
        seqs = sorted(session.scalars(select(IssuedLetter.seq)))
    assert seqs == list(range(1, 25))


def test_numbers_restart_each_year(balai, clock):
    issue(balai, submit(balai))
    clock.advance(days=60)  # past new year's day (the demo starts in November)
    assert "/001/" in issue(balai, submit(balai)) and issue(balai, submit(balai)).endswith("/2027")


def test_void_keeps_the_number_and_reopens_the_request(balai):
    request_id = submit(balai)
    number = issue(balai, request_id)
    with balai.db.write() as session:
        letter = session.scalar(select(IssuedLetter).where(IssuedLetter.number == number))
        with pytest.raises(DomainError):
            letter_register.void(session, letter, "", OFFICIAL, balai.clock.now())
        letter_register.void(session, letter, "Salah ketik nama", OFFICIAL, balai.clock.now())
        with pytest.raises(Conflict):
            letter_register.void(session, letter, "Salah ketik nama", OFFICIAL, balai.clock.now())
    second = issue(balai, request_id)
    assert second != number and "/002/" in second
    with balai.db.read() as session:
        rows = letter_register.search(session)
        assert [(r.number, r.voided_at is not None) for r in rows] == [(second, False), (number, True)]
        assert letter_register.search(session, "002")[0].number == second
        csv_text = letter_register.csv_text(rows)
    assert csv_text.startswith("\ufeffnomor,urut,tahun")
    assert "batal" in csv_text and "Salah ketik nama" in csv_text and NIK not in csv_text


def test_reprints_are_counted_and_audited(balai):
    number = issue(balai, submit(balai))
    for _ in range(3):
        with balai.db.write() as session:
            letter = session.scalar(select(IssuedLetter).where(IssuedLetter.number == number))
            letter_register.printed(session, letter, OFFICIAL, balai.clock.now())
    with balai.db.read() as session:
        assert session.scalar(select(IssuedLetter.prints)) == 3
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("letter.%"))).all()
    assert actions == ["letter.issue", "letter.print", "letter.reprint", "letter.reprint"]


def test_rejection_needs_a_reason(balai):
    request_id = submit(balai)
    with balai.db.write() as session:
        request = letter_requests.get(session, request_id)
        with pytest.raises(DomainError):
            letter_requests.reject(session, request, " no ", OFFICIAL, balai.clock.now())
        letter_requests.reject(session, request, "Berkas KK belum ada", OFFICIAL, balai.clock.now())
    with balai.db.read() as session:
        view = letter_requests.public_view(session, letter_requests.get(session, request_id))
    assert (view["status"], view["reason"]) == ("rejected", "Berkas KK belum ada")


def test_edits_audit_the_field_names_never_the_values(balai):
    request_id = submit(balai)
    with balai.db.write() as session:
        request = letter_requests.get(session, request_id)
        changed = letter_requests.edit(
            session, request, dict(ANSWERS, nama="Siti Aminah Lestari"), OFFICIAL, balai.clock.now()
        )
        assert changed == ["nama"] and request.status == "processing"
    with balai.db.read() as session:
        detail = session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "letter_request.update"))
    assert "Lestari" not in detail and "nama" in detail


def test_retention_deletes_personal_data_but_keeps_the_register(balai, clock):
    old = submit(balai)
    number = issue(balai, old)
    clock.advance(days=200)
    recent = submit(balai)
    with balai.db.write() as session:
        assert letter_requests.purge(session, clock.now(), 100) == 1
        assert letter_requests.purge(session, clock.now(), 100) == 0
    with balai.db.read() as session:
        purged, kept = letter_requests.get(session, old), letter_requests.get(session, recent)
        assert purged.answers == "{}" and purged.purged_at is not None and purged.masked_name == "S*** A*****"
        assert json.loads(kept.answers)["nik"] == NIK
        letter = session.scalar(select(IssuedLetter).where(IssuedLetter.number == number))
        assert letter.body == "[]" and letter.masked_name == "S*** A*****"
    with balai.db.write() as session, pytest.raises(Conflict):
        letter_register.printed(session, session.get(IssuedLetter, letter.id), OFFICIAL, clock.now())


def test_retention_closes_requests_nobody_took_up(balai, clock):
    request_id, rejected_id = submit(balai), submit(balai)
    with balai.db.write() as session:
        request = letter_requests.get(session, rejected_id)
        letter_requests.reject(session, request, "Berkas Siti kurang", OFFICIAL, clock.now())
    clock.advance(days=400)
    with balai.db.write() as session:
        assert letter_requests.purge(session, clock.now(), 365) == 2
    with balai.db.read() as session:
        rows = session.scalars(select(LetterRequest).order_by(LetterRequest.id)).all()
        assert [(r.status, r.reason) for r in rows] == [("rejected", ""), ("rejected", "")]
        assert letter_requests.public_view(session, letter_requests.get(session, request_id))["purged"] is True


def test_template_placeholders_are_filled_once():
    values = {"nama": "{nik} <b>Siti</b>", "nik": NIK}
    body = letter_templates.compose("Nama : {nama}\nNIK : {nik}\n\nHalo {nama}, {keperluan}.", values)
    assert body == [["rows", [["Nama", "{nik} <b>Siti</b>"], ["NIK", NIK]]], ["p", "Halo {nik} <b>Siti</b>, -."]]
    assert letter_templates.fill("untuk: {keperluan}.", {"keperluan": "Melamar kerja."}) == "untuk: Melamar kerja."


def test_templates_are_checked():
    fields = letters.COMMON_FIELDS
    assert letter_templates.check("  Nama : {nama}\n", fields) == "Nama : {nama}"
    for bad, code in (
        ("", "letter_template_empty"),
        ("{foo}", "letter_template_unknown"),
        ("{nama", "letter_template_braces"),
    ):
        with pytest.raises(DomainError) as caught:
            letter_templates.check(bad, fields)
        assert caught.value.code == code
    for code, text in letter_templates.SHIPPED.items():
        assert letter_templates.check(text, shipped_fields(code)), code


def shipped_fields(code):
    """The demo's fields for a shipped letter code (its templates use them)."""
    document = yaml.safe_load((demo.PACK / "content.yaml").read_text())
    item = next(t for t in document["letter_types"] if t["code"] == code)
    return item.get("fields") or letters.COMMON_FIELDS


def test_number_format_and_settings_are_checked():
    assert letter_register.check_format(" {nomor}/{tahun} ") == "{nomor}/{tahun}"
    for bad in ("{nomor}", "{tahun}", "{nomor}/{tahun}/{x}", "{nomor}/{tahun}}", ""):
        with pytest.raises(DomainError):
            letter_register.check_format(bad)
    with pytest.raises(DomainError):
        letter_register.check_settings("{nomor}/{tahun}", "A3", 365, "")
    with pytest.raises(DomainError):
        letter_register.check_settings("{nomor}/{tahun}", "F4", 5, "")


def test_field_names_may_not_shadow_the_templates_own():
    with pytest.raises(DomainError):
        letters.parse_fields(json.dumps([{"name": "desa", "label": "Desa", "kind": "text", "required": True}]))
