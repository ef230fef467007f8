"""The outbox: what the district should hear about, kept until the hub has it.

Every change the district reports on writes its event here in the *same transaction* (a ticket
issued or served, a complaint and its status, a printer fault, a day's figures, a poll's result),
so an event exists exactly when its change does: a crash can lose neither one without the other.
The worker pushes events in ``seq`` order and moves its cursor only when the hub acknowledges.

What leaves the village is aggregate or chosen by the resident: tickets and complaints travel
under references that cannot be turned back into their keys, never with names or contacts; a complaint's
text travels only when the resident ticked "forward to the district".
"""

import hashlib
import json
import uuid
from datetime import UTC

from sqlalchemy import delete, func, insert, select

from portal.models import OutboxEvent, utc_text


def add(session, kind, data, at):
    """Queue the event ``kind`` with ``data`` (JSON-able) that happened at ``at``."""
    session.execute(
        insert(OutboxEvent.__table__).values(
            id=uuid.uuid4().hex, kind=kind, at=at, payload=json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        )
    )


def ref(secret):
    """A stable, one-way name for a ticket: the hub can tell events about the same ticket apart
    without learning the key that opens its page (96 random bits: no guessing it back from the
    hash). Complaints, whose codes are shorter, travel under a random ``ref`` of their own."""
    return hashlib.sha256(f"balai-ref:{secret}".encode()).hexdigest()[:20]


def wire(event):
    """An outbox row as it travels: ``{"id", "kind", "at", "data"}``."""
    return {
        "id": event.id,
        "kind": event.kind,
        "at": utc_text(event.at.astimezone(UTC)),
        "data": json.loads(event.payload),
    }


def batch(session, after, max_events, max_bytes):
    """The next events after ``seq`` ``after``: at most ``max_events``, and about ``max_bytes`` of
    JSON (always at least one, so a single large event cannot block the queue).
    Returns ``(last seq, [wire events])``."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq).limit(max_events)
    )
    events, size, last = [], 0, after
    for row in rows:
        size += len(row.payload) + 120
        if events and size > max_bytes:
            break
        events.append(wire(row))
        last = row.seq
    return last, events


def pending(session, after):
    """How many events wait after ``seq`` ``after``."""
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.seq > after))


def purge(session, through, before):
    """Forget acknowledged events (``seq`` ≤ ``through``) that happened before ``before``."""
    result = session.execute(delete(OutboxEvent).where(OutboxEvent.seq <= through, OutboxEvent.at < before))
    return result.rowcount
