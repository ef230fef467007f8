"""Letter types (jenis surat): the one description of each letter the office issues.

The service catalogue shows a letter's requirements, fee and typical time; letter requests build
their forms from its ``fields``, a JSON list of ``{"name", "label", "kind", "required"}``:

- ``name``: the key a request stores the answer under (``nama``, ``nik``, ``keperluan`` …);
- ``label``: what the form asks, in Indonesian (it is the village's own text);
- ``kind``: ``text``, ``textarea``, ``nik`` (16 digits), ``date``, ``address`` (RT/RW/dusun);
- ``required``: whether the request needs it.
"""

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.domain import audit, letter_templates
from portal.domain.errors import DomainError, NotFound
from portal.models import LetterType

FIELD_KINDS = ("text", "textarea", "nik", "date", "address")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

# What nearly every letter asks: who the resident is and what the letter is for.
COMMON_FIELDS = [
    {"name": "nama", "label": "Nama lengkap", "kind": "text", "required": True},
    {"name": "nik", "label": "NIK (16 angka)", "kind": "nik", "required": True},
    {"name": "alamat", "label": "Alamat (RT/RW, dusun)", "kind": "address", "required": True},
    {"name": "keperluan", "label": "Keperluan", "kind": "textarea", "required": True},
]


def default_fields_json():
    """The fields a new letter type starts with."""
    return json.dumps(COMMON_FIELDS, ensure_ascii=False)


def parse_fields(text):
    """A letter type's fields from JSON, checked; DomainError("bad_letter_fields") when malformed."""
    try:
        fields = json.loads(text or "[]")
    except ValueError:
        raise DomainError("bad_letter_fields") from None
    names = set()
    if not isinstance(fields, list):
        raise DomainError("bad_letter_fields")
    for item in fields:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", item["name"])
            or item["name"] in names
            or item["name"] in letter_templates.SYSTEM  # a template could not tell them apart
            or not isinstance(item.get("label"), str)
            or item.get("kind") not in FIELD_KINDS
            or not isinstance(item.get("required", False), bool)
        ):
            raise DomainError("bad_letter_fields")
        names.add(item["name"])
    return fields


def check_code(values):
    """The content form's rule for letter types: a short, URL-safe code."""
    if "code" in values and not CODE.match(values["code"]):
        return {"code": ("bad_letter_code", {})}
    return {}


def offered(session):
    """The letter types residents can ask for, in catalogue order."""
    return session.scalars(
        select(LetterType)
        .options(joinedload(LetterType.service))
        .where(LetterType.active)
        .order_by(LetterType.position, LetterType.name)
    ).all()


def by_code(session, code):
    """An offered letter type by its code, or None."""
    return session.scalar(
        select(LetterType).options(joinedload(LetterType.service)).where(LetterType.code == code, LetterType.active)
    )


def every_type(session):
    """Every letter type, offered or not, in catalogue order (the console's templates page)."""
    return session.scalars(select(LetterType).order_by(LetterType.position, LetterType.name)).all()


def get(session, type_id):
    """A letter type by its id (the console), or NotFound."""
    letter_type = session.get(LetterType, type_id)
    if letter_type is None:
        raise NotFound("letter_type_not_found")
    return letter_type


def template_of(letter_type):
    """The text a letter type's letters are written from: its own, else the shipped one."""
    return letter_type.template or letter_templates.shipped(letter_type.code, parse_fields(letter_type.fields))


def save_template(session, letter_type, text, actor, now):
    """Store a letter type's own text (checked by ``letter_templates.check``), or go back to the
    shipped text with ``text`` empty. Audited with the lengths before and after: the text itself
    is the village's, kept on the type."""
    template = letter_templates.check(text, parse_fields(letter_type.fields)) if text.strip() else ""
    changes = {"type": letter_type.code, "length": [len(letter_type.template), len(template)]}
    letter_type.template = template
    audit.record(session, actor, "letter_type.template", f"letter_type:{letter_type.id}", changes, now)
