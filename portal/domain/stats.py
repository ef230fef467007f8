"""Queue statistics per service and per counter, computed from the tickets themselves.

Tickets are never deleted, so the figures of any past day can be recomputed exactly; there is
no second copy of the truth to drift. Wait = issue to first call; service = start to finish;
a no-show is a ticket skipped and never served. Days are the queue's business days (the
village's local dates, ``Ticket.day``), so a week or a month is made of whole village days.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from portal.domain.errors import DomainError
from portal.models import Counter, Service, Ticket

# How many periods the statistics page looks back over, the current one included.
PERIODS = {"day": 14, "week": 12, "month": 12}
GROUPINGS = ("service", "counter")


def daily(session, day):
    """Figures for ``day``: ``{"day", "services": [...], "counters": [...]}``.

    Service rows count tickets issued for the service and, for tickets now in it (transfers
    land in their new service), served, skipped, cancelled, still waiting and the averages.
    Counter rows have the same figures for the tickets called to that counter.
    """
    return summary(session, day, day_tickets(session, day))


def glance(session, day):
    """``daily`` plus a ``total`` row over every ticket of the day (the console's home)."""
    tickets = day_tickets(session, day)
    return {**summary(session, day, tickets), "total": {"issued": len(tickets), **figures(tickets)}}


def day_tickets(session, day):
    """Every ticket of ``day``."""
    return session.scalars(select(Ticket).where(Ticket.day == day)).all()


def summary(session, day, tickets):
    """``daily``'s figures for the day's ``tickets``."""
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
    # Never below zero: the clock may have gone back in between (see queue.seconds_between).
    waits = [max(0.0, (t.called_at - t.created_at).total_seconds()) for t in tickets if t.called_at]
    services = [
        max(0.0, (t.finished_at - t.started_at).total_seconds())
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


# -- days, weeks and months ----------------------------------------------------------------


@dataclass
class Tally:
    """Counts and summed durations of some tickets; they add up, so days fold into weeks and
    months exactly (averages are taken at the end, never averaged again)."""

    issued: int = 0  # for a counter: the tickets called to it
    served: int = 0
    no_shows: int = 0
    wait_seconds: float = 0.0
    waits: int = 0
    service_seconds: float = 0.0
    services: int = 0

    def add(self, other):
        """Add ``other``'s tickets to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def avg_wait_seconds(self):
        """The mean wait in whole seconds, or None with no ticket called."""
        return round(self.wait_seconds / self.waits) if self.waits else None

    @property
    def avg_service_seconds(self):
        """The mean service time in whole seconds, or None with no ticket served."""
        return round(self.service_seconds / self.services) if self.services else None


@dataclass
class Report:
    """The statistics of ``period``s grouped ``by`` service or counter.

    ``buckets`` are the periods' first days, oldest first, up to the day ``through``; ``groups``
    are ``(key, name)`` pairs (service or counter id and name);
    ``cells[(bucket, key)]``, ``totals[bucket]`` (every ticket, in any group or none) and
    ``overall[key]`` (every bucket) are Tallies.
    """

    period: str
    by: str
    through: date
    buckets: list
    groups: list
    cells: dict
    totals: dict
    overall: dict


def bucket_of(period, day):
    """The first day of the period ``day`` falls in: the day, its week's Monday, its month's 1st."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def buckets(period, today):
    """The first days of the last ``PERIODS[period]`` periods up to ``today``'s, oldest first."""
    count = PERIODS[period]
    if period == "month":
        months = today.year * 12 + today.month - 1
        return [date(m // 12, m % 12 + 1, 1) for m in range(months - count + 1, months + 1)]
    step = timedelta(days=7 if period == "week" else 1)
    last = bucket_of(period, today)
    return [last - step * n for n in range(count - 1, -1, -1)]


def seconds(start, end):
    """SQL: the seconds from ``start`` to ``end`` (stored UTC text), to the millisecond SQLite keeps;
    0 when the clock went back in between (as ``queue.seconds_between``, what the district gets)."""
    return func.max(0, func.round((func.julianday(end) - func.julianday(start)) * 86_400_000) / 1000.0)


def day_figures(session, first, last):
    """One grouped query: per day from ``first`` to ``last``, origin service, service and counter,
    the tickets' count, served, no-shows, summed wait and its count, summed service time and its
    count."""
    called = Ticket.called_at.is_not(None)
    timed = (Ticket.status == "done") & Ticket.started_at.is_not(None) & Ticket.finished_at.is_not(None)
    return session.execute(
        select(
            Ticket.day,
            Ticket.origin_service_id,
            Ticket.service_id,
            Ticket.counter_id,
            func.count(),
            func.sum(case((Ticket.status == "done", 1), else_=0)),
            func.sum(case((Ticket.status == "skipped", 1), else_=0)),
            func.coalesce(func.sum(case((called, seconds(Ticket.created_at, Ticket.called_at)))), 0),
            func.sum(case((called, 1), else_=0)),
            func.coalesce(func.sum(case((timed, seconds(Ticket.started_at, Ticket.finished_at)))), 0),
            func.sum(case((timed, 1), else_=0)),
        )
        .where(Ticket.day >= first, Ticket.day <= last)
        .group_by(Ticket.day, Ticket.origin_service_id, Ticket.service_id, Ticket.counter_id)
    ).all()


def report(session, period, by, today):
    """Issued, served, no-shows and average wait and service time per ``period`` (``day``,
    ``week`` or ``month``) for the last ``PERIODS[period]`` of them up to ``today``, per service
    or per counter (``by``). One grouped query over the tickets, folded into periods here.
    DomainError for an unknown period or grouping."""
    if period not in PERIODS:
        raise DomainError("stats_bad_period", period=str(period)[:20])
    if by not in GROUPINGS:
        raise DomainError("stats_bad_by", by=str(by)[:20])
    starts = buckets(period, today)
    rows = day_figures(session, starts[0], today)
    if by == "service":
        groups = session.execute(select(Service.id, Service.name).order_by(Service.position, Service.id)).all()
    else:
        groups = session.execute(select(Counter.id, Counter.name).order_by(Counter.position, Counter.id)).all()
    cells = {(start, key): Tally() for start in starts for key, _ in groups}
    totals = {start: Tally() for start in starts}
    for day, origin, service, counter, count, served, no_shows, wait, waits, spent, timed_count in rows:
        start = bucket_of(period, day)
        outcome = Tally(0, served, no_shows, wait, waits, spent, timed_count)
        totals[start].add(outcome)
        totals[start].issued += count
        if by == "service":
            # Issued counts where a ticket was taken; what became of it counts where it ended up.
            cells.setdefault((start, origin), Tally()).issued += count
            cells.setdefault((start, service), Tally()).add(outcome)
        elif counter is not None:
            cell = cells.setdefault((start, counter), Tally())
            cell.add(outcome)
            cell.issued += count
    overall = {key: Tally() for key, _ in groups}
    for (_, key), cell in cells.items():
        overall.setdefault(key, Tally()).add(cell)
    return Report(period, by, today, starts, [tuple(g) for g in groups], cells, totals, overall)
