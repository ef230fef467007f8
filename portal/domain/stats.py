"""Daily queue statistics per service and per counter, computed from the tickets themselves.

Tickets are never deleted, so the figures of any past day can be recomputed exactly; there is
no second copy of the truth to drift. Wait = issue to first call; service = start to finish.
"""

from sqlalchemy import select

from portal.models import Counter, Service, Ticket


def daily(session, day):
    """Figures for ``day``: ``{"day", "services": [...], "counters": [...]}``.

    Service rows count tickets issued for the service and, for tickets now in it (transfers
    land in their new service), served, skipped, cancelled, still waiting and the averages.
    Counter rows have the same figures for the tickets called to that counter.
    """
    tickets = session.scalars(select(Ticket).where(Ticket.day == day)).all()
    services = session.scalars(select(Service).order_by(Service.position, Service.id)).all()
    counters = session.scalars(select(Counter).order_by(Counter.position, Counter.id)).all()
    return {
        "day": day.isoformat(),
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "issued": sum(t.origin_service_id == s.id for t in tickets),
                **figures([t for t in tickets if t.service_id == s.id]),
            }
            for s in services
        ],
        "counters": [
            {"id": c.id, "name": c.name, **figures([t for t in tickets if t.counter_id == c.id])} for c in counters
        ],
    }


def figures(tickets):
    """Counts and average durations (seconds, None when there is nothing to average) of tickets."""
    waits = [(t.called_at - t.created_at).total_seconds() for t in tickets if t.called_at]
    services = [
        (t.finished_at - t.started_at).total_seconds()
        for t in tickets
        if t.status == "done" and t.started_at and t.finished_at
    ]
    return {
        "served": sum(t.status == "done" for t in tickets),
        "skipped": sum(t.status == "skipped" for t in tickets),
        "cancelled": sum(t.status == "cancelled" for t in tickets),
        "waiting": sum(t.status == "waiting" for t in tickets),
        "avg_wait_seconds": average(waits),
        "avg_service_seconds": average(services),
    }


def average(values):
    """The mean rounded to whole seconds, or None for no values."""
    return round(sum(values) / len(values)) if values else None
