"""Tracking codes residents type, and the hourly limit on what one address may send.

Complaints (``PGD-7KQ2M-X9TRA``) and letter requests (``SRT-…``) share both: a code a resident
can read aloud and type on a phone, and a limit counted in the database, so a restart does not
reset it.
"""

import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from portal.domain.errors import NotFound, Refused

# 31 characters that cannot be mistaken for each other (no 0/O, 1/I/L): 10 of them are ~49 bits,
# far too many to guess, and still short enough to type on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
ATTEMPTS = 5
RATE_WINDOW = timedelta(hours=1)


class TooOften(Refused):
    """This client has sent its allowance for the hour (HTTP 429; ``retry_after`` in seconds)."""

    status = 429


def new_code():
    """A fresh random code (stored form: ``LENGTH`` characters of ``ALPHABET``)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(prefix, code):
    """A stored code as people read and type it: ``PGD-7KQ2M-X9TRA``."""
    return f"{prefix}-{code[:5]}-{code[5:]}"


def normalise(prefix, text):
    """A typed code in its stored form, or None when it cannot be one.

    Case, dashes, spaces and the prefix are optional. The prefix is only taken off a code one
    prefix too long, because a stored code may itself begin with those letters.
    """
    raw = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    if len(raw) == len(prefix) + LENGTH and raw.startswith(prefix):
        raw = raw[len(prefix) :]
    if len(raw) != LENGTH or not set(raw) <= set(ALPHABET):
        return None
    return raw


def find(session, column, prefix, typed, error):
    """The row whose ``column`` holds the code ``typed`` (in any form ``normalise`` accepts), or
    NotFound(``error``)."""
    stored = normalise(prefix, typed)
    row = session.scalar(select(column.class_).where(column == stored)) if stored else None
    if row is None:
        raise NotFound(error)
    return row


def unused(session, column, fresh):
    """A new code (from ``fresh()``) that no row has in ``column``: a collision is astronomically
    rare, but checked."""
    for _ in range(ATTEMPTS):
        code = fresh()
        if session.scalar(select(column).where(column == code)) is None:
            return code
    raise RuntimeError("no unused tracking code: is the random source broken?")


def check_rate(session, model, client, now, limit, error):
    """Refuse (TooOften ``error``) a client that sent ``limit`` rows of ``model`` within the last
    hour. ``model`` has ``client`` and ``created_at`` columns."""
    since = now - RATE_WINDOW
    recent = session.scalars(
        select(model.created_at).where(model.client == client, model.created_at > since).order_by(model.created_at)
    ).all()
    if len(recent) >= limit:
        # The oldest ones leave the window first; then one more may be sent.
        frees_at = (recent[len(recent) - limit] if limit > 0 else now) + RATE_WINDOW
        wait = max(1, int((frees_at - now).total_seconds() + 0.999))
        raise TooOften(error, limit=limit, retry_after=wait, minutes=(wait + 59) // 60)
