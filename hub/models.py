"""The hub's tables (SQLAlchemy 2), the same on SQLite and PostgreSQL.

Times are stored as sortable UTC text like the village's (``portal.models.UTCDateTime``), so both
databases and both ends of the wire read them alike. ``events`` keeps every event as the village
sent it, once per id; the other tables are figures kept up to date as events arrive, so the
dashboard never scans the events.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from portal.models import ISODate, UTCDateTime


class Base(DeclarativeBase):
    pass


class Village(Base):
    """A village that may sync: its code, its key, and what it last said about itself."""

    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # Kemendagri code, 10 digits
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(64))  # shared with the village: HMAC needs it in clear
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    clock_offset_s: Mapped[int | None] = mapped_column(Integer, nullable=True)  # our clock minus theirs
    health: Mapped[str] = mapped_column(Text, default="{}")  # JSON, as last reported
    health_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Event(Base):
    """One event from a village, kept once per (village, id) whatever retries bring."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("village_id", "event_id", name="uq_events_village_event"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # the village's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # ours
    data: Mapped[str] = mapped_column(Text)  # JSON


class Day(Base):
    """A village's queue figures for one of its business days, summed from ticket events."""

    __tablename__ = "days"
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(ISODate, primary_key=True)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    served: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    wait_total_s: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_count: Mapped[int] = mapped_column(Integer, default=0)
    service_total_s: Mapped[int] = mapped_column(BigInteger, default=0)
    service_count: Mapped[int] = mapped_column(Integer, default=0)


class DailyReport(Base):
    """A village's own figures for a finished day (per service and counter), as it computed them."""

    __tablename__ = "daily_reports"
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(ISODate, primary_key=True)
    data: Mapped[str] = mapped_column(Text)  # JSON
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Complaint(Base):
    """A complaint's category and latest status (and its text, when the resident forwarded it)."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_village_status", "village_id", "status"),)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), primary_key=True)  # one-way name, not the tracking code
    category: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(12), default="received")
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Printer(Base):
    """A kiosk printer's latest reported state in a village."""

    __tablename__ = "printers"
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    kiosk: Mapped[str] = mapped_column(String(60), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PollResult(Base):
    """A closed poll's outcome in a village (counts only)."""

    __tablename__ = "poll_results"
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    poll: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)  # JSON
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Letter(Base):
    """A letter a village issued, as its QR code's page on the hub shows it: number, date, type and
    the masked name (never the NIK or the answers), and the day it was voided, if it was."""

    __tablename__ = "letters"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # the QR's verification code
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(120))
    type_name: Mapped[str] = mapped_column(String(160))
    issued_on: Mapped[date] = mapped_column(ISODate)
    masked_name: Mapped[str] = mapped_column(String(160), default="")
    voided_on: Mapped[date | None] = mapped_column(ISODate, nullable=True)


class Notice(Base):
    """An announcement (shown to residents) or a message (to the officials) from the district.

    ``seq`` comes from the hub-wide ``notice`` counter and is renewed when the notice is withdrawn,
    so a village pulling "after its cursor" sees both the notice and its withdrawal.
    """

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # announcement, message
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(60), default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    villages: Mapped[list[Village]] = relationship(secondary="notice_targets", order_by=Village.name)


class NoticeTarget(Base):
    """A village a notice is for."""

    __tablename__ = "notice_targets"
    __table_args__ = (Index("ix_notice_targets_village", "village_id", "notice_id"),)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)


class Counter(Base):
    """A named hub-wide counter (``notice``): incremented under a row lock, so numbers come in
    commit order on PostgreSQL as on SQLite."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    """A district official on the dashboard: ``admin`` (every village, and sending to all) or
    ``staff`` (the villages assigned to them)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    session_key: Mapped[str] = mapped_column(String(32))  # renewed with the password: ends sessions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    villages: Mapped[list[Village]] = relationship(secondary="user_villages", order_by=Village.name)


class UserVillage(Base):
    """A village a staff member looks after."""

    __tablename__ = "user_villages"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
