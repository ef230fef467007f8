"""The villages' issued letters as the hub keeps them (``hub.ingest`` fills the table), for the
public page a letter's QR code opens: ``/verify/<code>``."""

import re

from sqlalchemy import select

from hub.models import Letter, Village


def find(session, code):
    """``(letter, village name)`` for a verification code as scanned or typed (dashes, spaces and
    case do not matter), or None when the hub holds no such letter."""
    clean = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    if not clean:
        return None
    query = select(Letter, Village.name).join(Village, Village.id == Letter.village_id).where(Letter.code == clean)
    return session.execute(query).first()


def record(letter):
    """A stored letter in the shape the village's own page reads
    (``portal.domain.letter_register.verification_record``)."""
    return {
        "letter": letter.code,
        "number": letter.number,
        "type": letter.type_name,
        "issued_on": letter.issued_on.isoformat(),
        "name": letter.masked_name,
        "voided_on": letter.voided_on.isoformat() if letter.voided_on else None,
    }
