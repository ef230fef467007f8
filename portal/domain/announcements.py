"""Announcements (pengumuman): what is published now, pinned first.

The console edits them through ``portal.domain.content``; phones, the kiosk and the board show
what this module finds published.
"""

from sqlalchemy import and_, func, or_, select

from portal.domain.errors import NotFound
from portal.models import Announcement


def live(now):
    """The condition for an announcement published and not expired at ``now``."""
    return and_(
        Announcement.publish_at <= now,
        or_(Announcement.expire_at.is_(None), Announcement.expire_at > now),
    )


def current(session, now, limit=10):
    """Announcements published and not expired at ``now``: pinned first, then newest."""
    return session.scalars(
        select(Announcement)
        .where(live(now))
        .order_by(Announcement.pinned.desc(), Announcement.publish_at.desc(), Announcement.id.desc())
        .limit(limit)
    ).all()


def published(session, announcement_id, now):
    """One announcement residents may read now, or NotFound."""
    item = session.scalar(select(Announcement).where(Announcement.id == announcement_id, live(now)))
    if item is None:
        raise NotFound("not_found")
    return item


def came_due(session, start, end):
    """How many announcements were published or expired in (start, end]: the screens must refresh."""
    return session.scalar(
        select(func.count())
        .select_from(Announcement)
        .where(
            or_(
                and_(Announcement.publish_at > start, Announcement.publish_at <= end),
                and_(Announcement.expire_at > start, Announcement.expire_at <= end),
            )
        )
    )
