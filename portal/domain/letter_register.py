"""The register of outgoing letters (buku agenda surat keluar): issuing, numbering, voiding.

Numbers count from 1 each calendar year in the village's time zone, over every letter type, with
no gap and no repeat: the next number is read and used inside the write transaction that stores
the letter (``BEGIN IMMEDIATE``, so two officials issuing at once are served one after the other).
A voided letter keeps its number and stays in the register; a reprint is counted and audited,
never renumbered.

The number follows the village's format, e.g. ``{kode}/{nomor}/{desa}/{bulan}/{tahun}`` →
``470/012/DS-SKM/XI/2026``. Each letter carries a random verification code: its QR opens a page
(on the district hub when the village syncs, else on the portal) that confirms the number, date,
type and masked name, or says it was voided.
"""

import csv
import io
import json
import re
import secrets

from sqlalchemy import func, or_, select

from portal.clock import local_date
from portal.domain import audit, codes, letter_requests, letter_templates, letters, outbox
from portal.domain.errors import Conflict, DomainError, NotFound
from portal.domain.village import get_village
from portal.messages import N_
from portal.models import IssuedLetter, Officer

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
NUMBER_PARTS = {
    "kode": N_("the letter type's classification code (470)"),
    "nomor": N_("the number in the year's register (012)"),
    "desa": N_("the village's code for letters (DS-SKM)"),
    "bulan": N_("the month in Roman numerals (XI)"),
    "bulan_angka": N_("the month in digits (11)"),
    "tahun": N_("the year (2026)"),
}
DEFAULT_FORMAT = "{kode}/{nomor}/{desa}/{bulan}/{tahun}"
PAPERS = {"A4": (210, 297), "F4": (215, 330)}  # millimetres; F4 is the folio of Indonesian offices
RETENTION_DAYS = (30, 3650)
VERIFY_LENGTH = 12
PAGE = 100


def indonesian_date(day):
    """``24 November 2026``: how a letter writes a date."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def village_code(village):
    """The village's part of a letter number: its own setting, else ``DS-`` and the first three
    consonants of its name (``Desa Sukamaju`` → ``DS-SKM``)."""
    if village.letter_code:
        return village.letter_code
    name = re.sub(r"^(desa|kelurahan)\s+", "", village.name, flags=re.IGNORECASE)
    consonants = [c for c in name.upper() if c.isalpha() and c not in "AEIOU"]
    return "DS-" + "".join(consonants[:3] or ["X"])


def check_format(text):
    """A number format, stripped, if it uses only ``NUMBER_PARTS`` and has ``{nomor}`` and
    ``{tahun}`` (numbers restart each year); DomainError("letter_number_format") otherwise."""
    text = (text or "").strip()
    parts = re.findall(r"\{([a-z_]+)\}", text)
    leftover = re.sub(r"\{[a-z_]+\}", "", text)
    if (
        not text
        or len(text) > 120
        or set(parts) - set(NUMBER_PARTS)
        or "nomor" not in parts
        or "tahun" not in parts
        or re.search(r"[{}]", leftover)
    ):
        raise DomainError("letter_number_format", parts=", ".join("{" + p + "}" for p in NUMBER_PARTS))
    return text


def format_number(fmt, seq, day, type_code, village_part):
    """The number of the ``seq``-th letter of ``day``'s year."""
    values = {
        "kode": type_code,
        "nomor": f"{seq:03d}",
        "desa": village_part,
        "bulan": ROMAN_MONTHS[day.month - 1],
        "bulan_angka": f"{day.month:02d}",
        "tahun": str(day.year),
    }
    return re.sub(r"\{([a-z_]+)\}", lambda m: values[m.group(1)], fmt)


def check_settings(number_format, paper, retention_days, code):
    """The village's letter settings, checked; a dict ready for the Village row."""
    if paper not in PAPERS:
        raise DomainError("letter_bad_paper")
    if not isinstance(retention_days, int) or not RETENTION_DAYS[0] <= retention_days <= RETENTION_DAYS[1]:
        raise DomainError("letter_bad_retention", minimum=RETENTION_DAYS[0], maximum=RETENTION_DAYS[1])
    code = " ".join((code or "").split())
    if len(code) > 30 or re.search(r"[{}/]", code):
        raise DomainError("letter_bad_village_code")
    return {
        "letter_number_format": check_format(number_format),
        "letter_paper": paper,
        "letter_retention_days": retention_days,
        "letter_code": code,
    }


def save_settings(session, values, actor, now):
    """Store the village's letter settings (checked by ``check_settings``), audited."""
    village = get_village(session)
    before = audit.snapshot(village, values)
    for name, value in values.items():
        setattr(village, name, value)
    audit.record(session, actor, "letters.settings", "village:1", audit.diff(before, values), now)


def signers(session):
    """The officials who may sign letters: the village government in its directory order."""
    return session.scalars(select(Officer).order_by(Officer.position, Officer.id)).all()


def values_for(village, fields, answers, signer_name, signer_role, number, day):
    """Every placeholder's value for a letter: the village's, the signer's, the answers (dates
    written out in Indonesian)."""
    values = {
        "desa": village.name,
        "kecamatan": village.kecamatan,
        "kabupaten": village.kabupaten,
        "provinsi": village.province,
        "nomor_surat": number,
        "tanggal_surat": indonesian_date(day),
        "penandatangan": signer_name,
        "jabatan": signer_role,
    }
    for field in fields:
        value = answers.get(field["name"], "")
        if field["kind"] == "date" and value:
            value = indonesian_date(letter_requests.parse_date(value))
        values[field["name"]] = value
    return values


def issue(session, request, signer_id, actor, now):
    """Issue the letter ``request`` asks for: number it, compose its text from its type's
    template, record it in the register and mark the request ready to collect. Returns it.

    The next number is read in this (write) transaction, so numbers are gapless and unique.
    """
    if request.status not in letter_requests.OPEN:
        raise Conflict("letter_request_closed", status=request.status)
    if request.purged_at is not None:
        raise Conflict("letter_request_purged")
    letter_type = request.letter_type
    if letter_type is None:
        raise Conflict("letter_type_gone")
    signer = session.get(Officer, signer_id) if signer_id else None
    if signer is None:
        raise DomainError("letter_no_signer")
    village = get_village(session)
    day = local_date(now, village.timezone)
    seq = (session.scalar(select(func.max(IssuedLetter.seq)).where(IssuedLetter.year == day.year)) or 0) + 1
    number = format_number(
        village.letter_number_format or DEFAULT_FORMAT, seq, day, letter_type.number_code, village_code(village)
    )
    if session.scalar(select(IssuedLetter.id).where(IssuedLetter.number == number)) is not None:
        raise Conflict("letter_number_taken", number=number)  # a format without a year's worth of parts
    fields = letters.parse_fields(letter_type.fields)
    values = values_for(village, fields, letter_requests.answers_of(request), signer.name, signer.role, number, day)
    template = letter_type.template or letter_templates.shipped(letter_type.code, fields)
    letter = IssuedLetter(
        year=day.year,
        seq=seq,
        number=number,
        verify_code=codes.unused(session, IssuedLetter.verify_code, new_verify_code),
        request_id=request.id,
        type_code=letter_type.code,
        type_name=letter_type.name,
        masked_name=request.masked_name,
        issued_on=day,
        issued_at=now,
        issued_by=actor.username,
        signer_name=signer.name,
        signer_role=signer.role,
        paper=village.letter_paper,
        body=json.dumps(letter_templates.compose(template, values), ensure_ascii=False),
        prints=0,
    )
    session.add(letter)
    session.flush()
    request.status = "ready"
    request.reason = ""
    request.updated_at = now
    outbox.add(session, "letter.issued", verification_record(letter, village.timezone), now)
    audit.record(session, actor, "letter.issue", f"letter:{letter.id}", {"number": number, "request": request.id}, now)
    return letter


def new_verify_code():
    """A fresh random verification code (``VERIFY_LENGTH`` characters of the typeable alphabet)."""
    return "".join(secrets.choice(codes.ALPHABET) for _ in range(VERIFY_LENGTH))


def verification_record(letter, tz_name):
    """What a verification page shows, and all that goes to the district: no NIK, no answers."""
    voided_on = local_date(letter.voided_at, tz_name) if letter.voided_at else None
    return {
        "letter": letter.verify_code,
        "number": letter.number,
        "type": letter.type_name,
        "issued_on": letter.issued_on.isoformat(),
        "name": letter.masked_name,
        "voided_on": voided_on.isoformat() if voided_on else None,
    }


def void(session, letter, reason, actor, now):
    """Void an issued letter with a reason. It keeps its number and stays in the register; its
    request goes back to processing, so a corrected letter can be issued (with a new number),
    unless its details were deleted after the retention period."""
    if letter.voided_at is not None:
        raise Conflict("letter_already_void")
    reason = (reason or "").strip()
    low, high = letter_requests.REASON_LENGTH
    if not low <= len(reason) <= high:
        raise DomainError("letter_reason_length", minimum=low, maximum=high)
    letter.voided_at = now
    letter.void_reason = reason
    letter.voided_by = actor.username
    request = letter.request
    if request.status in ("ready", "collected") and request.purged_at is None:
        request.status = "processing"
        request.updated_at = now
    session.flush()
    voided_on = local_date(now, get_village(session).timezone)
    outbox.add(session, "letter.voided", {"letter": letter.verify_code, "voided_on": voided_on.isoformat()}, now)
    audit.record(session, actor, "letter.void", f"letter:{letter.id}", {"number": letter.number, "reason": reason}, now)


def printed(session, letter, actor, now):
    """Count a print of ``letter`` (its PDF was made): the first one, or a reprint, audited. The
    number never changes. Refused once the letter's text was deleted with its personal data."""
    if letter.body in ("", "[]"):
        raise Conflict("letter_text_purged")
    letter.prints += 1
    action = "letter.print" if letter.prints == 1 else "letter.reprint"
    audit.record(session, actor, action, f"letter:{letter.id}", {"number": letter.number, "print": letter.prints}, now)


def get(session, letter_id):
    """A letter by its register id, or NotFound."""
    letter = session.get(IssuedLetter, letter_id)
    if letter is None:
        raise NotFound("letter_not_found")
    return letter


def by_verify_code(session, code):
    """A letter by the code in its QR, or NotFound."""
    clean = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    letter = session.scalar(select(IssuedLetter).where(IssuedLetter.verify_code == clean)) if clean else None
    if letter is None:
        raise NotFound("letter_not_found")
    return letter


def search(session, text="", year=None, limit=PAGE, page=0):
    """The register, newest first: ``text`` matches the number, the type or the masked name;
    ``year`` keeps one year's register."""
    query = select(IssuedLetter)
    if year:
        query = query.where(IssuedLetter.year == year)
    text = (text or "").strip()
    if text:
        like = f"%{text}%"
        query = query.where(
            or_(
                IssuedLetter.number.ilike(like),
                IssuedLetter.type_name.ilike(like),
                IssuedLetter.masked_name.ilike(like),
            )
        )
    query = query.order_by(IssuedLetter.year.desc(), IssuedLetter.seq.desc())
    return session.scalars(query.limit(limit).offset(page * limit) if limit else query).all()


def years(session):
    """The years the register has letters in, newest first."""
    return session.scalars(select(IssuedLetter.year).distinct().order_by(IssuedLetter.year.desc())).all()


CSV_COLUMNS = (
    "nomor",
    "urut",
    "tahun",
    "tanggal",
    "jenis",
    "nama",
    "penandatangan",
    "jabatan",
    "petugas",
    "dicetak",
    "status",
    "dibatalkan",
    "alasan_batal",
)


def cell(value):
    """A CSV value a spreadsheet shows as text: one starting like a formula gets a quote first."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(rows):
    """The register ``rows`` as CSV (UTF-8 with a BOM, so a spreadsheet opens it right), oldest
    first, with Indonesian headers. Only masked names: the file may travel."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for letter in sorted(rows, key=lambda r: (r.year, r.seq)):
        writer.writerow(
            cell(value)
            for value in (
                letter.number,
                letter.seq,
                letter.year,
                letter.issued_on.isoformat(),
                letter.type_name,
                letter.masked_name,
                letter.signer_name,
                letter.signer_role,
                letter.issued_by,
                letter.prints,
                "batal" if letter.voided_at else "sah",
                letter.voided_at.isoformat(timespec="seconds") if letter.voided_at else "",
                letter.void_reason,
            )
        )
    return out.getvalue()
