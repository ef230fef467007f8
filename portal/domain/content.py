"""The village's editable content, described once as fields.

Announcements, the agenda, documents, the officials and UMKM directories, emergency numbers, the
service catalogue, letter types and the village profile are each a ``Kind``: a model and its
fields. The console's forms, their validation, the audit log and the content pack all follow that
one description, so a new field is added in one place.

Values arrive as the strings a form sends; ``parse`` turns them into typed values or collects a
readable error per field. Uploaded files are stored (``portal.media``) before ``parse`` and
arrive as stored names.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true

from portal.domain import audit, letters
from portal.domain.errors import DomainError, NotFound, Refused
from portal.domain.village import bump_version
from portal.messages import N_
from portal.models import Announcement, Business, Contact, Document, Event, LetterType, Officer, Service, Village

DOCUMENT_KINDS = (
    ("perdes", N_("Village regulation (Perdes)")),
    ("perkades", N_("Village head regulation (Perkades)")),
    ("apbdes", N_("Village budget (APBDes)")),
    ("rpjmdes", N_("Medium-term plan (RPJMDes)")),
    ("rkpdes", N_("Annual work plan (RKPDes)")),
    ("laporan", N_("Report")),
    ("lainnya", N_("Other")),
)


@dataclass(frozen=True)
class Field:
    """One editable field: ``kind`` decides the form control and the parsing (see ``PARSERS``)."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, lines, int, year, datetime, bool, choice, phone, photo, pdf, service
    required: bool = False
    max_length: int = 200
    choices: tuple = ()  # (value, label) pairs for "choice"
    help: str = ""


@dataclass(frozen=True)
class Kind:
    """A type of content: its model, fields, and how its list is ordered and titled."""

    name: str
    label: str
    model: type
    fields: tuple
    order: tuple
    title: str = "title"
    creatable: bool = True
    check: object = None  # cross-field rule: values -> {field: (code, details)}
    unique: tuple = ()  # fields no two rows may share
    defaults: dict = field(default_factory=dict)  # values a new row gets beyond its fields


class ContentInvalid(DomainError):
    """Some fields are wrong; ``errors`` maps each field's name to (code, details)."""

    def __init__(self, errors):
        first_code, first_details = next(iter(errors.values()))
        super().__init__(first_code, **first_details)
        self.errors = errors


def _text(f, raw, tz):
    value = raw.strip()
    if len(value) > f.max_length:
        raise DomainError("field_too_long", maximum=f.max_length)
    return value


def _lines(f, raw, tz):
    return "\n".join(line.strip() for line in _text(f, raw, tz).splitlines() if line.strip())


def _int(f, raw, tz):
    raw = raw.strip() or "0"
    if not re.fullmatch(r"\d{1,9}", raw):
        raise DomainError("field_number")
    return int(raw)


def _year(f, raw, tz):
    value = _int(f, raw, tz)
    if not 1945 <= value <= 2200:
        raise DomainError("field_year")
    return value


def local_datetime(raw, tz):
    """A ``datetime-local`` value (``2026-11-23T08:00``) typed in the village's time zone ``tz``,
    as an aware time (None when empty); DomainError("field_datetime") when it is not one."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise DomainError("field_datetime") from None
    if local.tzinfo is not None or not 1945 <= local.year <= 2200:
        raise DomainError("field_datetime")
    return local.replace(tzinfo=ZoneInfo(tz))


def _datetime(f, raw, tz):
    return local_datetime(raw, tz)


def _bool(f, raw, tz):
    return raw in ("1", "on", "true", "yes")


def _choice(f, raw, tz):
    value = raw.strip()
    if value not in {v for v, _ in f.choices}:
        raise DomainError("field_choice")
    return value


def _phone(f, raw, tz):
    """A phone number as people write it (``0812-3456-7890``, ``+62 812…``), kept readable."""
    value = raw.strip()
    if value and not re.fullmatch(r"\+?[0-9(][0-9 ().-]{2,30}", value):
        raise DomainError("field_phone")
    return value


def _service(f, raw, tz):
    raw = raw.strip()
    if raw and not re.fullmatch(r"\d{1,9}", raw):
        raise DomainError("field_choice")
    return int(raw) if raw else None


PARSERS = {
    "text": _text,
    "textarea": _text,
    "lines": _lines,
    "int": _int,
    "year": _year,
    "datetime": _datetime,
    "bool": _bool,
    "choice": _choice,
    "phone": _phone,
    "service": _service,
}
FILE_KINDS = ("photo", "pdf")


def _publish_order(values):
    publish, expire = values.get("publish_at"), values.get("expire_at")
    if publish and expire and expire <= publish:
        return {"expire_at": ("expires_before_publish", {})}
    return {}


def _event_order(values):
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends < starts:
        return {"ends_at": ("ends_before_start", {})}
    return {}


def whatsapp_number(phone):
    """A phone number as WhatsApp's links want it: international digits (0812… → 62812…)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


TITLE = Field("title", N_("Title"), required=True)
PHOTO = Field("photo", N_("Photo"), "photo")
POSITION = Field("position", N_("Order in the list"), "int", help=N_("Smaller numbers come first."))
FEE = Field("fee", N_("Fee"), help=N_("Leave empty when the service is free of charge."), max_length=120)
MINUTES = Field("typical_minutes", N_("Typical time (minutes)"), "int", help=N_("0 when it varies."))
REQUIREMENTS = Field("requirements", N_("Requirements"), "lines", max_length=4000, help=N_("One per line."))

KINDS = {
    k.name: k
    for k in (
        Kind(
            "announcement",
            N_("Announcements"),
            Announcement,
            (
                TITLE,
                Field("body", N_("Text"), "textarea", max_length=8000),
                Field("publish_at", N_("Publish from"), "datetime", help=N_("Empty: now.")),
                Field("expire_at", N_("Hide after"), "datetime", help=N_("Empty: stays until you hide it.")),
                Field("pinned", N_("Pinned to the top"), "bool"),
            ),
            (Announcement.publish_at.desc(), Announcement.id.desc()),
            check=_publish_order,
        ),
        Kind(
            "event",
            N_("Agenda"),
            Event,
            (
                TITLE,
                Field("starts_at", N_("Starts"), "datetime", required=True),
                Field("ends_at", N_("Ends"), "datetime"),
                Field("place", N_("Place")),
                Field("description", N_("Description"), "textarea", max_length=4000),
                Field("cancelled", N_("Cancelled"), "bool"),
            ),
            (Event.starts_at.desc(),),
            check=_event_order,
        ),
        Kind(
            "document",
            N_("Documents"),
            Document,
            (
                TITLE,
                Field("kind", N_("Type"), "choice", required=True, choices=DOCUMENT_KINDS),
                Field("year", N_("Year"), "year", required=True),
                Field("description", N_("Description"), "textarea", max_length=2000),
                Field("file", N_("PDF file"), "pdf", required=True),
                Field("published", N_("Published"), "bool"),
            ),
            (Document.year.desc(), Document.title),
        ),
        Kind(
            "officer",
            N_("Village officials"),
            Officer,
            (
                Field("name", N_("Name"), required=True, max_length=120),
                Field("role", N_("Position"), required=True, max_length=120),
                Field("phone", N_("Phone"), "phone", max_length=40),
                PHOTO,
                POSITION,
            ),
            (Officer.position, Officer.id),
            title="name",
        ),
        Kind(
            "business",
            N_("UMKM"),
            Business,
            (
                Field("name", N_("Business name"), required=True, max_length=160),
                Field("owner", N_("Owner"), max_length=120),
                Field("category", N_("Category"), max_length=80, help=N_("For example: food, crafts, farming.")),
                Field("description", N_("Description"), "textarea", max_length=4000),
                Field("products", N_("Products"), "lines", max_length=4000, help=N_("One per line.")),
                Field("whatsapp", N_("WhatsApp number"), "phone", max_length=20),
                Field("address", N_("Address")),
                PHOTO,
                Field("published", N_("Published"), "bool"),
                POSITION,
            ),
            (Business.position, Business.name),
            title="name",
        ),
        Kind(
            "contact",
            N_("Emergency numbers"),
            Contact,
            (
                Field("label", N_("Name"), required=True, max_length=120),
                Field("phone", N_("Phone"), "phone", required=True, max_length=40),
                POSITION,
            ),
            (Contact.position, Contact.id),
            title="label",
        ),
        Kind(
            "service",
            N_("Services"),
            Service,
            (
                Field("name", N_("Name"), required=True, max_length=120),
                Field("description", N_("Description"), "textarea", max_length=2000),
                REQUIREMENTS,
                FEE,
                MINUTES,
            ),
            (Service.position, Service.id),
            title="name",
            creatable=False,  # services and counters are set up with the queue (setup wizard)
        ),
        Kind(
            "letter",
            N_("Letter types"),
            LetterType,
            (
                Field("name", N_("Name"), required=True, max_length=160),
                Field("code", N_("Short code"), required=True, max_length=40, help=N_("Letters, digits and -.")),
                Field("description", N_("Description"), "textarea", max_length=2000),
                REQUIREMENTS,
                FEE,
                MINUTES,
                Field("service_id", N_("Queue service"), "service", help=N_("Where residents take a ticket.")),
                Field(
                    "number_code",
                    N_("Classification code"),
                    required=True,
                    max_length=20,
                    help=N_("The first part of the letter's number (kode klasifikasi), e.g. 470."),
                ),
                Field("active", N_("Offered"), "bool"),
                POSITION,
            ),
            (LetterType.position, LetterType.name),
            title="name",
            check=letters.check_code,
            unique=("code",),
            defaults={"fields": letters.default_fields_json()},
        ),
        Kind(
            "village",
            N_("Village profile"),
            Village,
            (
                Field("profile", N_("About the village"), "textarea", max_length=4000),
                Field("address", N_("Office address"), "textarea", max_length=400),
                PHOTO,
            ),
            (Village.id,),
            title="name",
            creatable=False,
        ),
    )
}


class FromDistrict(Refused):
    """An announcement the district sent: it changes only when the district changes it (the sync)."""

    def __init__(self):
        super().__init__("content_from_district")


def check_editable(row):
    """Refuse to change a row the district sent (``district_id`` set); FromDistrict if so."""
    if getattr(row, "district_id", None) is not None:
        raise FromDistrict()


def village_owned(kind):
    """The condition for rows the village itself owns (not the district's announcements): what a
    content pack exports and what its import replaces."""
    return kind.model.district_id.is_(None) if hasattr(kind.model, "district_id") else true()


def kind_of(name):
    """The Kind called ``name``; NotFound for anything else."""
    if name not in KINDS:
        raise NotFound("not_found")
    return KINDS[name]


def parse(kind, form, files, tz, row=None):
    """Typed values for ``kind`` from form strings and stored file names.

    ``files`` maps a file field to its newly stored name (absent: keep the row's file); a form
    value ``<field>__remove`` removes an optional file. Raises ContentInvalid with every field's
    problem at once, so the form can show them all.
    """
    values, errors = {}, {}
    for f in kind.fields:
        try:
            if f.kind in FILE_KINDS:
                value = files.get(f.name) or (getattr(row, f.name) if row is not None else "")
                if form.get(f"{f.name}__remove") and not f.required:
                    value = ""
            else:
                value = PARSERS[f.kind](f, form.get(f.name, ""), tz)
            if f.required and value in ("", None):
                raise DomainError("field_required")
            values[f.name] = value
        except DomainError as exc:
            errors[f.name] = (exc.code, exc.details)
    if not errors and kind.check:
        errors = kind.check(values)
    if errors:
        raise ContentInvalid(errors)
    return values


def plain(value):
    """A value as the audit log and the content pack write it."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def rows(session, kind):
    """Every row of ``kind`` in its list order."""
    return session.scalars(select(kind.model).order_by(*kind.order)).all()


def get(session, kind, row_id):
    """One row, or NotFound."""
    row = session.get(kind.model, row_id)
    if row is None:
        raise NotFound("not_found")
    return row


def counts(session):
    """How many rows each kind has (the console's content overview)."""
    return {name: session.scalar(select(func.count()).select_from(k.model)) for name, k in KINDS.items()}


def _check_unique(session, kind, values, row_id=None):
    """Refuse values another row already has (``unique``) or a queue service that does not exist."""
    missing = {
        f.name: ("field_choice", {})
        for f in kind.fields
        if f.kind == "service" and values.get(f.name) is not None and session.get(Service, values[f.name]) is None
    }
    if missing:
        raise ContentInvalid(missing)
    taken = {
        name: ("field_taken", {})
        for name in kind.unique
        if session.scalar(
            select(kind.model.id).where(getattr(kind.model, name) == values[name], kind.model.id != (row_id or 0))
        )
    }
    if taken:
        raise ContentInvalid(taken)


def create(session, kind, values, actor, now):
    """Add a row of ``kind`` from parsed ``values``; recorded in the audit log."""
    if not kind.creatable:
        raise DomainError("not_creatable")
    _check_unique(session, kind, values)
    extra = {"created_at": now} if hasattr(kind.model, "created_at") else {}
    if kind.name == "announcement" and values.get("publish_at") is None:
        values = {**values, "publish_at": now}
    row = kind.model(**kind.defaults, **extra, **values)
    session.add(row)
    session.flush()
    bump_version(session)  # every kind shows on the home page, the kiosk or the board
    audit.record(session, actor, f"{kind.name}.create", f"{kind.name}:{row.id}", _plain_all(values), now)
    return row


def update(session, kind, row_id, values, actor, now):
    """Change a row of ``kind`` to ``values``; the audit log gets the fields that changed."""
    row = get(session, kind, row_id)
    check_editable(row)
    _check_unique(session, kind, values, row_id)
    if kind.name == "announcement" and values.get("publish_at") is None:
        values = {**values, "publish_at": row.publish_at}
    before = _plain_all(audit.snapshot(row, values))
    for name, value in values.items():
        setattr(row, name, value)
    changes = audit.diff(before, _plain_all(values))
    if changes:
        bump_version(session)  # every kind shows on the home page, the kiosk or the board
        audit.record(session, actor, f"{kind.name}.update", f"{kind.name}:{row.id}", changes, now)
    return row


def delete(session, kind, row_id, actor, now):
    """Remove a row of ``kind`` (only kinds that can be created can be deleted)."""
    if not kind.creatable:
        raise DomainError("not_creatable")
    row = get(session, kind, row_id)
    check_editable(row)
    title = getattr(row, kind.title)
    session.delete(row)
    bump_version(session)  # every kind shows on the home page, the kiosk or the board
    audit.record(session, actor, f"{kind.name}.delete", f"{kind.name}:{row_id}", {kind.title: title}, now)


def unpublish(session, row_id, actor, now):
    """Hide an announcement now (its expiry becomes now); it stays in the console to publish again."""
    kind = KINDS["announcement"]
    row = get(session, kind, row_id)
    check_editable(row)
    if row.expire_at is not None and row.expire_at <= now:
        return row
    values = {"expire_at": now, "publish_at": min(row.publish_at, now)}
    return update(session, kind, row_id, values, actor, now)


def _plain_all(values):
    return {k: plain(v) for k, v in values.items()}
