"""Announcements (pengumuman): what is published now, pinned first.

The editor comes with the content work; the phone portal and the display board show them now.
"""

from sqlalchemy import or_, select

from portal.domain.errors import DomainError
from portal.models import Announcement


def current(session, now, limit=10):
    """Announcements published and not expired at ``now``: pinned first, then newest."""
    return session.scalars(
        select(Announcement)
        .where(
            Announcement.publish_at <= now,
            or_(Announcement.expire_at.is_(None), Announcement.expire_at > now),
        )
        .order_by(Announcement.pinned.desc(), Announcement.publish_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()


def add(session, title, body, now, publish_at=None, expire_at=None, pinned=False):
    """Create an announcement; it must have a title and must not expire before it is published."""
    title = title.strip()
    if not title:
        raise DomainError("title_required")
    publish_at = publish_at or now
    if expire_at is not None and expire_at <= publish_at:
        raise DomainError("expires_before_publish")
    item = Announcement(
        title=title, body=body.strip(), publish_at=publish_at, expire_at=expire_at, pinned=pinned, created_at=now
    )
    session.add(item)
    session.flush()
    return item
