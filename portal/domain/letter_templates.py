"""Letter templates: the text of each letter type, with {placeholders} filled in when it is issued.

A template is plain text in paragraphs separated by blank lines. A paragraph whose every line
reads ``Label : {placeholder}`` becomes a table of details, its colons lined up (``Nama : {nama}``).
Placeholders are the letter type's field names (``{nama}``, ``{nik}`` …) and ``SYSTEM``'s.

Filling in is a single pass over the template: a resident's answer is inserted as it is and
never read for placeholders again, so an answer cannot pull another field (or anything) into the
letter. The result is data (``compose``), and the PDF and the HTML preview draw it as text only.
"""

import re

from portal.domain.errors import DomainError
from portal.messages import N_

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
FILLED = re.compile(r"\{([a-z_][a-z0-9_]*)\}(\.?)")  # a placeholder and the full stop after it
BRACE = re.compile(r"[{}]")
ROW = re.compile(r"^(.{1,60}?)\s+:\s(.*)$")
MAX_LENGTH = 8000

# What every template may use besides its type's fields.
SYSTEM = {
    "desa": N_("the village's name"),
    "kecamatan": N_("its district"),
    "kabupaten": N_("its regency"),
    "provinsi": N_("its province"),
    "nomor_surat": N_("the letter's number"),
    "tanggal_surat": N_("the day it is issued"),
    "penandatangan": N_("the signing official's name"),
    "jabatan": N_("the signing official's position"),
}

OPENING = (
    "Yang bertanda tangan di bawah ini, {penandatangan}, {jabatan} pada Pemerintah {desa}, Kecamatan {kecamatan}, "
    "Kabupaten {kabupaten}, menerangkan dengan sebenarnya bahwa:"
)
PERSON = "Nama : {nama}\nNIK : {nik}\nAlamat : {alamat}"
CLOSING = "Demikian surat keterangan ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."
PURPOSE = "Surat ini diberikan untuk keperluan: {keperluan}."


def _letter(*paragraphs):
    return "\n\n".join(paragraphs)


# The common letters, shipped: a village edits them in the console. Keyed by letter type code.
SHIPPED = {
    "pengantar": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} dan kami berikan pengantar untuk mengurus keperluannya.",
        PURPOSE,
        "Demikian surat pengantar ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ),
    "domisili": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk yang bertempat tinggal (berdomisili) di {desa}, Kecamatan {kecamatan}, "
        "Kabupaten {kabupaten}, pada alamat tersebut di atas.",
        PURPOSE,
        CLOSING,
    ),
    "usaha": _letter(
        OPENING,
        PERSON + "\nUsaha : {usaha}",
        "adalah benar penduduk {desa} yang menjalankan usaha tersebut di atas.",
        PURPOSE,
        CLOSING,
    ),
    "sktm": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} yang menurut pengetahuan kami termasuk keluarga kurang mampu.",
        PURPOSE,
        CLOSING,
    ),
    "skck": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} dan sepanjang pengetahuan kami berkelakuan baik serta tidak sedang "
        "tersangkut perkara pidana. Surat ini sebagai pengantar untuk membuat Surat Keterangan Catatan "
        "Kepolisian (SKCK) di kepolisian.",
        PURPOSE,
        "Demikian surat pengantar ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ),
    "kehilangan": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} yang telah melaporkan kehilangan sebagai berikut: {keperluan}. "
        "Surat ini diberikan untuk melapor ke kepolisian.",
        CLOSING,
    ),
    "kelahiran": _letter(
        OPENING,
        "Nama bayi : {nama_bayi}\nTanggal lahir : {tanggal_lahir}\nNama ibu : {nama_ibu}\nNIK ibu : {nik_ibu}\n"
        "Nama ayah : {nama_ayah}\nAlamat : {alamat}",
        "adalah benar telah lahir seorang anak dari keluarga penduduk {desa} tersebut di atas. Surat ini "
        "diberikan untuk mengurus akta kelahiran di Dinas Kependudukan dan Pencatatan Sipil.",
        CLOSING,
    ),
    "kematian": _letter(
        OPENING,
        "Nama : {nama}\nNIK : {nik}\nAlamat : {alamat}\nTanggal meninggal : {tanggal}",
        "adalah benar penduduk {desa} yang telah meninggal dunia pada tanggal tersebut di atas, sebagaimana "
        "dilaporkan oleh {pelapor}. Surat ini diberikan untuk mengurus akta kematian.",
        CLOSING,
    ),
    "pindah": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} yang bermaksud pindah tempat tinggal. Surat ini sebagai pengantar "
        "untuk mengurus perpindahan penduduk di Dinas Kependudukan dan Pencatatan Sipil.",
        PURPOSE,
        "Demikian surat pengantar ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ),
    "nikah": _letter(
        OPENING,
        PERSON,
        "adalah benar penduduk {desa} yang bermaksud melangsungkan pernikahan. Surat ini sebagai pengantar "
        "ke Kantor Urusan Agama (KUA) atau Kantor Catatan Sipil.",
        PURPOSE,
        "Demikian surat pengantar ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ),
}

# A new letter type's text before the village writes its own: every field, then the purpose.
GENERIC = _letter(OPENING, "{rincian}", "adalah benar penduduk {desa}.", CLOSING)


def shipped(code, fields):
    """The template a letter type starts with: the shipped one for a common code, else one that
    lists every field of ``fields`` (parsed letter fields) in a table."""
    if code in SHIPPED:
        return SHIPPED[code]
    rows = "\n".join(f"{short_label(f['label'])} : {{{f['name']}}}" for f in fields)
    return GENERIC.replace("{rincian}", rows or PERSON)


def short_label(label):
    """A field's label as a letter prints it: without its hint ("NIK (16 angka)" -> "NIK")."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label).strip() or label


def known_names(fields):
    """Every placeholder a template of a type with ``fields`` may use."""
    return set(SYSTEM) | {f["name"] for f in fields}


def check(template, fields):
    """The template, stripped, if it uses only known placeholders and well-formed braces;
    DomainError("letter_template_…") otherwise."""
    template = (template or "").replace("\r\n", "\n").strip()
    if not template:
        raise DomainError("letter_template_empty")
    if len(template) > MAX_LENGTH:
        raise DomainError("letter_template_too_long", maximum=MAX_LENGTH)
    unknown = sorted(set(PLACEHOLDER.findall(template)) - known_names(fields))
    if unknown:
        raise DomainError(
            "letter_template_unknown",
            names=", ".join("{" + n + "}" for n in unknown),
            known=", ".join("{" + n + "}" for n in sorted(known_names(fields))),
        )
    if BRACE.search(PLACEHOLDER.sub("", template)):
        raise DomainError("letter_template_braces")
    return template


def fill(text, values):
    """``text`` with each ``{name}`` replaced by ``values[name]`` in one pass ("-" when empty).
    An answer that ends a sentence with its own full stop does not get a second one."""

    def value(match):
        filled = str(values.get(match.group(1)) or "-")
        return filled.rstrip(".") + "." if match.group(2) else filled

    return FILLED.sub(value, text)


def compose(template, values):
    """The letter's body as data: a list of ``["p", text]`` paragraphs and ``["rows", [[label,
    value], ...]]`` tables, with ``values`` filled in. Stored as issued, so a reprint is the same."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", template.strip()):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        rows = [ROW.match(line) for line in lines]
        if lines and all(rows):
            blocks.append(["rows", [[fill(m.group(1), values), fill(m.group(2), values)] for m in rows]])
        elif lines:
            blocks.append(["p", fill(" ".join(lines), values)])
    return blocks
