"""The district's messages to the village's officials: which are unread, and reading them.

``portal.domain.district`` stores the messages as the hub sends them; this module only keeps
track of what the officials have seen, for the console's "new message" count.
"""

from sqlalchemy import func, select, update

from portal.models import DistrictMessage


def unread(session):
    """How many of the district's messages no official has seen yet."""
    return session.scalar(select(func.count()).select_from(DistrictMessage).where(DistrictMessage.read_at.is_(None)))


def mark_read(session, now):
    """The messages were shown on the console's sync page: none is new any more. Returns how
    many were unread."""
    result = session.execute(
        update(DistrictMessage).where(DistrictMessage.read_at.is_(None)).values(read_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
