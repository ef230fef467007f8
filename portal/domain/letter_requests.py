"""Letter requests (permohonan surat): a resident asks for a letter, the office issues it.

A request is made from a phone on the hotspot, the kiosk, or by an official at the counter. It
gets an unguessable tracking code (``SRT-7KQ2M-X9TRA``) and moves through ``STATUSES``:
received → processing → ready (a letter was issued, see ``letter_register``) → collected, or
rejected with a reason the resident reads.

The answers are personal data (name, NIK, address). They are shown in full only to officials,
masked everywhere else, never put in the outbox, and emptied after the village's retention period
(``purge``). Papers (KTP, KK) are brought to the office: nothing is uploaded over the hotspot.
"""

import json
import re
from datetime import date, timedelta

from sqlalchemy import case, func, select, update

from portal.domain import audit, codes, letters
from portal.domain.errors import Conflict, DomainError, NotFound
from portal.models import IssuedLetter, LetterRequest

PREFIX = "SRT"  # shown, never stored: it tells a request's code from a complaint's or a ticket's
PAGE = 100  # requests per page of the console's list

STATUSES = ("received", "processing", "ready", "collected", "rejected")
OPEN = ("received", "processing")  # a letter may be issued, the request edited or rejected
SOURCES = ("web", "hotspot", "kiosk", "official")

TEXT_MAX = 200
MASKED_MAX = 160  # the register's and the district's limit for a masked name
TEXTAREA_MAX = 1000
REASON_LENGTH = (5, 1000)
NIK_DIGITS = re.compile(r"^[0-9]{16}$")  # ASCII digits: "٣" is a digit to Python, not on a KTP


class FieldErrors(DomainError):
    """Some answers are missing or wrong: ``fields`` maps each field's name to ``(code, details)``
    for a message beside it. Nothing was stored."""

    def __init__(self, fields):
        super().__init__("letter_fields_invalid", fields=fields)


def display_code(code):
    """A stored code as people read and type it: ``SRT-7KQ2M-X9TRA``."""
    return codes.display(PREFIX, code)


def normalise_code(text):
    """A typed code in its stored form, or None when it cannot be one (see codes.normalise)."""
    return codes.normalise(PREFIX, text)


# -- checking what residents type --------------------------------------------------------------


def nik_problem(text):
    """Why ``text`` cannot be a NIK (an error code), or None.

    No checksum exists; the format does: 16 digits, a province code 11–94, a regency and a
    district that are not 00, a birth day 01–31 (41–71 for women), a month 01–12, and a serial
    that is not 0000.
    """
    if not NIK_DIGITS.match(text):
        return "nik_length"
    province, regency, district = int(text[0:2]), text[2:4], text[4:6]
    day, month, serial = int(text[6:8]), int(text[8:10]), text[12:16]
    if not (
        11 <= province <= 94
        and regency != "00"
        and district != "00"
        and (1 <= day <= 31 or 41 <= day <= 71)
        and 1 <= month <= 12
        and serial != "0000"
    ):
        return "nik_format"
    return None


def mask_nik(nik):
    """A NIK as others may see it: ``3203********0001`` (the birth date and more hidden)."""
    return nik[:4] + "*" * 8 + nik[-4:] if len(nik) == 16 else "*" * len(nik)


def mask_name(name):
    """A name as others may see it: the first letter of each word (``Siti Aminah`` → ``S*** A*****``)."""
    return " ".join(word[0] + "*" * (len(word) - 1) if len(word) > 2 else word for word in name.split())


def parse_date(text):
    """A typed date: ``2026-11-24`` (a phone's date picker) or ``24-11-2026`` / ``24/11/2026``."""
    text = text.strip()
    if not text.isascii():
        return None
    match = re.fullmatch(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})", text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            value = date(year, month, day)
        else:
            value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2100 else None


def address_text(value):
    """An address answer as one line: ``RT 02/RW 01, Dusun I``. ``value`` is ``{"rt", "rw",
    "dusun"}`` (the form's three boxes, the API) or a line typed as a whole. Returns
    ``(text, error code)``."""
    if isinstance(value, dict):
        rt, rw = str(value.get("rt") or "").strip(), str(value.get("rw") or "").strip()
        dusun = " ".join(str(value.get("dusun") or "").split())
        if not (re.fullmatch(r"[0-9]{1,3}", rt) and re.fullmatch(r"[0-9]{1,3}", rw) and int(rt) and int(rw)):
            return "", "address_rt_rw"
        if not dusun:
            return "", "address_dusun"
        if len(dusun) > TEXT_MAX:
            return "", "field_too_long"
        return f"RT {int(rt):02d}/RW {int(rw):02d}, {dusun}", None
    line = " ".join(str(value or "").split())
    if not re.search(r"\bRT\b\D{0,3}\d", line, re.IGNORECASE) or not re.search(r"\bRW\b\D{0,3}\d", line, re.I):
        return "", "address_rt_rw"
    return (line, None) if len(line) <= TEXT_MAX else ("", "field_too_long")


def address_parts(text):
    """A stored address line back in its boxes: ``RT 02/RW 01, Dusun I`` → ``{"rt": "2", "rw": "1",
    "dusun": "Dusun I"}`` (a line typed as a whole keeps its text in ``dusun``)."""
    match = re.fullmatch(r"RT (\d+)/RW (\d+), (.+)", text or "")
    if not match:
        return {"rt": "", "rw": "", "dusun": text or ""}
    return {"rt": str(int(match.group(1))), "rw": str(int(match.group(2))), "dusun": match.group(3)}


def blank(value):
    """Whether an answer was left empty (an address's boxes count as one answer)."""
    if isinstance(value, dict):
        return not any(str(v or "").strip() for v in value.values())
    return not str(value or "").strip()


def clean_answers(fields, given):
    """The answers to a letter type's ``fields`` (parsed), checked and tidied: a dict of strings.

    ``given`` maps field names to what was typed (an address may be a dict of its boxes). Raises
    FieldErrors naming every field that is wrong, so a form can mark them all at once.
    """
    answers, errors = {}, {}
    for field in fields:
        name, kind, label = field["name"], field["kind"], field["label"]
        value = given.get(name)
        if blank(value):
            if field.get("required"):
                errors[name] = ("field_required", {"label": label})
            continue
        if kind == "address":
            text, problem = address_text(value)
        elif isinstance(value, dict | list):
            text, problem = "", "bad_answer"
        elif kind == "nik":
            text = re.sub(r"[\s.-]", "", str(value))
            problem = nik_problem(text)
        elif kind == "date":
            parsed = parse_date(str(value))
            text, problem = (parsed.isoformat(), None) if parsed else ("", "date_format")
        else:
            text = str(value).strip() if kind == "textarea" else " ".join(str(value).split())
            limit = TEXTAREA_MAX if kind == "textarea" else TEXT_MAX
            problem = "field_too_long" if len(text) > limit else None
        if problem:
            errors[name] = (problem, {"label": label, "maximum": TEXTAREA_MAX if kind == "textarea" else TEXT_MAX})
        else:
            answers[name] = text
    if errors:
        raise FieldErrors(errors)
    return answers


def name_field(fields):
    """The field that names the person the letter is about: ``nama``, else the first text field
    whose name starts with ``nama``, else the first text field (None without one)."""
    texts = [f for f in fields if f["kind"] == "text"]
    for choice in ([f for f in texts if f["name"] == "nama"], [f for f in texts if f["name"].startswith("nama")]):
        if choice:
            return choice[0]
    return texts[0] if texts else None


def masked_name_of(fields, answers):
    """The masked name of the person a request is about ("" when it has no name field)."""
    field = name_field(fields)
    return mask_name(answers.get(field["name"], ""))[:MASKED_MAX] if field else ""


# -- requests ----------------------------------------------------------------------------------


def submit(session, letter_type, given, *, now, source="web", client="", limit=None, bring_papers=True):
    """Record a resident's request for ``letter_type`` (an offered LetterType) and return it.

    ``given`` maps field names to what was typed. ``limit`` is the per-hour allowance of
    ``client`` (None: no limit, for officials and the kiosk). Papers are always brought to the
    office; a request asking otherwise is refused, as nothing can be uploaded.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if bring_papers is not True:
        raise FieldErrors({"bring_papers": ("bring_papers_required", {})})
    fields = letters.parse_fields(letter_type.fields)
    answers = clean_answers(fields, given)
    if limit is not None:
        check_rate(session, client, now, limit)
    request = LetterRequest(
        code=codes.unused(session, LetterRequest.code, codes.new_code),
        letter_type_id=letter_type.id,
        type_name=letter_type.name,
        answers=json.dumps(answers, ensure_ascii=False),
        masked_name=masked_name_of(fields, answers),
        bring_papers=True,
        status="received",
        source=source,
        client=client,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    return request


def check_rate(session, client, now, limit):
    """Refuse (codes.TooOften) a client that sent ``limit`` requests within the last hour."""
    codes.check_rate(session, LetterRequest, client, now, limit, "letter_too_often")


def find(session, code):
    """The request with this tracking code (typed in any accepted form), or NotFound."""
    return codes.find(session, LetterRequest.code, PREFIX, code, "letter_request_not_found")


def get(session, request_id):
    """A request by its id (the console), or NotFound."""
    request = session.get(LetterRequest, request_id)
    if request is None:
        raise NotFound("letter_request_not_found")
    return request


def codes_for_tickets(session, ticket_ids):
    """``{ticket id: stored tracking code}`` of the requests those tickets were taken for (one query)."""
    rows = session.execute(
        select(LetterRequest.ticket_id, LetterRequest.code).where(LetterRequest.ticket_id.in_(ticket_ids))
    )
    return dict(rows.all())


def for_ticket(session, ticket_id):
    """The request a queue ticket was taken for, or None."""
    return session.scalar(select(LetterRequest).where(LetterRequest.ticket_id == ticket_id))


def answers_of(request):
    """A request's answers as a dict (empty once purged)."""
    return json.loads(request.answers or "{}")


def fields_of(request):
    """The fields of a request's letter type (parsed), or none when the type was deleted."""
    return letters.parse_fields(request.letter_type.fields) if request.letter_type else []


def current_letter(session, request):
    """The request's letter that is not void, or None."""
    return session.scalar(
        select(IssuedLetter).where(IssuedLetter.request_id == request.id, IssuedLetter.voided_at.is_(None))
    )


def public_view(session, request):
    """What the resident's status page and the public API show: the code, type, status, the
    rejection reason, the letter's number once issued, and the name and NIKs masked; never the
    other answers."""
    fields = fields_of(request)
    answers = answers_of(request)
    masked = [
        {"label": f["label"], "value": mask_nik(answers[f["name"]])}
        for f in fields
        if f["kind"] == "nik" and f["name"] in answers
    ]
    letter = current_letter(session, request) if request.status in ("ready", "collected") else None
    return {
        "tracking_code": display_code(request.code),
        "type": request.type_name,
        "status": request.status,
        "reason": request.reason if request.status == "rejected" else "",
        "purged": request.purged_at is not None,
        "name": request.masked_name,
        "masked": masked,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "letter_number": letter.number if letter else None,
        "issued_on": letter.issued_on if letter else None,
        "ticket_id": request.ticket_id,
    }


def _open(request):
    """Refuse (Conflict) a change to a request that is no longer open, or whose answers are gone."""
    if request.status not in OPEN:
        raise Conflict("letter_request_closed", status=request.status)
    if request.purged_at is not None:
        raise Conflict("letter_request_purged")


def edit(session, request, given, actor, now):
    """An official corrects the answers (the form at the counter, pre-filled). The request is
    being processed from then on. The audit names the fields changed, never their values: the
    log is kept longer than personal data may be."""
    _open(request)
    fields = fields_of(request)
    if not fields:
        raise Conflict("letter_type_gone")
    before = answers_of(request)
    answers = clean_answers(fields, given)
    changed = sorted(name for name in set(before) | set(answers) if before.get(name) != answers.get(name))
    request.answers = json.dumps(answers, ensure_ascii=False)
    request.masked_name = masked_name_of(fields, answers)
    _set_status(session, request, "processing", actor, now, {"fields": changed})
    return changed


def start(session, request, actor, now):
    """Mark a received request as being processed (an official has taken it up)."""
    if request.status == "received":
        _set_status(session, request, "processing", actor, now)


def reject(session, request, reason, actor, now):
    """Reject an open request with a reason the resident reads on the status page."""
    _open(request)
    reason = (reason or "").strip()
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise DomainError("letter_reason_length", minimum=REASON_LENGTH[0], maximum=REASON_LENGTH[1])
    request.reason = reason
    _set_status(session, request, "rejected", actor, now, {"reason": reason})


def collected(session, request, actor, now):
    """The resident has taken the letter away."""
    if request.status != "ready":
        raise Conflict("letter_request_not_ready", status=request.status)
    _set_status(session, request, "collected", actor, now)


def _set_status(session, request, status, actor, now, details=None):
    before = request.status
    request.status = status
    request.updated_at = now
    session.flush()
    changes = {"status": [before, status]} if before != status else {}
    changes.update(details or {})
    audit.record(session, actor, "letter_request.update", f"letter_request:{request.id}", changes, now)


def counts(session):
    """How many requests are in each status (every status present, zero included)."""
    found = dict(session.execute(select(LetterRequest.status, func.count()).group_by(LetterRequest.status)).all())
    return {status: found.get(status, 0) for status in STATUSES}


def listing(session, status=None, limit=PAGE, page=0):
    """Requests for the console: open ones first (received, then processing), oldest first among
    the open ones (first come, first served), newest first among the rest."""
    query = select(LetterRequest)
    if status is not None:
        if status not in STATUSES:
            raise DomainError("letter_bad_status", status=status)
        query = query.where(LetterRequest.status == status)
    rank = case({s: n for n, s in enumerate(STATUSES)}, value=LetterRequest.status, else_=len(STATUSES))
    waiting_first = case((LetterRequest.status.in_(OPEN), LetterRequest.created_at), else_=None)
    order = (rank, waiting_first, LetterRequest.created_at.desc(), LetterRequest.id.desc())
    return session.scalars(query.order_by(*order).limit(limit).offset(page * limit)).all()


def purge(session, now, days):
    """Delete the personal data of requests untouched for ``days`` (the village's retention):
    their answers, the rejection reason (officials may have named the resident) and the text of
    their letters; open ones are closed as rejected. The register keeps each letter's number, date,
    type and masked name. Returns how many requests were purged."""
    cutoff = now - timedelta(days=days)
    stale = select(LetterRequest.id).where(LetterRequest.purged_at.is_(None), LetterRequest.updated_at < cutoff)
    ids = session.scalars(stale).all()
    if not ids:
        return 0
    session.execute(update(IssuedLetter).where(IssuedLetter.request_id.in_(ids)).values(body="[]"))
    session.execute(
        update(LetterRequest).where(LetterRequest.id.in_(ids)).values(answers="{}", purged_at=now, client="", reason="")
    )
    # A request nobody took up within the period cannot be issued any more: it is closed as
    # rejected (its status page says why), so it does not stay at the top of the console's list.
    session.execute(
        update(LetterRequest).where(LetterRequest.id.in_(ids), LetterRequest.status.in_(OPEN)).values(status="rejected")
    )
    return len(ids)
