"""Receipts through python-escpos to a fake network printer, read back from the bytes it got."""

import pytest
import zxingcpp

from kiosk.escpos_reader import UnknownCommand, read
from kiosk.receipt import COLUMNS, Receipt, plain, print_receipt, wrap
from tests.fake_printer import FakePrinter
from tests.processes import wait_for

RECEIPT = Receipt(
    village="Desa Sukamaju",
    service="Surat Pengantar & Keterangan",
    number="A-012",
    issued="Senin, 23 November 2026 09:00 WIB",
    status_url="http://balai.desa/ticket/Xy3-abc_123",
    lines=("4 orang di depan Anda", "Perkiraan tunggu: sekitar 20 menit"),
    footer="Simpan struk ini. Pindai kode QR untuk memantau nomor Anda.",
)


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def send(fake, receipt=RECEIPT, **options):
    """Print ``receipt`` to the fake printer over TCP and wait until the cut arrives."""
    from escpos.printer import Network  # after kiosk/__init__ has set python-escpos's cache folder

    device = Network(*fake.address, timeout=5)
    print_receipt(device, receipt, **options)
    device.close()
    wait_for(lambda: fake.paper().cuts, timeout=5, what="the cut")
    return fake.paper()


def qr_codes(paper):
    return [result.text for image in paper.images for result in zxingcpp.read_barcodes(image)]


def test_the_number_service_and_link_are_on_the_paper(printer):
    paper = send(printer)
    number = next(line for line in paper.lines if line.text == "A-012")
    assert (number.width, number.height, number.align) == (4, 4, 1)  # the largest size, centred
    assert "Desa Sukamaju" in paper.text and "Surat Pengantar & Keterangan" in paper.text
    words = " ".join(paper.text.split())  # long lines are wrapped at 32 columns
    assert "4 orang di depan Anda" in words and "Perkiraan tunggu: sekitar 20 menit" in words
    assert qr_codes(paper) == [RECEIPT.status_url]  # an image QR, read back with zxing-cpp
    assert paper.cuts == 1


LETTER = {
    "letter_label": "Kode permohonan surat:",
    "letter_code": "SRT-7KQ2M-X9TRA",
    "letter_url": "http://balai.desa/letters/status/SRT-7KQ2M-X9TRA",
    "letter_footer": "Pindai kode QR ini untuk memantau permohonan surat Anda.",
}


@pytest.mark.parametrize("width", [58, 80])
def test_a_letter_ticket_also_carries_the_request_code_and_its_qr_code(printer, width):
    paper = send(printer, Receipt(**{**RECEIPT.__dict__, **LETTER}), width=width)
    code = next(line for line in paper.lines if line.text == LETTER["letter_code"])
    assert (code.width, code.height, code.bold) == (2, 2, True)
    assert len(code.text) * code.width <= COLUMNS[width]  # double size still fits 58 mm paper
    assert "Kode permohonan surat:" in paper.text
    assert "memantau permohonan surat Anda" in " ".join(paper.text.split())
    assert qr_codes(paper) == [RECEIPT.status_url, LETTER["letter_url"]]  # the ticket's, then the letter's
    assert paper.cuts == 1
    assert "-" * COLUMNS[width] in paper.text.splitlines()


def test_an_ordinary_ticket_prints_no_letter_part(printer):
    paper = send(printer)
    assert "SRT-" not in paper.text and "-" * 32 not in paper.text.splitlines()
    assert paper.lines[-1].text == wrap(RECEIPT.footer, 32)[-1]  # the footer ends the receipt, then the cut


@pytest.mark.parametrize("letter", [{}, LETTER], ids=["ticket", "letter"])
def test_native_qr_when_the_printer_has_it(printer, letter):
    paper = send(printer, Receipt(**{**RECEIPT.__dict__, **letter}), native_qr=True)
    assert paper.native_qr == [RECEIPT.status_url, *([LETTER["letter_url"]] if letter else [])]
    assert paper.images == []


def test_80mm_paper_and_long_lines(printer):
    receipt = Receipt(**{**RECEIPT.__dict__, "footer": "kata " * 30})
    paper = send(printer, receipt, width=80)
    assert all(len(line.text) <= 48 for line in paper.lines)
    assert qr_codes(paper) == [RECEIPT.status_url]


def test_typographic_text_never_switches_code_page_mid_line(printer):
    receipt = Receipt(**{**RECEIPT.__dict__, "village": "Desa “Sukamaju” — Cibeber", "service": "Pelayanan KTP‑el é"})
    paper = send(printer, receipt)
    assert 'Desa "Sukamaju" - Cibeber' in paper.text
    assert len(set(paper.code_pages)) <= 1


def test_plain_and_wrap():
    assert plain("Café – “ok”…") == 'Cafe - "ok"...'
    assert wrap("satu dua tiga empat", 9) == ["satu dua", "tiga", "empat"]


def test_reader_refuses_what_it_does_not_know():
    with pytest.raises(UnknownCommand):
        read(b"\x1b\x7a\x00")


@pytest.mark.parametrize(
    "status,expected",
    [(0x12, 2), (0x1E, 1), (0x72, 0)],
    ids=["ok", "near-end", "out"],
)
def test_fake_printer_answers_status_queries(status, expected):
    """The scripted DLE EOT replies read as python-escpos's paper states (2 ok, 1 near end, 0 out)."""
    from escpos.printer import Network

    fake = FakePrinter(status=status)
    try:
        device = Network(*fake.address, timeout=5)
        assert device.paper_status() == expected
        device.close()
        assert fake.paper().status_queries == 1
    finally:
        fake.close()
