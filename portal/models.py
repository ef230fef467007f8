"""Database tables, as SQLAlchemy 2 models.

Plain data: the rules live in ``portal/domain``. Changing a table means a new Alembic revision in
``portal/migrations/versions`` (a test compares the two).
"""

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_text(moment):
    """How an aware datetime is stored: sortable UTC text, e.g. ``2026-11-23T08:00:00.000000Z``."""
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


def from_utc_text(text):
    """An aware datetime back from ``utc_text``."""
    if len(text) == 27 and text[10] == "T" and text[-1] == "Z":
        # fromisoformat is 50 times faster than strptime, and the hub reads thousands a second.
        moment = datetime.fromisoformat(text[:-1])
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as sortable UTC text (``2026-11-23T08:00:00.000000Z``)."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use the clock")
        return utc_text(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return from_utc_text(value)


class ISODate(TypeDecorator):
    """A calendar date stored as ``YYYY-MM-DD``."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.isoformat()

    def process_result_value(self, value, dialect):
        return None if value is None else date.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class Village(Base):
    """The village's identity: one row, set by the demo or the setup wizard."""

    __tablename__ = "village"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(20), default="")  # Kemendagri code
    kecamatan: Mapped[str] = mapped_column(String(120), default="")
    kabupaten: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    profile: Mapped[str] = mapped_column(Text, default="")  # a short text about the village
    photo: Mapped[str] = mapped_column(String(80), default="")  # a stored photo's name (portal.media)
    wifi_name: Mapped[str] = mapped_column(String(32), default="")  # the hotspot's name, shown to residents
    # Letters (portal.domain.letter_register): the village's part of a letter number ("DS-SKM"),
    # the number's format, the paper size and how long residents' details are kept.
    letter_code: Mapped[str] = mapped_column(String(30), default="", server_default="")
    letter_number_format: Mapped[str] = mapped_column(
        String(120),
        default="{kode}/{nomor}/{desa}/{bulan}/{tahun}",
        server_default="{kode}/{nomor}/{desa}/{bulan}/{tahun}",
    )
    letter_paper: Mapped[str] = mapped_column(String(4), default="A4", server_default="A4")  # A4 or F4
    letter_retention_days: Mapped[int] = mapped_column(Integer, default=365, server_default="365")


class QueueState(Base):
    """One row: the business day (never goes backwards) and a version bumped on every queue write."""

    __tablename__ = "queue_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_day: Mapped[date] = mapped_column(ISODate)
    version: Mapped[int] = mapped_column(Integer, default=0)


counter_services = Table(
    "counter_services",
    Base.metadata,
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Service(Base):
    """A service (layanan) residents queue for."""

    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    prefix: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    requirements: Mapped[str] = mapped_column(Text, default="")  # one per line
    opens_at: Mapped[str] = mapped_column(String(5), default="00:00")  # local HH:MM
    closes_at: Mapped[str] = mapped_column(String(5), default="24:00")
    days: Mapped[str] = mapped_column(String(7), default="1234567")  # ISO weekdays it is open
    daily_cap: Mapped[int] = mapped_column(Integer, default=0)  # 0: no cap
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    fee: Mapped[str] = mapped_column(String(120), default="")  # "" means free of charge
    typical_minutes: Mapped[int] = mapped_column(Integer, default=0)  # 0: not stated
    counters: Mapped[list["Counter"]] = relationship(
        secondary=counter_services, back_populates="services", order_by="Counter.position"
    )


class Counter(Base):
    """A counter (loket) where officials serve one or more services."""

    __tablename__ = "counters"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    services: Mapped[list[Service]] = relationship(
        secondary=counter_services, back_populates="counters", order_by=Service.position
    )


class Ticket(Base):
    """A queue ticket. ``id`` is an unguessable token: it is the key in the shared status URL."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("origin_service_id", "day", "seq", name="uq_ticket_number"),
        Index("ix_tickets_day_status", "day", "status"),
        # Who waits in a service today, in order (positions, call-next).
        Index("ix_tickets_queue", "service_id", "day", "status", "serial"),
        # The service's recent finished tickets (ETA history).
        Index("ix_tickets_history", "service_id", "status", "finished_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(ISODate)
    origin_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # Issue order across all services: the queue's order (a clock jump cannot reorder it).
    serial: Mapped[int] = mapped_column(Integer, unique=True)
    number: Mapped[str] = mapped_column(String(12))  # "A-001"
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(12), default="web")  # web, hotspot, kiosk, official
    client: Mapped[str] = mapped_column(String(64), default="")  # address, for the hotspot limit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    counter: Mapped[Counter | None] = relationship()


class TicketEvent(Base):
    """What happened to a ticket, when, where and by whom: the board's calls and the statistics."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_day_kind", "day", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    day: Mapped[date] = mapped_column(ISODate)
    kind: Mapped[str] = mapped_column(String(12))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), nullable=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket: Mapped[Ticket] = relationship()
    counter: Mapped[Counter | None] = relationship()


class Announcement(Base):
    """A public announcement (pengumuman) shown on phones, the kiosk and the display board."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set for announcements the district sent through the hub: its notice id. Shown as "from the
    # district", replaced or withdrawn only by the hub.
    district_id: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)


class Event(Base):
    """An agenda item (kegiatan): what happens, when and where."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Document(Base):
    """A public document (Perdes, APBDes, RPJMDes, ...) with its PDF."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # see portal.domain.content.DOCUMENT_KINDS
    year: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(String(80))  # a stored PDF's name (portal.media)
    size: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Contact(Base):
    """An emergency or service number shown on the home page (ambulance, police, the village head)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class LetterType(Base):
    """A letter (surat) the office issues: what it needs and what a request asks for. The one model
    of letter types: the service catalogue shows it and letter requests build on it.

    ``fields`` is JSON: ``[{"name", "label", "kind", "required"}]`` (see portal.domain.letters).
    """

    __tablename__ = "letter_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    requirements: Mapped[str] = mapped_column(Text, default="")  # one per line
    fields: Mapped[str] = mapped_column(Text, default="[]")
    fee: Mapped[str] = mapped_column(String(120), default="")  # "" means free of charge
    typical_minutes: Mapped[int] = mapped_column(Integer, default=0)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The letter's text with {placeholders} (portal.domain.letter_templates), and its archive
    # classification code, the first part of its number (470: population affairs).
    template: Mapped[str] = mapped_column(Text, default="", server_default="")
    number_code: Mapped[str] = mapped_column(String(20), default="470", server_default="470")
    service: Mapped[Service | None] = relationship()


class LetterRequest(Base):
    """A resident's request for a letter (permohonan surat), followed by its tracking code.

    ``answers`` holds the resident's personal details (JSON, keyed by the letter type's field
    names); it is emptied after the village's retention period (``purged_at``), and never synced.
    """

    __tablename__ = "letter_requests"
    __table_args__ = (
        Index("ix_letter_requests_status", "status", "created_at"),
        Index("ix_letter_requests_client_created", "client", "created_at"),
        Index("ix_letter_requests_purge", "purged_at", "updated_at"),  # the worker's retention query
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the unguessable tracking code
    letter_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_types.id", ondelete="SET NULL"), nullable=True
    )
    type_name: Mapped[str] = mapped_column(String(160))  # as it was asked for: the type may change later
    answers: Mapped[str] = mapped_column(Text, default="{}")
    masked_name: Mapped[str] = mapped_column(String(160), default="")
    bring_papers: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="received")
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was rejected, shown to the resident
    source: Mapped[str] = mapped_column(String(12), default="web")  # web, hotspot, kiosk, official
    client: Mapped[str] = mapped_column(String(64), default="")  # address, for the rate limit
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    letter_type: Mapped[LetterType | None] = relationship()


class IssuedLetter(Base):
    """One entry of the register of outgoing letters (buku agenda surat keluar): numbered per year
    without gaps, never renumbered or deleted; a voided letter stays, marked void.

    ``body`` (the letter's text as issued, for reprints) holds personal data and is emptied with its
    request's answers; the number, date, type and masked name stay.
    """

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_letter_year_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120), unique=True)
    verify_code: Mapped[str] = mapped_column(String(16), unique=True)  # the QR's key
    request_id: Mapped[int] = mapped_column(ForeignKey("letter_requests.id"), index=True)
    type_code: Mapped[str] = mapped_column(String(40))
    type_name: Mapped[str] = mapped_column(String(160))
    masked_name: Mapped[str] = mapped_column(String(160), default="")
    issued_on: Mapped[date] = mapped_column(ISODate)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(60), default="")  # the official's username
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_role: Mapped[str] = mapped_column(String(120))
    paper: Mapped[str] = mapped_column(String(4), default="A4")
    body: Mapped[str] = mapped_column(Text, default="[]")  # JSON blocks, see letter_templates.compose
    prints: Mapped[int] = mapped_column(Integer, default=0)  # PDFs made (the first print and reprints)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    voided_by: Mapped[str] = mapped_column(String(60), default="")
    request: Mapped[LetterRequest] = relationship()


class BudgetYear(Base):
    """One year's APBDes: published or still a draft, and the date its realisation figures are from."""

    __tablename__ = "budget_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    realised_on: Mapped[date | None] = mapped_column(ISODate, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class BudgetLine(Base):
    """A line of the APBDes: income by source or spending by bidang, budget and realisation in rupiah."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("year", "kind", "category", "name", name="uq_budget_line"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("budget_years.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # income, spending, financing
    category: Mapped[str] = mapped_column(String(120))  # the source of income or the bidang
    name: Mapped[str] = mapped_column(String(200))
    budget: Mapped[int] = mapped_column(Integer, default=0)
    realised: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Officer(Base):
    """A member of the village government (perangkat desa) in the public directory."""

    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120))  # jabatan: Kepala Desa, Sekretaris Desa, ...
    phone: Mapped[str] = mapped_column(String(40), default="")
    photo: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Business(Base):
    """A local business (UMKM) and its products, with a WhatsApp link for buyers."""

    __tablename__ = "businesses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    owner: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    products: Mapped[str] = mapped_column(Text, default="")  # one per line
    whatsapp: Mapped[str] = mapped_column(String(20), default="")  # international digits: 62812...
    address: Mapped[str] = mapped_column(String(200), default="")
    photo: Mapped[str] = mapped_column(String(80), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(Base):
    """A complaint or aspiration (pengaduan) from a resident, followed by its tracking code."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_client_created", "client", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the unguessable tracking code
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    photo: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(12), default="received")
    client: Mapped[str] = mapped_column(String(64), default="")  # address, for the rate limit
    # The complaint's name for the district: random, so it cannot be turned back into the code.
    ref: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The resident asked for the text (never the name or contact) to go to the district as well.
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee: Mapped["User | None"] = relationship()


class ComplaintUpdate(Base):
    """What officials did with a complaint: a status change, a reply (public or internal) or both.

    Append-only: a published reply is never edited; a correction is a new update that names the one
    it corrects.
    """

    __tablename__ = "complaint_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="")  # the new status, "" if unchanged
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_updates.id"), nullable=True)
    user: Mapped["User | None"] = relationship()


class Poll(Base):
    """A question or a list of proposals (usulan) residents vote on: advisory (one vote per phone
    session on the hotspot) or binding (single-use voting codes handed out by the office)."""

    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="question")  # question, proposals
    binding: Mapped[bool] = mapped_column(Boolean, default=False)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(8), default="draft")  # draft, open, closed
    results_public: Mapped[bool] = mapped_column(Boolean, default=False)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Its results went into the outbox for the district since it last closed (reopening clears it).
    reported: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    options: Mapped[list["PollOption"]] = relationship(order_by="PollOption.position", cascade="all, delete-orphan")


class PollOption(Base):
    """An answer to a question, or one proposal."""

    __tablename__ = "poll_options"
    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Ballot(Base):
    """One voter's ballot in a poll; ``voter`` (a phone session or a voting code) is unique per poll,
    so the database itself refuses a second vote."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "voter", name="uq_ballot_voter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


ballot_choices = Table(
    "ballot_choices",
    Base.metadata,
    Column("ballot_id", ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True),
    Column("option_id", ForeignKey("poll_options.id", ondelete="CASCADE"), primary_key=True),
)


class VotingCode(Base):
    """A single-use code for a binding poll; only its SHA-256 is stored."""

    __tablename__ = "voting_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what, when and from where: written in the same transaction as the change."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str] = mapped_column(String(60), default="")  # kept when the user is deleted
    address: Mapped[str] = mapped_column(String(45), default="")
    action: Mapped[str] = mapped_column(String(40))  # e.g. announcement.update
    target: Mapped[str] = mapped_column(String(80), default="")  # e.g. announcement:12
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the fields that changed


class User(Base):
    """An official with a role: admin, operator or editor."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    # Changes with the password, so a password change ends every open session.
    session_key: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Sign-in failures in a row, and the lockout they earned (portal.domain.users.authenticate).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiToken(Base):
    """A bearer token that acts as its user; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class Kiosk(Base):
    """A registered kiosk in the hall: its agent's token, its paired browser and its printer's
    last reported state. Only SHA-256 hashes of the secrets are stored."""

    __tablename__ = "kiosks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the agent's bearer token
    browser_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # device cookie
    pairing_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # one-time link
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The agent's last heartbeat and what it said about the printer.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    agent_id: Mapped[str] = mapped_column(String(40), default="")
    printer_state: Mapped[str] = mapped_column(String(12), default="unknown")
    printer_detail: Mapped[str] = mapped_column(String(200), default="")


class PrintJob(Base):
    """A receipt to print on a kiosk's printer: queued → claimed → printed (or uncertain when an
    agent lost track mid-write, or dropped when its ticket ended before it printed)."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_kiosk_status", "kiosk_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    reason: Mapped[str] = mapped_column(String(12), default="issued")  # issued, reprint
    lang: Mapped[str] = mapped_column(String(8), default="id")  # the kiosk's language when it was taken
    status: Mapped[str] = mapped_column(String(12), default="queued")
    agent_id: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    kiosk: Mapped[Kiosk] = relationship()
    ticket: Mapped[Ticket] = relationship()


class HotspotSession(Base):
    """A phone on the hotspot that accepted the terms: let through until ``expires_at`` unless it
    logs out or an official revokes it. Keyed by address *and* MAC, so an address handed to another
    device is never let through on someone else's acceptance."""

    __tablename__ = "hotspot_sessions"
    __table_args__ = (Index("ix_hotspot_sessions_ip_active", "ip", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    mac: Mapped[str] = mapped_column(String(17), default="")  # "" only without a firewall (development)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(12), default="")  # logout, revoked, replaced


class Uplink(Base):
    """The internet link as the worker last found it (one row): up, down or unknown."""

    __tablename__ = "uplink"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="unknown")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")


class OutboxEvent(Base):
    """Something the district should hear about, written in the same transaction as the change it
    describes and pushed to the hub in ``seq`` order. ``id`` is the event's stable name: a retried
    push sends the same ids, and the hub keeps each id once."""

    __tablename__ = "outbox"
    # AUTOINCREMENT: a seq is never reused after acknowledged rows are purged, so a new event can
    # never land behind the pushed cursor.
    __table_args__ = ({"sqlite_autoincrement": True},)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)  # JSON


class SyncState(Base):
    """Where the sync with the hub stands (one row): the cursors, the last contact and the backoff."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0)  # the hub acknowledged up to here
    notice_cursor: Mapped[int] = mapped_column(Integer, default=0)  # the hub's notices applied so far
    stats_through: Mapped[date | None] = mapped_column(ISODate, nullable=True)  # daily figures queued
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(40), default="")  # a code from portal.messages
    last_error_detail: Mapped[str] = mapped_column(String(200), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, for the backoff
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    clock_offset_s: Mapped[int | None] = mapped_column(Integer, nullable=True)  # hub's clock minus ours


class DistrictMessage(Base):
    """A message the district sent to the village's officials (not shown to residents)."""

    __tablename__ = "district_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
