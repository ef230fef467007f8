"""What residents may see of the village's content now: the agenda, documents, directories and
emergency numbers (announcements have their own module)."""

from datetime import timedelta

from sqlalchemy import and_, or_, select

from portal.domain.errors import NotFound
from portal.models import Business, Contact, Document, Event, Officer

RECENT_DAYS = 30  # past agenda items stay listed this long
UNTIMED_HOURS = 12


def not_over(now):
    """The condition for an agenda item still to come or under way (one without an end time
    counts as under way for UNTIMED_HOURS after its start)."""
    return or_(
        Event.ends_at >= now,
        and_(Event.ends_at.is_(None), Event.starts_at >= now - timedelta(hours=UNTIMED_HOURS)),
    )


def upcoming_events(session, now, limit=50):
    """Agenda items that are not over yet, soonest first."""
    return session.scalars(select(Event).where(not_over(now)).order_by(Event.starts_at).limit(limit)).all()


def over(now):
    """The exact complement of ``not_over`` (spelled out: NOT of a NULL comparison is NULL)."""
    return or_(
        Event.ends_at < now,
        and_(Event.ends_at.is_(None), Event.starts_at < now - timedelta(hours=UNTIMED_HOURS)),
    )


def past_events(session, now):
    """Agenda items that are over and started in the last RECENT_DAYS days, newest first."""
    since = now - timedelta(days=RECENT_DAYS)
    return session.scalars(
        select(Event).where(over(now), Event.starts_at >= since).order_by(Event.starts_at.desc())
    ).all()


def documents(session, kind=None, year=None):
    """Published documents, newest year first, optionally of one type or year."""
    query = select(Document).where(Document.published).order_by(Document.year.desc(), Document.title)
    if kind:
        query = query.where(Document.kind == kind)
    if year:
        query = query.where(Document.year == year)
    return session.scalars(query).all()


def document_years(session):
    """The years that have published documents, newest first."""
    return session.scalars(
        select(Document.year).where(Document.published).distinct().order_by(Document.year.desc())
    ).all()


def _published(session, model, row_id):
    """One published row of ``model``, or NotFound."""
    row = session.get(model, row_id)
    if row is None or not row.published:
        raise NotFound("not_found")
    return row


def document(session, document_id):
    """One published document, or NotFound."""
    return _published(session, Document, document_id)


def officers(session):
    """The village officials in their order."""
    return session.scalars(select(Officer).order_by(Officer.position, Officer.id)).all()


def businesses(session):
    """Published UMKM, in their order."""
    return session.scalars(select(Business).where(Business.published).order_by(Business.position, Business.name)).all()


def business(session, business_id):
    """One published UMKM, or NotFound."""
    return _published(session, Business, business_id)


def contacts(session):
    """Emergency and service numbers in their order."""
    return session.scalars(select(Contact).order_by(Contact.position, Contact.id)).all()
