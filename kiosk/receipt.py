"""The queue receipt, drawn on an ESC/POS printer with python-escpos (58 mm or 80 mm paper)."""

import copy
import unicodedata
from dataclasses import dataclass

# Typographic marks that a cheap printer's code page lacks: printed as their plain forms, so
# the driver never switches code pages in the middle of a line.
PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "•": "*"})
COLUMNS = {58: 32, 80: 48}  # characters per line in the normal font
DOTS = {58: 384, 80: 576}  # printable dots across the paper at 203 dpi


@dataclass(frozen=True)
class Receipt:
    """What a receipt says. The portal words it (in the language the kiosk showed), so the
    agent only lays it out."""

    village: str
    service: str
    number: str
    issued: str  # date and time in the village's time zone, as printed
    status_url: str
    lines: tuple[str, ...] = ()  # e.g. people ahead and the estimated wait
    footer: str = ""
    logo: object = None  # the village's logo as a PIL image, printed on top when there is one
    # A ticket taken for a letter request: its tracking code, under its label, and a QR code of the
    # request's status page, with a line saying what it is for. None of it without a letter.
    letter_label: str = ""
    letter_code: str = ""
    letter_url: str = ""
    letter_footer: str = ""


def plain(text):
    """``text`` in plain ASCII: typographic marks simplified, accents dropped (é → e)."""
    folded = unicodedata.normalize("NFKD", text.translate(PLAIN))
    return folded.encode("ascii", "ignore").decode("ascii")


def print_receipt(printer, receipt, width=58, native_qr=False):
    """Draw ``receipt`` on an escpos printer: the number in the largest size, a QR code of the
    ticket's page (an image by default: cheap 58 mm printers have no native QR), the letter
    request's code and QR code when the ticket was taken for one, then cut."""
    columns = COLUMNS[width]
    know_paper_width(printer, width)
    if receipt.logo is not None:
        printer.image(receipt.logo, center=True)
    printer.set(align="center", bold=True, normal_textsize=True)
    printer.textln(plain(receipt.village)[:columns])
    printer.set(align="center", normal_textsize=True)
    printer.textln(plain(receipt.service)[:columns])
    printer.set(align="center", custom_size=True, width=4, height=4)
    printer.textln(plain(receipt.number))
    printer.set(align="center", normal_textsize=True)
    printer.textln(plain(receipt.issued))
    for text in receipt.lines:
        for line in wrap(plain(text), columns):
            printer.textln(line)
    qr(printer, receipt.status_url, width, native_qr)
    printer.set(align="center", normal_textsize=True)
    for line in wrap(plain(receipt.footer), columns):
        printer.textln(line)
    if receipt.letter_code:
        print_letter(printer, receipt, width, native_qr)
    printer.cut()


def print_letter(printer, receipt, width, native_qr):
    """The letter request's part of a receipt, below a dashed line: the label, the tracking code in
    double size (15 characters: they fit 58 mm paper), the status page's QR code, its note."""
    columns = COLUMNS[width]
    printer.set(align="center", normal_textsize=True)
    printer.textln("-" * columns)
    for line in wrap(plain(receipt.letter_label), columns):
        printer.textln(line)
    printer.set(align="center", bold=True, custom_size=True, width=2, height=2)
    printer.textln(plain(receipt.letter_code))
    if receipt.letter_url:
        qr(printer, receipt.letter_url, width, native_qr)
    printer.set(align="center", normal_textsize=True)
    for line in wrap(plain(receipt.letter_footer), columns):
        printer.textln(line)


def qr(printer, url, width, native_qr):
    """A QR code of ``url``, sized for the paper."""
    printer.qr(url, native=native_qr, size=6 if width == 58 else 8, center=not native_qr)


def know_paper_width(printer, width):
    """Tell the printer's profile how many dots wide the paper is, when the profile does not say
    (python-escpos centres images only then, and prints a complaint on every image otherwise)."""
    data = printer.profile.profile_data
    if data.get("media", {}).get("width", {}).get("pixels", "Unknown") == "Unknown":
        data = copy.deepcopy(data)  # the profile's data is shared by every printer of that model
        data.setdefault("media", {}).setdefault("width", {})["pixels"] = DOTS[width]
        printer.profile.profile_data = data


def wrap(text, columns):
    """Split ``text`` into lines of at most ``columns`` characters, at spaces."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > columns:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines
