"""The queue's desks: the services (layanan) residents take tickets for, with their opening hours
and daily cap, and the counters (loket) that serve them, edited as one form by the setup wizard
and by the console's services page.

Tickets refer to both, so an edit keeps every ticket valid: a service or counter that already has
tickets is never deleted (close it instead: its tickets stay where they are), while renaming,
changing a ticket letter or closing is always fine. A service's code names it in links and the
API, so it is chosen once, when the service is created, and never changes.

The form's rows are plain data (``ServiceRow``, ``CounterRow``); ``save`` judges them all and
either raises ContentInvalid with every problem (nothing changed) or applies them, audited.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import partial

from sqlalchemy import or_, select

from portal.domain import audit
from portal.domain.content import ContentInvalid
from portal.domain.village import bump_version, business_day
from portal.models import Counter, Service, Ticket, TicketEvent

MAX_ROWS = 40  # rows of each kind a form may post; a village has a handful
PREFIX = re.compile(r"[A-Z]{1,2}")
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
TIME = re.compile(r"([01]?[0-9]|2[0-4])[:.]([0-5][0-9])")  # 08:00, 8.00 (as Indonesians write it)
DAY_START, DAY_END = "00:00", "24:00"  # a service's hours without a time set: all day (see queue.is_open)
HOURS = {"opens_at": DAY_START, "closes_at": DAY_END, "daily_cap": 0}  # the columns, and their "not set"
MAX_CAP = 9999  # tickets per service and day; numbers are printed as A-001, a village serves far fewer

# What most village offices (kantor desa) serve, to start from: village data, so in Indonesian.
COMMON_SERVICES = (
    {
        "code": "kependudukan",
        "prefix": "A",
        "name": "Administrasi Kependudukan (KTP/KK/Akta)",
        "description": "Pengantar KTP-el, Kartu Keluarga, akta kelahiran dan kematian, pindah datang.",
        "requirements": "Surat pengantar RT/RW\nFotokopi Kartu Keluarga\nFotokopi KTP",
        "typical_minutes": 20,
    },
    {
        "code": "surat",
        "prefix": "B",
        "name": "Surat Keterangan & Pengantar",
        "description": "Keterangan domisili, usaha, tidak mampu (SKTM), kehilangan; pengantar SKCK.",
        "requirements": "Surat pengantar RT/RW\nFotokopi KTP\nFotokopi Kartu Keluarga",
        "typical_minutes": 15,
    },
    {
        "code": "nikah",
        "prefix": "C",
        "name": "Pengantar Nikah",
        "description": "Surat pengantar nikah (N1–N4) untuk KUA atau Catatan Sipil.",
        "requirements": "Surat pengantar RT/RW\nFotokopi KTP kedua calon\nFotokopi Kartu Keluarga\nPas foto 2x3",
        "typical_minutes": 30,
    },
    {
        "code": "bansos",
        "prefix": "D",
        "name": "Bantuan Sosial",
        "description": "Informasi dan pendaftaran bantuan sosial (PKH, BLT Dana Desa).",
        "requirements": "Fotokopi KTP\nFotokopi Kartu Keluarga",
        "typical_minutes": 15,
    },
    {
        "code": "umum",
        "prefix": "E",
        "name": "Layanan Umum & Pengaduan",
        "description": "Pertanyaan, pengaduan dan aspirasi langsung kepada perangkat desa.",
        "requirements": "",
        "typical_minutes": 10,
    },
)
COMMON_COUNTERS = (
    ("Loket 1", ("kependudukan", "surat", "nikah")),
    ("Loket 2", ("surat", "bansos", "umum")),
)
COMMON_DETAILS = {s["code"]: s for s in COMMON_SERVICES}
DETAIL_FIELDS = ("description", "requirements", "typical_minutes")


@dataclass
class ServiceRow:
    """A service as the form shows it; ``id`` is None for one the form adds."""

    id: int | None = None
    keep: bool = True
    name: str = ""
    prefix: str = ""
    code: str = ""
    active: bool = True
    opens_at: str = ""  # as typed, HH:MM; empty: from midnight
    closes_at: str = ""  # empty: until midnight (both empty: open at every hour)
    daily_cap: str = ""  # as typed; empty: no cap

    @property
    def blank(self):
        """An added row left empty: ignored."""
        return self.id is None and not (
            self.name or self.prefix or self.code or self.opens_at or self.closes_at or self.daily_cap
        )


@dataclass
class CounterRow:
    """A counter as the form shows it; ``serves`` are indexes into the form's service rows."""

    id: int | None = None
    keep: bool = True
    name: str = ""
    active: bool = True
    serves: tuple = ()

    @property
    def blank(self):
        """An added row left empty: ignored."""
        return self.id is None and not self.name


def common_rows():
    """The usual services and counters, to keep or drop (a village that has none yet)."""
    services = [ServiceRow(code=s["code"], prefix=s["prefix"], name=s["name"]) for s in COMMON_SERVICES]
    index = {s.code: i for i, s in enumerate(services)}
    counters = [CounterRow(name=name, serves=tuple(index[c] for c in codes)) for name, codes in COMMON_COUNTERS]
    return services, counters


def current_rows(session):
    """The village's services and counters as form rows; the common ones while it has none."""
    stored = session.scalars(select(Service).order_by(Service.position, Service.id)).all()
    if not stored:
        return common_rows()
    services = [
        ServiceRow(
            s.id,
            True,
            s.name,
            s.prefix,
            s.code,
            s.active,
            opens_at="" if s.opens_at == DAY_START else s.opens_at,
            closes_at="" if s.closes_at == DAY_END else s.closes_at,
            daily_cap=str(s.daily_cap or ""),
        )
        for s in stored
    ]
    index = {s.id: i for i, s in enumerate(stored)}
    counters = [
        CounterRow(c.id, True, c.name, c.active, tuple(index[s.id] for s in c.services))
        for c in session.scalars(select(Counter).order_by(Counter.position, Counter.id))
    ]
    return services, counters


def with_blanks(services, counters, extra_services=3, extra_counters=1):
    """The rows plus a few empty ones to add services and counters without JavaScript."""
    return (
        services + [ServiceRow() for _ in range(extra_services)],
        counters + [CounterRow() for _ in range(extra_counters)],
    )


def _number(raw, digits):
    """A whole number of at most ``digits`` ASCII digits from form text, else None."""
    raw = str(raw or "")
    return int(raw) if re.fullmatch(rf"[0-9]{{1,{digits}}}", raw) else None


def _count(raw):
    return min(_number(raw, 3) or 0, MAX_ROWS)


def parse_form(form):
    """The rows a form posted (anything with ``get`` and ``getlist``). Never fails: ``save``
    judges the rows, so the form can be shown again as it was typed."""
    services = [
        ServiceRow(
            id=_number(form.get(f"s{i}-id"), 18),
            keep=bool(form.get(f"s{i}-keep")),
            name=" ".join(form.get(f"s{i}-name", "").split()),
            prefix=form.get(f"s{i}-prefix", "").strip().upper(),
            code=form.get(f"s{i}-code", "").strip().lower(),
            active=bool(form.get(f"s{i}-active")),
            opens_at=form.get(f"s{i}-opens", "").strip()[:8],
            closes_at=form.get(f"s{i}-closes", "").strip()[:8],
            daily_cap=form.get(f"s{i}-cap", "").strip()[:8],
        )
        for i in range(_count(form.get("services")))
    ]
    counters = [
        CounterRow(
            id=_number(form.get(f"c{j}-id"), 18),
            keep=bool(form.get(f"c{j}-keep")),
            name=" ".join(form.get(f"c{j}-name", "").split()),
            active=bool(form.get(f"c{j}-active")),
            serves=tuple(sorted({n for v in form.getlist(f"c{j}-serves") if (n := _number(v, 3)) is not None})),
        )
        for j in range(_count(form.get("counters")))
    ]
    return services, counters


def slug(name):
    """A service code made from its name: ``Surat Keterangan & Pengantar`` → ``surat-keterangan-pengantar``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40].rstrip("-") or "layanan"


def _exists(session, query):
    return session.scalar(query.limit(1)) is not None


def service_has_tickets(session, service_id):
    """Whether a service has ever had a ticket, or a ticket passed through it (deleting it would
    orphan them)."""
    return _exists(
        session, select(Ticket.id).where(or_(Ticket.service_id == service_id, Ticket.origin_service_id == service_id))
    ) or _exists(session, select(TicketEvent.id).where(TicketEvent.service_id == service_id))


def letters_used_today(session, day):
    """{ticket letter: the services whose tickets carry it today}: a letter given to another
    service the same day would repeat a number (A-005 twice) on the board and in the calls."""
    used = {}
    for service_id, number in session.execute(
        select(Ticket.origin_service_id, Ticket.number).where(Ticket.day == day).distinct()
    ):
        used.setdefault(number.split("-", 1)[0], set()).add(service_id)
    return used


def counter_has_tickets(session, counter_id):
    """Whether a counter has ever called a ticket."""
    return _exists(session, select(Ticket.id).where(Ticket.counter_id == counter_id)) or _exists(
        session, select(TicketEvent.id).where(TicketEvent.counter_id == counter_id)
    )


class _Plan:
    """What a save will do, worked out (and judged) before anything changes."""

    def __init__(self):
        self.errors = {}
        self.kept_services = {}  # form index -> (row, code, {opening hours and cap column: value})
        self.kept_counters = {}  # form index -> row
        self.drop_services = []
        self.drop_counters = []

    def error(self, key, code, **details):
        self.errors.setdefault(key, (code, details))


def _settled(plan, key, row, stored, has_tickets, refusal, drops):
    """Settle the rows that need no field checks, and say whether ``row`` was one: added rows left
    empty or unticked (ignored), rows removed meanwhile elsewhere, and rows to remove (refused,
    ``refusal`` = (code, detail name), while tickets refer to them)."""
    if row.blank or (row.id is None and not row.keep):
        return True
    if row.id is not None and row.id not in stored:
        plan.error(f"{key}-name", "desk_gone")
        return True
    if not row.keep:
        if has_tickets(row.id):
            code, detail = refusal
            plan.error(f"{key}-keep", code, **{detail: stored[row.id].name})
        else:
            drops.append(stored[row.id])
        return True
    return False


def _check_name(plan, key, name, maximum, taken=()):
    if not name:
        plan.error(key, "field_required")
    elif len(name) > maximum:
        plan.error(key, "field_too_long", maximum=maximum)
    elif name in taken:
        plan.error(key, "field_taken")


def _judge_services(session, plan, rows, stored, today):
    """Check the service rows; the kept ones go to ``plan.kept_services`` with their
    code, opening hours and cap."""
    prefixes, codes = set(), set()
    used_today = letters_used_today(session, today)
    for i in set(stored) - {row.id for row in rows}:  # a service added meanwhile in another window stays
        prefixes.add(stored[i].prefix), codes.add(stored[i].code)
    has_tickets = partial(service_has_tickets, session)
    for i, row in enumerate(rows):
        refusal = ("service_has_tickets", "service")
        if _settled(plan, f"s{i}", row, stored, has_tickets, refusal, plan.drop_services):
            continue
        code = stored[row.id].code if row.id is not None else (row.code or slug(row.name))
        _check_name(plan, f"s{i}-name", row.name, 120)
        if not PREFIX.fullmatch(row.prefix):
            plan.error(f"s{i}-prefix", "bad_service_prefix")
        elif row.prefix in prefixes:
            plan.error(f"s{i}-prefix", "field_taken")
        elif used_today.get(row.prefix, {row.id}) - {row.id}:
            plan.error(f"s{i}-prefix", "prefix_used_today", prefix=row.prefix)
        if not CODE.fullmatch(code):
            plan.error(f"s{i}-code", "bad_service_code")
        elif code in codes:
            plan.error(f"s{i}-code", "field_taken")
        prefixes.add(row.prefix), codes.add(code)
        plan.kept_services[i] = (row, code, _judge_hours(plan, f"s{i}", row))
    if not plan.kept_services:
        plan.error("services", "no_services")


def _time(raw, closing):
    """``HH:MM`` from form text (``8:00``, ``08.00``), or None when it is not a time of day;
    ``24:00`` (midnight, at the end of the day) only as a closing time."""
    match = TIME.fullmatch(raw)
    if match is None or (match[1] == "24" and (match[2] != "00" or not closing)):
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def _judge_hours(plan, key, row):
    """A service row's opening hours and daily cap as stored values (empty: all day, no cap);
    problems go to ``plan``, keyed ``s1-opens``, ``s1-closes``, ``s1-cap``."""
    opens = _time(row.opens_at, closing=False) if row.opens_at else DAY_START
    closes = _time(row.closes_at, closing=True) if row.closes_at else DAY_END
    closes = DAY_END if closes == DAY_START else closes  # closing at 00:00 is at midnight, the day's end
    if opens is None:
        plan.error(f"{key}-opens", "bad_service_time")
    if closes is None:
        plan.error(f"{key}-closes", "bad_service_time")
    elif opens is not None and closes <= opens:
        plan.error(f"{key}-closes", "closes_before_opening", opens_at=opens)
    cap = _number(row.daily_cap, 6) if row.daily_cap else 0
    if cap is None or (row.daily_cap and not 1 <= cap <= MAX_CAP):
        plan.error(f"{key}-cap", "bad_daily_cap", maximum=MAX_CAP)
    return {"opens_at": opens, "closes_at": closes, "daily_cap": cap}


def _judge_counters(session, plan, rows, stored):
    """Check the counter rows (after the services: a counter serves kept services only)."""
    names = {stored[i].name for i in set(stored) - {row.id for row in rows}}
    has_tickets = partial(counter_has_tickets, session)
    for j, row in enumerate(rows):
        refusal = ("counter_has_tickets", "counter")
        if _settled(plan, f"c{j}", row, stored, has_tickets, refusal, plan.drop_counters):
            continue
        _check_name(plan, f"c{j}-name", row.name, 60, names)
        names.add(row.name)
        if not any(i in plan.kept_services for i in row.serves):
            plan.error(f"c{j}-serves", "counter_needs_service", counter=row.name or "?")
        plan.kept_counters[j] = row
    if not plan.kept_counters:
        plan.error("counters", "no_counters")


def save(session, services, counters, actor, now):
    """Apply the form's rows (see ``parse_form``) in the caller's write transaction.

    Raises ContentInvalid, keyed by the form's field names (``s2-prefix``, ``c0-serves``,
    ``s0-cap``, ``services``…), with every problem at once; then nothing is changed. Returns the number of
    services and counters created, changed or removed (each one audited)."""
    stored_services = {s.id: s for s in session.scalars(select(Service))}
    stored_counters = {c.id: c for c in session.scalars(select(Counter))}
    plan = _Plan()
    _judge_services(session, plan, services, stored_services, business_day(session, now))
    _judge_counters(session, plan, counters, stored_counters)
    if plan.errors:
        raise ContentInvalid(plan.errors)
    changes = _apply_deletions(session, plan, actor, now)
    by_index, changed = _apply_services(session, plan, stored_services, actor, now)
    changes += changed
    changes += _apply_counters(session, plan, stored_counters, by_index, actor, now)
    if changes:
        bump_version(session)
    return changes


def _apply_deletions(session, plan, actor, now):
    """Remove the dropped counters and services (none has tickets); returns how many."""
    for row in plan.drop_counters:
        audit.record(session, actor, "counter.delete", f"counter:{row.id}", {"name": row.name}, now)
        session.delete(row)
    for row in plan.drop_services:
        audit.record(session, actor, "service.delete", f"service:{row.id}", {"name": row.name, "code": row.code}, now)
        session.delete(row)
    session.flush()  # their letters and names are free for the rows below
    return len(plan.drop_counters) + len(plan.drop_services)


def _unique_in_two_steps(session, rows_values, column):
    """Give stored rows new values of a unique ``column`` even when two swap them (A↔B): first a
    placeholder each, then the real values, since SQLite checks uniqueness on every statement."""
    moving = [(row, value) for row, value in rows_values if getattr(row, column) != value]
    for row, _ in moving:
        setattr(row, column, f"~{row.id}")
    session.flush()
    for row, value in moving:
        setattr(row, column, value)


def _apply_services(session, plan, stored, actor, now):
    """Update, then create, the kept services; returns ({form index: Service}, how many changed)."""
    fields = ("name", "prefix", "active", *HOURS)
    by_index, changed = {}, 0
    kept = plan.kept_services.items()
    existing = [(i, row, hours, stored[row.id]) for i, (row, _, hours) in kept if row.id is not None]
    before = {s.id: audit.snapshot(s, fields) for *_, s in existing}
    _unique_in_two_steps(session, [(s, row.prefix) for _, row, _, s in existing], "prefix")
    for i, row, hours, service in existing:
        service.name, service.active = row.name, row.active
        for name, value in hours.items():
            setattr(service, name, value)
        changes = audit.diff(before[service.id], audit.snapshot(service, fields))
        if changes:
            audit.record(session, actor, "service.update", f"service:{service.id}", changes, now)
            changed += 1
        by_index[i] = service
    for i, (row, code, hours) in plan.kept_services.items():
        if row.id is None:
            details = {f: COMMON_DETAILS[code][f] for f in DETAIL_FIELDS} if code in COMMON_DETAILS else {}
            service = Service(code=code, prefix=row.prefix, name=row.name, active=row.active, **hours, **details)
            session.add(service)
            session.flush()
            values = {"code": code, "prefix": row.prefix, "name": row.name, "active": row.active}
            values |= {name: value for name, value in hours.items() if value != HOURS[name]}  # only what is set
            audit.record(session, actor, "service.create", f"service:{service.id}", values, now)
            by_index[i] = service
            changed += 1
    for position, i in enumerate(sorted(by_index)):  # the form's order is the residents' order
        by_index[i].position = position
    return by_index, changed


def _apply_counters(session, plan, stored, by_index, actor, now):
    """Update or create the kept counters with the services they serve; returns how many changed."""
    changed = 0
    existing = [(row, stored[row.id]) for row in plan.kept_counters.values() if row.id is not None]
    before = {c.id: {**audit.snapshot(c, ("name", "active")), "services": _codes(c)} for _, c in existing}
    _unique_in_two_steps(session, [(c, row.name) for row, c in existing], "name")
    for position, row in enumerate(row for _, row in sorted(plan.kept_counters.items())):
        counter = stored[row.id] if row.id is not None else Counter(name=row.name)
        counter.active, counter.position = row.active, position
        counter.services = [by_index[i] for i in row.serves if i in by_index]
        session.add(counter)
        session.flush()
        after = {"name": counter.name, "active": counter.active, "services": _codes(counter)}
        if row.id is None:
            audit.record(session, actor, "counter.create", f"counter:{counter.id}", after, now)
            changed += 1
        elif changes := audit.diff(before[counter.id], after):
            audit.record(session, actor, "counter.update", f"counter:{counter.id}", changes, now)
            changed += 1
    return changed


def _codes(counter):
    return sorted(s.code for s in counter.services)
