"""The service queue (antrean): issuing tickets, calling them at counters, waiting estimates.

Statuses and the moves between them::

    waiting --call--> called --start--> serving --complete--> done
       |                |  \\--recall--> called (again)
       |                |---complete--> done (served without pressing start)
       |                |---skip------> skipped --requeue--> waiting (same day)
       |                \\---transfer--> waiting (in another service, same place)
       \\--cancel--> cancelled     (also from called; serving can be transferred, not cancelled)

Every write runs in one ``BEGIN IMMEDIATE`` transaction (``Database.write``), so numbers are
allocated without gaps or duplicates however many requests arrive at once, records an event in
``ticket_events`` and bumps the queue version that ETags are built from.
"""

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from threading import Lock
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, literal, select, text, update
from sqlalchemy.orm import joinedload

from portal.domain import kiosks, outbox
from portal.domain.errors import Conflict, NotFound, Refused
from portal.domain.estimate import line_for
from portal.domain.speech import call_text, call_words
from portal.domain.village import STATE_SQL, Today, bump_version, business_day, today
from portal.models import Counter, LetterRequest, PrintJob, Service, Ticket, TicketEvent, from_utc_text

ACTIVE = ("waiting", "called", "serving")
AT_COUNTER = ("called", "serving")
# One ticket with its service's and counter's names (ticket_from_row reads it).
TICKET_SQL = """
SELECT t.id, t.number, t.priority, t.status, t.serial, t.service_id, t.counter_id, t.day, t.created_at,
       t.called_at, t.call_count, s.code, s.name, c.name
  FROM tickets AS t JOIN services AS s ON s.id = t.service_id LEFT JOIN counters AS c ON c.id = t.counter_id
  WHERE t.id = ?
"""
# Cached ticket views and lines. An entry serves only until the queue changes, so a busy day's few
# hundred tickets is all it needs to hold; each takes about 2 KB of the portal's memory, and the
# bound is the memory the cache may take (2 MB; bench/queue.py issues thousands of tickets).
CACHE_SIZE = 1_000


@dataclass(frozen=True)
class Policy:
    """The queue's tunables (from the BALAI_* settings)."""

    priority_ratio: int = 2
    default_service_seconds: int = 300
    hotspot_max_tickets: int = 2


def is_open(service, now, tz_name):
    """Whether ``service`` takes tickets at ``now`` (its days and opening hours, local time)."""
    if not service.active:
        return False
    local = now.astimezone(ZoneInfo(tz_name))
    if str(local.isoweekday()) not in service.days:
        return False
    return service.opens_at <= local.strftime("%H:%M") < service.closes_at


class Queue:
    """The queue operations, on a ``Database`` with a ``Clock``."""

    def __init__(self, db, clock, policy=None):
        self.db = db
        self.clock = clock
        self.policy = policy or Policy()
        # Part of every ETag: a restarted portal (after a restore, say) may meet an old version
        # number again, and must not take its clients' cached copies for current.
        self.epoch = secrets.token_hex(4)
        self._cache = OrderedDict()  # (kind, id) -> (queue version, value): phones poll a lot
        self._finished = 0  # counts tickets finished by this process: the lines' pace changes
        self._cache_lock = Lock()

    # -- reading ---------------------------------------------------------------------------

    def version(self):
        """A short text that changes whenever the queue does (or the day turns): the ETag base.

        Phones poll this every few seconds, so it is one raw query outside any ORM session.
        """
        return f"{self.epoch}-{Today.from_row(self.db.rows(STATE_SQL)[0], self.clock.now()).etag}"

    def services(self):
        """Every active service with whether it is open now and how many are waiting today."""
        now = self.clock.now()
        with self.db.read() as session:
            current = today(session, now)
            day = current.day
            waiting = dict(
                session.execute(
                    select(Ticket.service_id, func.count())
                    .where(Ticket.day == day, Ticket.status == "waiting")
                    .group_by(Ticket.service_id)
                ).all()
            )
            services = session.scalars(
                select(Service).where(Service.active).order_by(Service.position, Service.id)
            ).all()
            return [
                {
                    "code": s.code,
                    "name": s.name,
                    "prefix": s.prefix,
                    "description": s.description,
                    "requirements": requirement_list(s),
                    "open": is_open(s, now, current.timezone),
                    "opens_at": s.opens_at,
                    "closes_at": s.closes_at,
                    "days": s.days,
                    "fee": s.fee,
                    "typical_minutes": s.typical_minutes,
                    "waiting": waiting.get(s.id, 0),
                }
                for s in services
            ]

    def ticket(self, ticket_id, version=None):
        """The public view of one ticket (position, ETA, counter), or NotFound.

        Views are cached per queue ``version`` (read when not given), so a phone polling an
        unchanged queue costs one tiny query. After a change every phone's view is rebuilt, so
        that is done with plain sqlite3 rows rather than ORM objects.
        """
        version = version or self.version()

        def compute():
            rows = self.db.rows(TICKET_SQL, (ticket_id,))
            if not rows:
                raise NotFound("ticket_not_found")
            now = Today.from_row(self.db.rows(STATE_SQL)[0], self.clock.now())
            return self._view(ticket_from_row(rows[0]), now)

        return self._cached(("ticket", ticket_id), version, compute)

    def client_tickets(self, client):
        """The public views of today's active tickets taken from address ``client`` (the phone's
        own, shown on its Wi-Fi page: the sign-in popup forgets pages when it closes)."""
        with self.db.read() as session:
            day = business_day(session, self.clock.now())
            ids = session.scalars(
                select(Ticket.id)
                .where(Ticket.client == client, Ticket.day == day, Ticket.status.in_(ACTIVE))
                .order_by(Ticket.serial)
            ).all()
        return [self.ticket(ticket_id) for ticket_id in ids]

    def counters(self):
        """Every active counter with its services and the ticket it is serving (or None)."""
        with self.db.read() as session:
            now = today(session, self.clock.now())
            counters = session.scalars(
                select(Counter).where(Counter.active).order_by(Counter.position, Counter.id)
            ).all()
            current = current_tickets(session, now.day)
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "services": [s.code for s in c.services],
                    "serving": public_summary(current[c.id]) if c.id in current else None,
                }
                for c in counters
            ]

    def waiting_list(self, counter_id):
        """The tickets waiting for a counter's services today, in the order they will be called."""
        with self.db.read() as session:
            counter = get_counter(session, counter_id)
            day = business_day(session, self.clock.now())
            tickets = self._waiting(session, day, [s.id for s in counter.services])
            due = self._priority_due(session, day, [s.id for s in counter.services])
            ordered = call_order(tickets, due, self.policy.priority_ratio)
            return [ticket_summary(t) for t in ordered]

    def board(self, version=None):
        """What the display board shows: now serving per counter, the last calls, waiting per service.

        Cached per queue ``version``: every screen and phone polling the board shares one copy.
        """
        return self._cached(("board",), version or self.version(), self._board)

    def _board(self, calls=6):
        now = self.clock.now()
        with self.db.read() as session:
            day = business_day(session, now)
            counters = session.scalars(
                select(Counter).where(Counter.active).order_by(Counter.position, Counter.id)
            ).all()
            current = current_tickets(session, day)
            events = session.scalars(
                select(TicketEvent)
                .where(TicketEvent.day == day, TicketEvent.kind.in_(("called", "recalled")))
                .order_by(TicketEvent.id.desc())
                .limit(calls)
            ).all()
            return {
                "day": day.isoformat(),
                "counters": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "serving": public_summary(current[c.id]) if c.id in current else None,
                    }
                    for c in counters
                ],
                "last_calls": [
                    {
                        "call": e.id,
                        "number": e.ticket.number,
                        "counter": e.counter.name if e.counter else None,
                        "counter_id": e.counter_id,
                        "at": e.at.isoformat(),
                        "recall": e.kind == "recalled",
                        # What the board says: one voice clip per word, or the sentence.
                        "words": call_words(e.ticket.number, e.counter.name) if e.counter else [],
                        "text": call_text(e.ticket.number, e.counter.name) if e.counter else "",
                    }
                    for e in events
                ],
                "services": [{"code": s["code"], "name": s["name"], "waiting": s["waiting"]} for s in self.services()],
            }

    # -- issuing ---------------------------------------------------------------------------

    def issue(
        self,
        service_code,
        priority=False,
        source="web",
        client="",
        limit_client=False,
        print_on=None,
        lang="id",
        letter_request=None,
    ):
        """Take a ticket for ``service_code``; returns its view.

        ``limit_client`` applies the hotspot rule: one address may hold only a few active
        tickets, so a phone or a script cannot drain a service's daily cap. ``print_on`` is a
        kiosk id: its receipt is queued for that kiosk's printer (in ``lang``) in the same
        transaction, so a ticket never exists without the receipt it was promised.
        ``letter_request`` (an id) links the letter request the ticket is taken for, in the same
        transaction too: its receipt and the counter find the request from the first moment.
        """
        now = self.clock.now()
        with self.db.write() as session:
            # Core on the session's connection throughout: this is the hot write path, and the
            # ORM's bookkeeping would cost more than the queries.
            db = session.connection()
            service = db.execute(select(Service.__table__).where(Service.code == service_code, Service.active)).first()
            if service is None:
                raise NotFound("unknown_service", service=service_code)
            current = today(db, now, advance=True)
            if not is_open(service, now, current.timezone):
                raise Refused(
                    "service_closed", service=service.name, opens_at=service.opens_at, closes_at=service.closes_at
                )
            day = current.day
            today_in_service = (Ticket.origin_service_id == service.id) & (Ticket.day == day)
            # One round trip for every figure the rules need. Cancelled tickets give their place
            # in the cap back, so taking and cancelling in a loop cannot drain it.
            last_seq, kept, held, last_serial = db.execute(
                select(
                    select(func.max(Ticket.seq)).where(today_in_service).scalar_subquery(),
                    select(func.count()).where(today_in_service, Ticket.status != "cancelled").scalar_subquery()
                    if service.daily_cap
                    else literal(0),
                    select(func.count())
                    .where(Ticket.client == client, Ticket.day == day, Ticket.status.in_(ACTIVE))
                    .scalar_subquery()
                    if limit_client
                    else literal(0),
                    select(func.max(Ticket.serial)).scalar_subquery(),
                )
            ).one()
            if service.daily_cap and kept >= service.daily_cap:
                raise Refused("daily_cap_reached", service=service.name, cap=service.daily_cap)
            if limit_client and client and held >= self.policy.hotspot_max_tickets:
                raise Refused("too_many_tickets", limit=self.policy.hotspot_max_tickets)
            seq = (last_seq or 0) + 1
            ticket = {
                "id": secrets.token_urlsafe(12),
                "serial": (last_serial or 0) + 1,
                "day": day,
                "origin_service_id": service.id,
                "service_id": service.id,
                "seq": seq,
                "number": f"{service.prefix}-{seq:03d}",
                "priority": bool(priority),
                "status": "waiting",
                "source": source,
                "client": client,
                "created_at": now,
                "call_count": 0,
            }
            db.execute(insert(Ticket.__table__).values(ticket))
            db.execute(insert(TicketEvent.__table__).values(event_row(ticket, "issued", now)))
            report(db, "ticket.issued", ticket["id"], day, service.code, now, source=source, priority=bool(priority))
            if letter_request is not None:
                db.execute(
                    update(LetterRequest.__table__)
                    .where(LetterRequest.id == letter_request)
                    .values(ticket_id=ticket["id"])
                )
            if print_on is not None:
                db.execute(insert(PrintJob.__table__).values(kiosks.job_row(print_on, ticket["id"], lang, now)))
            bump_version(db)
            # The new ticket's view, read inside the transaction so it is exactly the state of
            # the version this write creates (no second read after the commit).
            line = self._line(service.id, day)
            sql, params = line.ahead(ticket["priority"], ticket["serial"])
            ahead = db.execute(text(sql), params).scalar()
        fresh = SimpleNamespace(**ticket, service=service, counter_id=None, counter=None, called_at=None)
        view = present(fresh, "waiting", ahead + 1, line.eta(ahead), current.timezone)
        version = f"{self.epoch}-{Today(day, current.version + 1, current.timezone).etag}"
        return self._cached(("ticket", ticket["id"]), version, lambda: view)

    # -- counter operations ----------------------------------------------------------------

    def call_next(self, counter_id, user_id=None):
        """Call the next ticket to a counter, respecting priority fairly.

        A ticket still being served at the counter is completed first; one that was called but
        not yet started must be skipped, recalled or started explicitly (409 otherwise), so a
        resident who is walking up is never silently passed over.
        """
        now = self.clock.now()
        with self.db.write() as session:
            counter = get_counter(session, counter_id)
            day = business_day(session, now, advance=True)
            current = current_tickets(session, day).get(counter.id)
            if current is not None and current.status == "called":
                raise Conflict("counter_busy", number=current.number)
            if current is not None:
                finish(session, current, now, user_id)
            service_ids = [s.id for s in counter.services]
            waiting = self._waiting(session, day, service_ids)
            if not waiting and current is None:
                raise NotFound("queue_empty", counter=counter.name)
            if not waiting:
                # Nobody waits, but the ticket being served is finished all the same (committed
                # before the queue_empty answer).
                bump_version(session)
            else:
                due = self._priority_due(session, day, service_ids)
                ticket = call_order(waiting, due, self.policy.priority_ratio)[0]
                ticket.status = "called"
                ticket.counter_id = counter.id
                ticket.called_at = now
                ticket.call_count += 1
                record(session, ticket, "called", now, user_id)
                changed = self._changed(session, ticket)
        if current is not None:
            self._finished += 1
        if not waiting:
            raise NotFound("queue_empty", counter=counter.name)
        return self.ticket(changed)

    def recall(self, counter_id, user_id=None):
        """Call the counter's current ticket again (the board and voice repeat it)."""
        return self._at_counter(counter_id, ("called", "serving"), "recalled", user_id)

    def start(self, counter_id, user_id=None):
        """The resident arrived: serving starts."""
        return self._at_counter(counter_id, ("called",), "started", user_id)

    def complete(self, counter_id, user_id=None):
        """The service is done."""
        return self._at_counter(counter_id, AT_COUNTER, "done", user_id)

    def skip(self, counter_id, user_id=None):
        """The resident did not come: skipped (can be put back into the queue today)."""
        return self._at_counter(counter_id, ("called",), "skipped", user_id)

    def transfer(self, counter_id, service_code, user_id=None):
        """Send the counter's ticket to another service; it keeps its place by issue time."""
        now = self.clock.now()
        with self.db.write() as session:
            counter = get_counter(session, counter_id)
            day = business_day(session, now, advance=True)
            ticket = current_tickets(session, day).get(counter.id)
            if ticket is None:
                raise Conflict("counter_idle", counter=counter.name)
            target = session.scalar(select(Service).where(Service.code == service_code, Service.active))
            if target is None:
                raise NotFound("unknown_service", service=service_code)
            if target.id == ticket.service_id:
                raise Conflict("same_service", service=target.name)
            ticket.service_id = target.id
            ticket.service = target
            ticket.status = "waiting"
            ticket.counter_id = None
            ticket.called_at = ticket.started_at = None
            record(session, ticket, "transferred", now, user_id, counter_id=counter.id)
            changed = self._changed(session, ticket)
        return self.ticket(changed)

    def requeue(self, ticket_id, user_id=None):
        """Put a skipped ticket back into today's queue, at its original place."""

        def change(ticket, now):
            ticket.status = "waiting"
            ticket.counter_id = None

        return self._by_id(ticket_id, ("skipped",), "requeued", change, user_id)

    def cancel(self, ticket_id, user_id=None):
        """The resident (or an official) gives the ticket up."""

        def change(ticket, now):
            ticket.status = "cancelled"
            ticket.finished_at = now

        return self._by_id(ticket_id, ("waiting", "called"), "cancelled", change, user_id)

    # -- internals -------------------------------------------------------------------------

    def _by_id(self, ticket_id, allowed, event, change, user_id):
        """Apply ``change(ticket, now)`` to today's ticket ``ticket_id`` if its status is allowed."""
        now = self.clock.now()
        with self.db.write() as session:
            ticket = get_ticket(session, ticket_id)
            day = business_day(session, now, advance=True)
            if ticket.status not in allowed or ticket.day != day:
                raise Conflict("wrong_state", number=ticket.number, status=public_status(ticket, day))
            record(session, ticket, event, now, user_id)
            change(ticket, now)
            if event in ("cancelled", "requeued"):  # a requeued ticket is no longer a no-show
                report(session, f"ticket.{event}", ticket.id, ticket.day, ticket.service.code, now)
            changed = self._changed(session, ticket)
        return self.ticket(changed)

    def _at_counter(self, counter_id, allowed, event, user_id):
        now = self.clock.now()
        with self.db.write() as session:
            counter = get_counter(session, counter_id)
            day = business_day(session, now, advance=True)
            ticket = current_tickets(session, day).get(counter.id)
            if ticket is None:
                raise Conflict("counter_idle", counter=counter.name)
            if ticket.status not in allowed:
                raise Conflict("wrong_state", number=ticket.number, status=public_status(ticket, day))
            if event == "recalled":
                ticket.call_count += 1
                ticket.called_at = ticket.called_at or now
                record(session, ticket, "recalled", now, user_id)
            elif event == "started":
                ticket.status = "serving"
                ticket.started_at = now
                record(session, ticket, "started", now, user_id)
            elif event == "done":
                finish(session, ticket, now, user_id)
            elif event == "skipped":
                ticket.status = "skipped"
                ticket.finished_at = now
                record(session, ticket, "skipped", now, user_id)
                report(session, "ticket.skipped", ticket.id, ticket.day, ticket.service.code, now)
            changed = self._changed(session, ticket)
        if event == "done":
            self._finished += 1
        return self.ticket(changed)

    def is_cached(self, key, version):
        """Whether ``key`` (("ticket", id) or ("board",)) was built at this queue version."""
        hit = self._cache.get(key)
        return hit is not None and hit[0] == version

    def _cached(self, key, version, compute):
        """``compute()``'s value for ``key``, reused while the queue version stays the same."""
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit and hit[0] == version:
                self._cache.move_to_end(key)
                return hit[1]
        value = compute()
        with self._cache_lock:
            self._cache[key] = (version, value)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def _changed(self, session, ticket):
        """Finish a write: bump the version; the view is read after the commit, off the write lock."""
        bump_version(session)
        return ticket.id

    def _waiting(self, session, day, service_ids):
        return session.scalars(
            select(Ticket)
            .where(Ticket.day == day, Ticket.status == "waiting", Ticket.service_id.in_(service_ids))
            .order_by(Ticket.serial)
        ).all()

    def _priority_due(self, session, day, service_ids):
        """How many regular tickets were called since the last priority one (None: no priority yet)."""
        recent = (
            session.execute(
                select(Ticket.priority)
                .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
                .where(TicketEvent.day == day, TicketEvent.kind == "called", TicketEvent.service_id.in_(service_ids))
                .order_by(TicketEvent.id.desc())
                .limit(self.policy.priority_ratio + 1)
            )
            .scalars()
            .all()
        )
        for regulars, was_priority in enumerate(recent):
            if was_priority:
                return regulars
        return None

    def _view(self, ticket, now):
        """Everything a resident's ticket page needs (``now``: the queue's Today)."""
        status = public_status(ticket, now.day)
        position = eta = None
        if status == "waiting":
            line = self._line(ticket.service_id, now.day)
            ahead = self.db.rows(*line.ahead(ticket.priority, ticket.serial))[0][0]
            position, eta = ahead + 1, line.eta(ahead)
        elif status in AT_COUNTER:
            position, eta = 0, 0
        return present(ticket, status, position, eta, now.timezone)

    def _line(self, service_id, day):
        """The line a service's tickets stand in today: the service and every service sharing a
        counter with it (those officials call them all), with the pace of those counters.

        Cached until a ticket is finished (the pace comes from finished tickets); an estimate,
        and an upper bound: it counts everyone the counters may call first.
        """

        def compute():
            return line_for(self.db, service_id, day, self.clock.now(), self.policy.default_service_seconds)

        return self._cached(("line", service_id, day), self._finished, compute)


def ticket_from_row(row):
    """A TICKET_SQL row as an object with the attributes ``present`` reads."""
    (id_, number, priority, status, serial, service_id, counter_id, day, created_at, called_at, calls,
     service_code, service_name, counter_name) = row  # fmt: skip
    return SimpleNamespace(
        id=id_,
        number=number,
        priority=bool(priority),
        status=status,
        serial=serial,
        service_id=service_id,
        counter_id=counter_id,
        day=date.fromisoformat(day),
        created_at=from_utc_text(created_at),
        called_at=from_utc_text(called_at) if called_at else None,
        call_count=calls,
        service=SimpleNamespace(code=service_code, name=service_name),
        counter=SimpleNamespace(name=counter_name) if counter_name else None,
    )


def present(ticket, status, position, eta, tz_name):
    """A ticket as its own page and the API show it."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "priority": ticket.priority,
        "status": status,
        "position": position,
        "eta_seconds": eta,
        "counter": ticket.counter.name if ticket.counter_id and status in (*AT_COUNTER, "done") else None,
        "day": ticket.day.isoformat(),
        "created_at": ticket.created_at.astimezone(ZoneInfo(tz_name)).isoformat(),
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        "calls": ticket.call_count,
    }


def call_order(waiting, regulars_since_priority, ratio):
    """Order waiting tickets as counters will call them.

    Priority tickets go first, but after a priority call ``ratio`` regular tickets are called
    (while there are any) before the next priority one, so regular tickets never starve.
    """
    priority = [t for t in waiting if t.priority]
    regular = [t for t in waiting if not t.priority]
    order = []
    since = ratio if regulars_since_priority is None else regulars_since_priority
    while priority or regular:
        if priority and (since >= ratio or not regular):
            order.append(priority.pop(0))
            since = 0
        else:
            order.append(regular.pop(0))
            since += 1
    return order


def finish(session, ticket, now, user_id):
    """Mark a ticket done (served without ``start`` counts its service from the call)."""
    ticket.status = "done"
    ticket.started_at = ticket.started_at or ticket.called_at
    ticket.finished_at = now
    record(session, ticket, "done", now, user_id)
    report(
        session,
        "ticket.served",
        ticket.id,
        ticket.day,
        ticket.service.code,
        now,
        counter=ticket.counter.name if ticket.counter else "",
        wait_s=seconds_between(ticket.created_at, ticket.called_at),
        service_s=seconds_between(ticket.started_at, now),
    )


def report(session, kind, ticket_id, day, service_code, now, **details):
    """Tell the district (through the outbox) what happened to a ticket of ``day``."""
    data = {"ticket": outbox.ref(ticket_id), "day": day.isoformat(), "service": service_code}
    outbox.add(session, kind, {**data, **details}, now)


def seconds_between(start, end):
    """Whole seconds from ``start`` to ``end`` (None when either is missing), never below zero:
    when the clock went back between the two moments (a Pi without a battery clock after a power
    cut), the true duration is unknown, and "none" skews the district's averages less than a
    negative one."""
    return max(0, round((end - start).total_seconds())) if start and end else None


def record(session, ticket, kind, now, user_id=None, counter_id=None):
    """Append to the ticket's history."""
    row = {"id": ticket.id, "day": ticket.day, "service_id": ticket.service_id, "counter_id": ticket.counter_id}
    if counter_id is not None:
        row["counter_id"] = counter_id
    session.execute(insert(TicketEvent.__table__).values(event_row(row, kind, now, user_id)))


def event_row(ticket, kind, now, user_id=None):
    """A ticket_events row for a ticket given as a dict (id, day, service_id, counter_id)."""
    return {
        "ticket_id": ticket["id"],
        "day": ticket["day"],
        "kind": kind,
        "counter_id": ticket.get("counter_id"),
        "service_id": ticket["service_id"],
        "user_id": user_id,
        "at": now,
    }


def current_tickets(session, day):
    """The ticket each counter has called or is serving today, keyed by counter id."""
    tickets = session.scalars(
        select(Ticket).where(Ticket.day == day, Ticket.status.in_(AT_COUNTER), Ticket.counter_id.is_not(None))
    ).all()
    return {t.counter_id: t for t in tickets}


def public_status(ticket, day):
    """The status a person sees: an unfinished ticket from an earlier day has expired."""
    if ticket.status in ACTIVE and ticket.day < day:
        return "expired"
    return ticket.status


def public_summary(ticket):
    """A ticket as everyone may see it (board, counters): never its id, which is the key that
    lets its holder follow or cancel it."""
    return {
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "priority": ticket.priority,
        "status": ticket.status,
    }


def ticket_summary(ticket):
    """A ticket in officials' lists: the public summary plus its id and issue time."""
    return {"id": ticket.id, **public_summary(ticket), "created_at": ticket.created_at.isoformat()}


def requirement_list(service):
    """The service's requirements as a list of lines."""
    return [line.strip() for line in service.requirements.splitlines() if line.strip()]


def get_counter(session, counter_id):
    """The active counter with this id, or NotFound."""
    counter = session.get(Counter, counter_id)
    if counter is None or not counter.active:
        raise NotFound("unknown_counter", counter=counter_id)
    return counter


def get_ticket(session, ticket_id):
    """The ticket with this id (its service and counter loaded with it), or NotFound."""
    ticket = session.get(Ticket, ticket_id, options=[joinedload(Ticket.service), joinedload(Ticket.counter)])
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket
