"""The letter as a PDF: a real letter issued from the demo village, read back with pypdfium2 (its
text, page size and the QR code decoded from a rendering of the page)."""

import json
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import select

from portal import letter_pdf
from portal.cli import DEMO_LOGO
from portal.domain import letter_register, letter_requests
from portal.domain.village import get_village
from portal.models import IssuedLetter, LetterType, Officer
from tests.test_letter_domain import ANSWERS, NIK, OFFICIAL

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "var" / "screenshots"
VERIFY = "http://10.42.0.1:8080/letters/verify/"
POINTS = 72 / 25.4  # PDF points per millimetre


def issued(balai, answers=ANSWERS, paper="A4"):
    """Submit a domisili request with ``answers``, issue it (signed by the first official) and
    return the letter and the village, detached from the session."""
    with balai.db.write() as session:
        get_village(session).letter_paper = paper
        letter_type = session.scalar(select(LetterType).where(LetterType.code == "domisili"))
        request = letter_requests.submit(session, letter_type, answers, now=balai.clock.now())
        signer = session.scalar(select(Officer).order_by(Officer.position))
        letter = letter_register.issue(session, request, signer.id, OFFICIAL, balai.clock.now())
        village = get_village(session)
        session.flush()
        session.expunge_all()
    return letter, village


def render(letter, village, logo=DEMO_LOGO):
    return letter_pdf.render(letter, village, logo, VERIFY + letter.verify_code)


def pages(data):
    return pdfium.PdfDocument(data)


def text_of(page):
    return page.get_textpage().get_text_range()


def picture(page, scale=1.5):
    return page.render(scale=scale).to_pil()


def qr_codes(page):
    return [hit.text for hit in zxingcpp.read_barcodes(picture(page, scale=2))]


def test_a_letter_reads_as_issued(balai):
    letter, village = issued(balai)
    document = pages(render(letter, village))
    assert len(document) == 1
    width, height = document[0].get_size()
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1
    text = text_of(document[0])
    for expected in (letter.number, "Siti Aminah", NIK, "DESA SUKAMAJU", letter.signer_name, "KECAMATAN"):
        assert expected in text
    assert "PEMERINTAH KABUPATEN CIANJUR" in text and "SURAT KETERANGAN DOMISILI" in text.upper()
    assert letter_register.indonesian_date(letter.issued_on) in text
    assert "Keaslian surat ini dapat diperiksa" in text and letter.verify_code in text  # the footer
    assert qr_codes(document[0]) == [VERIFY + letter.verify_code]
    assert document.get_metadata_dict()["Title"] == letter.number


def test_f4_paper_and_no_logo(balai):
    letter, village = issued(balai, paper="F4")
    document = pages(render(letter, village, logo=None))
    width, height = document[0].get_size()
    assert abs(width - 215 * POINTS) <= 1 and abs(height - 330 * POINTS) <= 1
    assert qr_codes(document[0]) == [VERIFY + letter.verify_code]


def test_a_letter_not_yet_saved(balai):
    """A letter the console shows before issuing it: a row never stored, with no verification code."""
    with balai.db.read() as session:
        village = get_village(session)
        session.expunge(village)
    letter = IssuedLetter(
        number="470/---/DS-SKM/XI/2026",
        type_name="Surat Keterangan Usaha",
        issued_on=date(2026, 11, 23),
        issued_at=datetime(2026, 11, 23, 2, 0),  # naive: still a fixed date in the file
        signer_name="Dede Rohmat",
        signer_role="Sekretaris Desa",
        paper="F4",
        body=json.dumps([["p", "Isi surat."], ["rows", [["Usaha", "Warung kelontong"]]]]),
        voided_at=None,
    )
    data = letter_pdf.render(letter, village, None, VERIFY + "PREVIEW")
    text = text_of(pages(data)[0])
    assert "Sekretaris Desa Sukamaju" in text and "Warung kelontong" in text and "SURAT KETERANGAN USAHA" in text
    assert data == letter_pdf.render(letter, village, None, VERIFY + "PREVIEW")


def test_a_long_label_wraps_instead_of_failing(balai):
    """A table label as long as a template allows (60 capitals) wraps within its column."""
    with balai.db.read() as session:
        village = get_village(session)
        session.expunge(village)
    label = "NAMA LENGKAP SESUAI KARTU TANDA PENDUDUK ELEKTRONIK WARGA X"
    letter = IssuedLetter(
        number="470/001/DS-SKM/XI/2026",
        type_name="Surat Keterangan",
        issued_on=date(2026, 11, 23),
        issued_at=datetime(2026, 11, 23, 2, 0),
        signer_name="Dede Rohmat",
        signer_role="Sekretaris Desa",
        paper="A4",
        body=json.dumps([["rows", [[label, "Siti Aminah"], ["NIK", "3203015708900001"]]]]),
        voided_at=None,
    )
    text = text_of(pages(letter_pdf.render(letter, village, None, VERIFY + "LONG"))[0])
    assert "Siti Aminah" in text and "ELEKTRONIK" in text


def test_answers_are_text_only(balai):
    letter, village = issued(balai, answers=dict(ANSWERS, nama="<b>{nik}</b> **tebal**"))
    text = text_of(pages(render(letter, village))[0])
    assert "<b>{nik}</b> **tebal**" in text


def test_any_script_renders_without_error(balai):
    letter, village = issued(balai, answers=dict(ANSWERS, nama="Nguyễn Ṭest 漢 “Ali” café"))
    text = text_of(pages(render(letter, village))[0])
    assert "Nguyen Test ? “Ali” café" in text


def test_a_long_letter_keeps_its_signature_block_whole(balai):
    letter, village = issued(balai, answers=dict(ANSWERS, keperluan="Melamar pekerjaan di kota. " * 36))
    body = json.loads(letter.body)
    letter.body = json.dumps(body[:1] + [body[1]] * 3 + body[1:], ensure_ascii=False)  # three tables of details
    document = pages(render(letter, village))
    assert len(document) == 2
    first, last = text_of(document[0]), text_of(document[1])
    place = f"Sukamaju, {letter_register.indonesian_date(letter.issued_on)}"
    assert place in last and letter.signer_name in last and place not in first
    assert qr_codes(document[1]) == [VERIFY + letter.verify_code] and qr_codes(document[0]) == []
    assert letter.number in last  # a later page names its letter


def test_a_void_letter_is_stamped(balai):
    letter, village = issued(balai)
    assert "BATAL" not in text_of(pages(render(letter, village))[0])
    letter.voided_at = balai.clock.now()
    assert "BATAL" in text_of(pages(render(letter, village))[0])


def test_a_reprint_is_the_same_file(balai):
    letter, village = issued(balai)
    assert render(letter, village) == render(letter, village)


def test_pictures_for_people_to_look_at(balai):
    """Page 1 of an A4 and an F4 letter, as pictures in var/screenshots (not compared: for eyes)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for paper in ("A4", "F4"):
        letter, village = issued(balai, paper=paper)
        shot = picture(pages(render(letter, village))[0])
        shot.save(SHOTS / f"letter-{paper.lower()}.png")
        assert shot.width == pytest.approx(letter_register.PAPERS[paper][0] * POINTS * 1.5, abs=2)
