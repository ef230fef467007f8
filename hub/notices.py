"""Announcements and messages the district sends down to villages, pulled by each village.

Every change (sending, withdrawing) takes the next number of the hub-wide ``notice`` counter as
the notice's ``seq``; a village asks for what changed after the last ``seq`` it applied.
"""

from datetime import UTC

from sqlalchemy import select, update

from hub.models import Counter, Notice, NoticeTarget
from portal.domain.errors import DomainError, NotFound
from portal.models import utc_text

KINDS = ("announcement", "message")
PAGE = 100  # notices in one answer to a village


def next_seq(session):
    """The next number of the notice counter (the row stays locked until the transaction ends)."""
    return session.execute(
        update(Counter).where(Counter.name == "notice").values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()


def send(session, author, kind, title, body, villages, now, pinned=False, expires_at=None):
    """Send a notice to ``villages`` (Village rows); returns it. DomainError on bad input."""
    title = " ".join(str(title).split())
    body = str(body).strip()
    if kind not in KINDS:
        raise DomainError("hub_bad_kind")
    if not title or len(title) > 200:
        raise DomainError("hub_bad_title")
    if len(body) > 8000:
        raise DomainError("hub_body_too_long")
    if not villages:
        raise DomainError("hub_no_villages")
    if expires_at is not None and expires_at <= now:
        raise DomainError("hub_expiry_past")
    notice = Notice(
        seq=next_seq(session),
        kind=kind,
        title=title,
        body=body,
        pinned=bool(pinned) and kind == "announcement",
        expires_at=expires_at,
        created_at=now,
        created_by=author,
    )
    session.add(notice)
    session.flush()
    session.add_all(NoticeTarget(notice_id=notice.id, village_id=v.id) for v in villages)
    return notice


def withdraw(session, notice_id, now):
    """Take a notice back: villages remove it the next time they sync."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("hub_unknown_notice")
    if notice.withdrawn_at is None:
        notice.withdrawn_at = now
        notice.seq = next_seq(session)
    return notice


def for_village(session, village, after):
    """What changed for ``village`` after ``seq`` ``after``: ``{"notices": [...], "cursor": n}``."""
    rows = session.scalars(
        select(Notice)
        .join(NoticeTarget, NoticeTarget.notice_id == Notice.id)
        .where(NoticeTarget.village_id == village.id, Notice.seq > after)
        .order_by(Notice.seq)
        .limit(PAGE)
    ).all()
    return {"notices": [wire(n) for n in rows], "cursor": rows[-1].seq if rows else after}


def wire(notice):
    """A notice as a village receives it."""
    return {
        "id": notice.id,
        "kind": notice.kind,
        "title": notice.title,
        "body": notice.body,
        "pinned": notice.pinned,
        "sent_at": utc_text(notice.created_at.astimezone(UTC)),
        "expires_at": utc_text(notice.expires_at) if notice.expires_at else None,
        "withdrawn": notice.withdrawn_at is not None,
    }


def recent(session, villages=None, limit=50):
    """The latest notices (for the dashboard), those reaching any of ``villages`` when given."""
    query = select(Notice).order_by(Notice.id.desc()).limit(limit)
    if villages is not None:
        query = query.where(
            Notice.id.in_(select(NoticeTarget.notice_id).where(NoticeTarget.village_id.in_([v.id for v in villages])))
        )
    return session.scalars(query).all()
