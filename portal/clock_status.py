"""Whether the appliance's clock can be trusted, and setting it by hand from the console.

Most Pis have no battery clock: after a power cut fake-hwclock brings the time back to when it
was last saved, and without internet chrony cannot correct it. The console says so on every
page while the clock is not trusted:

- systemd's time service says the clock is not synchronised (``timedatectl``, see
  ``portal.health``) and no admin has set it by hand since the Pi started, or
- the clock is earlier than the latest thing Balai recorded (audit entries, ticket events,
  district reports, the queue's business day): a clock that went back is wrong whatever NTP says.

Setting it goes through a root helper (``deploy/raspberrypi/bin/balai-set-time``, started by
``balai-set-time.path``): the portal, which never runs as root, only writes the wanted time to
the request file (``BALAI_CLOCK_REQUEST``). The helper removes the file and writes nothing back,
so the outcome is read from the clock itself.

No Flask here: the console's blueprint (``portal.web.clock_admin``) shows what this decides.
"""

import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from portal import health
from portal.domain import audit
from portal.domain.errors import DomainError
from portal.domain.village import STATE_SQL
from portal.models import from_utc_text

# The times balai-set-time accepts (its ``earliest`` and ``latest``; a test compares them).
EARLIEST = datetime(2025, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Records a little later than the clock are not a wrong clock (two processes, rounding).
TOLERANCE = timedelta(minutes=2)
# Ticket events and district reports have no index on their time: their newest rows by id are
# read instead. The business day covers what falls out of that window, to the day.
RECENT_ROWS = 1000
CHECK_EVERY = timedelta(seconds=60)  # console pages reuse a check this long
WAIT_FOR_HELPER_S = 60  # after this, a request still lying there was not taken
FORGET_REQUEST_S = 600  # the clock page reports on a request this long
ACTION = "clock.set"
BOOT_ID = "/proc/sys/kernel/random/boot_id"
MAX_OFFSET_DIGITS = 12  # ample for any difference between EARLIEST and LATEST, in seconds (ASCII digits)
TYPED_FORMS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")  # what browsers send from datetime-local

LATEST_SQL = """
SELECT max(at) FROM (
  SELECT max(at) AS at FROM audit_log
  UNION ALL SELECT max(at) FROM (SELECT at FROM ticket_events ORDER BY id DESC LIMIT :rows)
  UNION ALL SELECT max(at) FROM (SELECT at FROM outbox ORDER BY seq DESC LIMIT :rows)
)
"""
# The newest hand setting (the audit log is small: officials' writes only).
LAST_SET_SQL = "SELECT detail FROM audit_log WHERE action = :action ORDER BY id DESC LIMIT 1"
LAST_SET_ID_SQL = "SELECT max(id) FROM audit_log WHERE action = :action"


@dataclass(frozen=True)
class Status:
    """What the console knows about the clock at ``now``."""

    now: datetime
    synchronised: bool | None  # systemd's word; None where there is no timedatectl
    latest: datetime | None  # the latest recorded event
    set_by_hand: bool  # an admin set it since the Pi started, and the helper took the request

    @property
    def behind(self):
        """Whether the clock is earlier than what Balai already recorded."""
        return self.latest is not None and self.latest - self.now > TOLERANCE

    @property
    def problem(self):
        """Why the clock is not trusted ("behind", "unsynchronised"), or None when it is."""
        if self.behind:
            return "behind"
        if self.synchronised is False and not self.set_by_hand:
            return "unsynchronised"
        return None


def boot_id():
    """This boot's random id from the kernel (None off Linux): a hand setting counts until the
    next start, when fake-hwclock brings an old time back."""
    try:
        return Path(BOOT_ID).read_text().strip() or None
    except OSError:
        return None


def day_start(day_text, tz_name):
    """The first moment of a stored business day in the village (None for the placeholder day a
    new database starts with)."""
    day = date.fromisoformat(day_text)
    if day < EARLIEST.date():
        return None
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def latest_event(session):
    """The latest moment Balai recorded (None in an empty database)."""
    stored = session.execute(text(LATEST_SQL), {"rows": RECENT_ROWS}).scalar()
    day, _version, tz_name = session.execute(text(STATE_SQL)).one()
    moments = [m for m in (stored and from_utc_text(stored), day_start(day, tz_name)) if m]
    return max(moments, default=None)


def last_change(session):
    """The id of the newest hand setting's audit entry (0 when there was none): a confirmation
    carries it, so sending the same confirmation twice cannot move the clock twice."""
    return session.execute(text(LAST_SET_ID_SQL), {"action": ACTION}).scalar() or 0


def last_hand_setting(session):
    """The details of the newest hand setting's audit entry ({} when there was none)."""
    detail = session.execute(text(LAST_SET_SQL), {"action": ACTION}).scalar()
    return json.loads(detail) if detail else {}


def check(session, now, synchronised, boot, request_path):
    """The Status at ``now``, given systemd's answer and this boot's id."""
    hand = last_hand_setting(session)
    taken = not Path(request_path).exists()
    return Status(
        now=now,
        synchronised=synchronised,
        latest=latest_event(session),
        set_by_hand=boot is not None and hand.get("boot") == boot and taken,
    )


def plausible(moment, tz_name):
    """``moment`` when balai-set-time would accept it, else DomainError ``clock_implausible``."""
    if not EARLIEST <= moment < LATEST:
        local = moment.astimezone(ZoneInfo(tz_name)).strftime("%d-%m-%Y %H:%M")
        raise DomainError("clock_implausible", time=local)
    return moment


def wanted_time(tz_name, device_ms="", typed=""):
    """The time an admin asks for: their device's clock (``device_ms``, milliseconds since 1970,
    put in by the page's script) or, without the script, a date and time ``typed`` in the
    village's time zone (``YYYY-MM-DDTHH:MM[:SS]``, a datetime-local field)."""
    device_ms, typed = device_ms.strip(), typed.strip()
    try:
        if device_ms:
            if not re.fullmatch(f"[0-9]{{1,{MAX_OFFSET_DIGITS + 3}}}", device_ms):
                raise ValueError(device_ms)
            moment = datetime.fromtimestamp(int(device_ms) / 1000, UTC)
        else:
            moment = typed_time(typed).replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        raise DomainError("clock_no_time") from None
    return plausible(moment, tz_name)


def typed_time(typed):
    """A datetime-local field's value as a naive datetime (ValueError when it is not one)."""
    for form in TYPED_FORMS:
        try:
            return datetime.strptime(typed, form)
        except ValueError:
            continue
    raise ValueError(typed)


def shifted(now, offset_text, tz_name):
    """``now`` moved by the whole seconds of a confirmation form's ``offset`` (checked)."""
    offset_text = offset_text.strip()
    if not re.fullmatch(f"-?[0-9]{{1,{MAX_OFFSET_DIGITS}}}", offset_text):
        raise DomainError("clock_no_time")
    try:
        return plausible(now + timedelta(seconds=int(offset_text)), tz_name)
    except OverflowError:
        raise DomainError("clock_no_time") from None


def write_request(path, moment):
    """Ask balai-set-time for ``moment``: one line of whole UTC seconds since 1970, written to a
    temporary file beside ``path`` and renamed, so the helper never reads half a line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".request-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{int(moment.timestamp())}\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ClockStatus:
    """The console's view of the clock: a Status checked at most once a minute (console pages stay
    fast), and the last request to set it (what became of it)."""

    def __init__(self, db, clock, request_path):
        self.db = db
        self.clock = clock
        self.request_path = Path(request_path)
        self._lock = threading.Lock()
        self._checked = None
        self._request = None  # (wanted time, time.monotonic() when asked)

    def current(self):
        """The Status, checked again when the last check is a minute old, or in the future (the
        clock went back since)."""
        now = self.clock.now()
        with self._lock:
            checked = self._checked
        if checked is not None and timedelta(0) <= now - checked.now < CHECK_EVERY:
            return checked
        return self.fresh()

    def fresh(self):
        """Check now: systemd first (a command that may take a moment), then the database."""
        synchronised = health.clock_synchronised()
        now = self.clock.now()
        with self.db.read() as session:
            status = check(session, now, synchronised, boot_id(), self.request_path)
        with self._lock:
            self._checked = status
        return status

    def request(self, session, actor, wanted):
        """Ask for ``wanted`` and record who asked (in ``session``'s write transaction: the entry
        is kept only when the request file was written)."""
        now = self.clock.now()
        audit.record(
            session,
            actor,
            ACTION,
            "clock",
            {"time": [now.isoformat(), wanted.isoformat()], "boot": boot_id()},
            now,
        )
        write_request(self.request_path, wanted)
        with self._lock:
            self._request = (wanted, time.monotonic())
            self._checked = None

    def outcome(self):
        """What became of the last request: None (none lately), "waiting" (the file is still
        there), "stuck" (still there after a minute: the helper is not running), "done" (the clock
        now reads the asked time, plus the time since) or "refused" (the helper took the request
        but the clock did not follow: its log says why)."""
        with self._lock:
            request = self._request
        if request is None:
            return None
        wanted, asked = request
        elapsed = time.monotonic() - asked
        if elapsed > FORGET_REQUEST_S:
            return None
        if self.request_path.exists():
            return "waiting" if elapsed < WAIT_FOR_HELPER_S else "stuck"
        expected = wanted + timedelta(seconds=elapsed)
        return "done" if abs(self.clock.now() - expected) <= TOLERANCE else "refused"
