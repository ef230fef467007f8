"""An issued letter as a PDF: the village's letterhead (kop surat), the title and number, the body
as issued, the signature block with a QR code that verifies the letter, and a BATAL stamp across
a voided one.

Drawn with fpdf2's core Times font, so no font file is read; text it cannot encode is folded to
its plain letters or "?" (a name in any script never stops a letter). The same letter always
gives the same bytes: the PDF's date is the letter's issue time, never the time of printing.

fpdf2 is imported inside ``render``: only the console's print button needs it, and the server
starts without it (tests/test_startup.py).
"""

import json
import math
import re
import unicodedata

from portal.domain.letter_register import PAPERS, indonesian_date

ENCODING = "windows-1252"  # the core fonts' encoding: Latin-1 and typographic quotes and dashes
FONT = "Times"
MARGINS = (25, 20, 20, 20)  # left, top, right, bottom, in millimetres
FOOTER_SPACE = 14  # below the text, above the bottom margin: the verification line
BODY_SIZE = 12
LINE = 6  # the body's line height, in millimetres
INDENT = 12.5  # a paragraph's first line, and the details table
LOGO_HEIGHT = 22
SIGNATURE_WIDTH = 80
SIGNATURE_SPACE = 26  # between the role and the name: the official's signature and stamp
QR_SIZE = 26
VOID_WORD = "BATAL"


def plain(text):
    """``text`` in the core fonts' encoding: a character it lacks becomes its plain letters
    (``ễ`` → ``e``, NFKD without accents) or ``?``."""
    out = []
    for char in str(text):
        try:
            char.encode(ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(bare.encode(ENCODING, "replace").decode(ENCODING) or "?")
    return "".join(out)


def short_name(village_name):
    """The village's name without ``Desa`` (``Desa Sukamaju`` → ``Sukamaju``), as a letter's place
    of writing."""
    return re.sub(r"^desa\s+", "", village_name.strip(), flags=re.IGNORECASE)


def letterhead_lines(village):
    """The letterhead's centred lines, top to bottom: ``(text, bold, size)``."""
    lines = []
    regency = village.kabupaten.strip()
    if regency:
        if not re.match(r"^(kabupaten|kota)\s", regency, flags=re.IGNORECASE):
            regency = f"Kabupaten {regency}"
        lines.append((f"PEMERINTAH {regency.upper()}", True, 14))
    if village.kecamatan.strip():
        district = re.sub(r"^kecamatan\s+", "", village.kecamatan.strip(), flags=re.IGNORECASE)
        lines.append((f"KECAMATAN {district.upper()}", True, 14))
    name = village.name.strip()
    if not re.match(r"^(desa|kelurahan)\s", name, flags=re.IGNORECASE):
        name = f"Desa {name}"
    lines.append((name.upper(), True, 18))
    if village.address.strip():
        lines.append((" ".join(village.address.split()), False, 10))
    return lines


def signer_title(role, village_name):
    """The signer's position with the village: ``Kepala Desa Sukamaju``; a position not ending in
    "Desa" gets the full name (``Kaur Umum Desa Sukamaju``)."""
    role = role.strip()
    if role.lower().endswith("desa"):
        return f"{role} {short_name(village_name)}"
    return f"{role} {village_name.strip()}"


def render(letter, village, logo_path, verify_url):
    """The PDF of ``letter`` (an IssuedLetter, saved or not) of ``village``, with the logo at
    ``logo_path`` (a PNG, or None) and a QR code of ``verify_url``. Returns its bytes."""
    from fpdf import FPDF  # imported here: fpdf2 brings fontTools and Pillow, and only printing needs it

    width, height = PAPERS.get(letter.paper, PAPERS["A4"])
    left, top, right, bottom = MARGINS

    class Letter(FPDF):
        """A page of the letter: the number on later pages, the verification line and the stamp."""

        def header(self):
            if self.page_no() > 1:
                self.set_font(FONT, "I", 9)
                self.cell(0, 5, plain(f"Nomor: {letter.number} - halaman {self.page_no()}"), align="R")
                self.set_y(top + 10)

        def footer(self):
            self.set_y(-(bottom + FOOTER_SPACE - 4))
            self.set_draw_color(120)
            self.set_line_width(0.2)
            self.line(left, self.get_y(), width - right, self.get_y())
            self.ln(1.5)
            self.set_font(FONT, "I", 8)
            self.set_text_color(60)
            note = f"Keaslian surat ini dapat diperiksa dengan memindai kode QR atau membuka {verify_url}"
            self.multi_cell(0, 3.6, plain(note), align="C")
            self.set_text_color(0)
            self.set_draw_color(0)
            if letter.voided_at is not None:
                void_stamp(self, width, height)

    pdf = Letter(unit="mm", format=(width, height))
    pdf.core_fonts_encoding = ENCODING
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(True, margin=bottom + FOOTER_SPACE)
    pdf.set_creation_date(letter.issued_at)
    pdf.set_title(plain(letter.number))
    pdf.set_subject(plain(letter.type_name))
    pdf.set_author(plain(village.name))
    pdf.set_creator("Balai")
    pdf.add_page()
    draw_letterhead(pdf, village, logo_path)
    draw_title(pdf, letter)
    draw_body(pdf, json.loads(letter.body or "[]"))
    draw_signature(pdf, letter, village, verify_url)
    return bytes(pdf.output())


def fit_size(pdf, text, style, size, room, smallest=8):
    """The largest font size up to ``size`` at which ``text`` fits in ``room`` millimetres."""
    while size > smallest:
        pdf.set_font(FONT, style, size)
        if pdf.get_string_width(text) <= room:
            break
        size -= 0.5
    return size


def draw_letterhead(pdf, village, logo_path):
    """The kop surat: the logo at the left, the government's, district's and village's names and
    the office's address centred, then a thick and a thin rule across."""
    left, top, right, _ = MARGINS
    inner = pdf.w - left - right
    logo = 0
    if logo_path:
        pdf.image(logo_path, x=left, y=top, h=LOGO_HEIGHT)
        logo = LOGO_HEIGHT + 3
    room = inner - 2 * logo  # centred on the page, clear of the logo on either side
    pdf.set_y(top)
    for text, bold, size in letterhead_lines(village):
        text = plain(text)
        style = "B" if bold else ""
        size = fit_size(pdf, text, style, size, room)
        pdf.set_font(FONT, style, size)
        pdf.set_x(left + logo)
        pdf.multi_cell(room, size * 0.42, text, align="C", new_x="LMARGIN", new_y="NEXT")
    rule = max(pdf.get_y(), top + LOGO_HEIGHT) + 2.5
    pdf.set_line_width(0.9)
    pdf.line(left, rule, pdf.w - right, rule)
    pdf.set_line_width(0.3)
    pdf.line(left, rule + 1.4, pdf.w - right, rule + 1.4)
    pdf.set_y(rule + 9)


def draw_title(pdf, letter):
    """The letter's type in capitals, bold and underlined, and its number beneath."""
    pdf.set_font(FONT, "BU", 13)
    pdf.multi_cell(0, 6, plain(letter.type_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", BODY_SIZE)
    pdf.cell(0, 6, plain(f"Nomor: {letter.number}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(7)


def draw_body(pdf, blocks):
    """The letter's text: paragraphs justified with their first line indented, details as a
    table of ``label : value`` with the colons lined up."""
    pdf.set_font(FONT, "", BODY_SIZE)
    for kind, content in blocks:
        if kind == "p":
            paragraph(pdf, plain(content))
        elif kind == "rows":
            details(pdf, [(plain(label), plain(value)) for label, value in content])
        pdf.ln(2.5)


def paragraph(pdf, text):
    """One justified paragraph, its first line indented; it runs on to the next page if need be."""
    with (
        pdf.text_columns(text_align="J", line_height=LINE / (BODY_SIZE * 0.3528)) as column,
        column.paragraph(first_line_indent=INDENT) as par,
    ):
        par.write(text)


def details(pdf, rows):
    """A table of details, indented: the labels as wide as the widest, `` : ``, then the values
    (wrapped). A row is never split across pages."""
    if not rows:
        return
    pdf.set_font(FONT, "", BODY_SIZE)
    colon = pdf.get_string_width(" : ") + 1
    x = pdf.l_margin + INDENT
    line_width = pdf.w - pdf.r_margin - x
    # As wide as the widest label, but never more than 40% of the line: a long label wraps.
    label_width = min(max(pdf.get_string_width(label) for label, _ in rows) + 2, 0.4 * line_width)
    value_width = line_width - label_width - colon
    for label, value in rows:
        label_lines = pdf.multi_cell(label_width, LINE, label, align="L", dry_run=True, output="LINES")
        lines = pdf.multi_cell(value_width, LINE, value, align="L", dry_run=True, output="LINES")
        height = LINE * max(len(lines), len(label_lines))
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(x, y)
        pdf.multi_cell(label_width, LINE, label, align="L")
        pdf.set_xy(x + label_width, y)
        pdf.cell(colon, LINE, ":", align="C")
        pdf.multi_cell(value_width, LINE, value, align="L")
        pdf.set_xy(pdf.l_margin, y + height)


def draw_signature(pdf, letter, village, verify_url):
    """The place and date, the signer's position, room for the signature and stamp, the signer's
    name; the QR code that verifies the letter beside them, at the left. All on one page."""
    needed = 10 + 2 * LINE + SIGNATURE_SPACE + LINE
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4)
    x = pdf.w - pdf.r_margin - SIGNATURE_WIDTH
    pdf.set_font(FONT, "", BODY_SIZE)
    place = f"{short_name(village.name)}, {indonesian_date(letter.issued_on)}"
    for text in (place, signer_title(letter.signer_role, village.name)):
        pdf.set_x(x)
        pdf.multi_cell(SIGNATURE_WIDTH, LINE, plain(text), align="C", new_x="LMARGIN", new_y="NEXT")
    space = pdf.get_y()
    draw_qr(pdf, verify_url, pdf.l_margin, space - LINE, QR_SIZE)
    pdf.set_xy(x, space + SIGNATURE_SPACE)
    pdf.set_font(FONT, "BU", BODY_SIZE)
    pdf.multi_cell(SIGNATURE_WIDTH, LINE, plain(letter.signer_name), align="C", new_x="LMARGIN", new_y="NEXT")


def draw_qr(pdf, text, x, y, size):
    """A QR code of ``text``, ``size`` millimetres wide at (x, y), drawn as filled rectangles (one
    per run of dark modules in a row), so no image library is needed."""
    import segno  # imported here: only printing a letter needs it

    matrix = segno.make(text, error="m", micro=False).matrix
    module = size / len(matrix)
    pdf.set_fill_color(0)
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < len(cells) and cells[column]:
                column += 1
            # a hair taller than a module, so no seam shows between rows when the page is rendered
            pdf.rect(x + start * module, y + row * module, (column - start) * module, module + 0.02, style="F")


def void_stamp(pdf, width, height):
    """``BATAL`` in large red letters, framed, across the page along its diagonal."""
    angle = math.degrees(math.atan2(height, width))
    with pdf.local_context(fill_opacity=0.35, stroke_opacity=0.5):
        pdf.set_text_color(200, 0, 0)
        pdf.set_draw_color(200, 0, 0)
        pdf.set_font(FONT, "B", 110)
        word = pdf.get_string_width(VOID_WORD)
        box_w, box_h = word + 16, 46
        cx, cy = width / 2, height / 2
        with pdf.rotation(angle, cx, cy):
            pdf.set_line_width(2)
            pdf.rect(cx - box_w / 2, cy - box_h / 2, box_w, box_h)
            pdf.text(cx - word / 2, cy + 13, VOID_WORD)
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
