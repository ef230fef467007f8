"""The captive portal's sessions: which phones on the hotspot accepted the terms, until when, and
whether the internet works.

A phone is named by its address *and* its MAC: the address alone could be handed to another
device by DHCP, which must never ride on someone else's acceptance. The database is the record;
the firewall (``portal.firewall``) mirrors it, and ``Captive.reconcile`` (run by the worker) puts
the firewall back in line after a helper restart, a reboot or a failed call.

A phone is *let through* when it holds an active session **and** the uplink works. While the
internet is down nobody is let through, so every phone's connectivity probe keeps landing on the
portal: the phone says "sign in to network" (its popup opens the portal) instead of "connected",
which would be a lie. Taking this module alone, no Flask is needed.
"""

import logging
import time
from datetime import timedelta

from sqlalchemy import delete, select

from portal.domain.errors import DomainError, NotFound
from portal.firewall import FirewallError
from portal.firewall.neighbours import mac_for
from portal.models import HotspotSession, Uplink, utc_text

log = logging.getLogger("balai.captive")
KEEP_ENDED = timedelta(days=7)  # ended sessions are kept this long for the console, then deleted
UPLINK_CACHE_S = 2.0  # probes come in bursts: read the uplink state at most this often
ACTIVE_SQL = "SELECT id FROM hotspot_sessions WHERE ip = ? AND mac = ? AND ended_at IS NULL AND expires_at > ?"
UPLINK_SQL = "SELECT state FROM uplink WHERE id = 1"


def active(session, ip, mac, now):
    """The active session of ``ip``/``mac``, or None."""
    return session.scalar(
        select(HotspotSession).where(
            HotspotSession.ip == ip,
            HotspotSession.mac == mac,
            HotspotSession.ended_at.is_(None),
            HotspotSession.expires_at > now,
        )
    )


def active_sessions(session, now):
    """Every active session, newest first (the console's list)."""
    return session.scalars(
        select(HotspotSession)
        .where(HotspotSession.ended_at.is_(None), HotspotSession.expires_at > now)
        .order_by(HotspotSession.accepted_at.desc())
    ).all()


def uplink(session):
    """The Uplink row (created as "unknown" on first use)."""
    row = session.get(Uplink, 1)
    if row is None:
        row = Uplink(id=1, state="unknown", detail="")
        session.add(row)
        session.flush()
    return row


class Captive:
    """Sessions and the firewall together: what the portal's pages and the worker call."""

    def __init__(self, db, clock, firewall, minutes, leases=""):
        self.db = db
        self.clock = clock
        self.firewall = firewall
        self.minutes = minutes
        self.leases = leases
        self._uplink = (None, 0.0)  # (state, monotonic time read)

    def mac(self, ip):
        """The MAC of the phone at ``ip`` ("" when unknown and no firewall needs it)."""
        return mac_for(ip, self.leases) or ""

    def uplink_state(self):
        """ "up", "down" or "unknown", read from the database at most every UPLINK_CACHE_S."""
        state, read_at = self._uplink
        if state is None or time.monotonic() - read_at > UPLINK_CACHE_S:
            rows = self.db.rows(UPLINK_SQL)
            state = rows[0][0] if rows else "unknown"
            self._uplink = (state, time.monotonic())
        return state

    def accepted(self, ip, mac):
        """Whether ``ip``/``mac`` holds an active session (cheap: phones' probes ask this)."""
        return bool(self.db.rows(ACTIVE_SQL, (ip, mac, utc_text(self.clock.now()))))

    def let_through(self, ip):
        """Whether the phone at ``ip`` may be told it is online: the internet works, and it
        accepted (its MAC is looked up only then: while the internet is down nobody is)."""
        return self.uplink_state() == "up" and self.accepted(ip, self.mac(ip))

    def session_of(self, ip, mac):
        """The phone's active session, or None."""
        with self.db.read() as session:
            return active(session, ip, mac, self.clock.now())

    def accept(self, ip, mac):
        """The phone accepted the terms: record (or extend) its session and let it through.

        Another device's session on the same address ends here ("replaced"). Returns the session
        and whether the firewall let the phone through now; when it could not be told, the session
        stands and the worker retries.
        """
        if self.firewall.enforcing and not mac:
            raise DomainError("device_unknown")
        now = self.clock.now()
        expires = now + timedelta(minutes=self.minutes)
        with self.db.write() as session:
            others = session.scalars(
                select(HotspotSession).where(
                    HotspotSession.ip == ip, HotspotSession.mac != mac, HotspotSession.ended_at.is_(None)
                )
            ).all()
            for other in others:
                other.ended_at, other.end_reason = now, "replaced"
            mine = active(session, ip, mac, now)
            if mine is None:
                mine = HotspotSession(ip=ip, mac=mac, accepted_at=now, expires_at=expires)
                session.add(mine)
            mine.expires_at = expires
        for other in others:
            self._tell(self.firewall.revoke, other.ip, other.mac)
        return mine, self._tell(self.firewall.grant, ip, mac, int((expires - now).total_seconds()))

    def end(self, session_id, reason):
        """End a session (``logout`` by the phone, ``revoked`` by an official) and close the firewall."""
        now = self.clock.now()
        with self.db.write() as session:
            row = session.get(HotspotSession, session_id)
            if row is None or row.ended_at is not None or row.expires_at <= now:
                raise NotFound("hotspot_session_not_found")
            row.ended_at, row.end_reason = now, reason
        self._tell(self.firewall.revoke, row.ip, row.mac)
        return row

    def sessions(self):
        """Active sessions with the firewall's view of each (data used), for the console."""
        with self.db.read() as session:
            rows = active_sessions(session, self.clock.now())
        used = self.usage() or {}
        return [{"session": row, "used_bytes": used.get((row.ip, row.mac))} for row in rows]

    def usage(self):
        """``{(ip, mac): bytes used in its 24-hour allowance}`` for every phone the firewall lets
        through ({} without a firewall; None when the helper cannot be reached)."""
        try:
            clients = self.firewall.status()["clients"]
        except FirewallError as exc:
            log.warning("firewall: %s", exc)
            return None
        return {(c["ip"], c["mac"]): c["used_bytes"] for c in clients}

    def record_uplink(self, up, detail=""):
        """Store what the worker found about the internet; returns True when the state changed."""
        now = self.clock.now()
        state = "up" if up else "down"
        with self.db.write() as session:
            row = uplink(session)
            changed = row.state != state
            if changed:
                row.changed_at = now
            row.state, row.checked_at, row.detail = state, now, detail[:200]
        self._uplink = (state, time.monotonic())
        return changed

    def reconcile(self):
        """Bring the firewall in line with the database and the uplink state; returns what changed.

        The worker runs this every round: after a reboot or a helper restart the firewall has
        forgotten everyone, and a grant may have failed while the helper was down.
        """
        if not self.firewall.enforcing:
            return {}
        now = self.clock.now()
        with self.db.read() as session:
            wanted = {(r.ip, r.mac): r.expires_at for r in active_sessions(session, now) if r.mac}
        status = self.firewall.status()
        present = {(c["ip"], c["mac"]) for c in status["clients"]}
        granted = revoked = 0
        for (ip, mac), expires in wanted.items():
            if (ip, mac) not in present:
                self.firewall.grant(ip, mac, max(int((expires - now).total_seconds()), 1))
                granted += 1
        for ip, mac in present - set(wanted):
            self.firewall.revoke(ip, mac)
            revoked += 1
        up = self.uplink_state() == "up"
        if status["uplink"] != up:
            self.firewall.set_uplink(up)
        return {"granted": granted, "revoked": revoked, "uplink_gate": "open" if up else "closed"}

    def purge(self):
        """Delete sessions that ended or expired more than KEEP_ENDED ago (MACs are personal data)."""
        cutoff = self.clock.now() - KEEP_ENDED
        with self.db.write() as session:
            done = session.execute(
                delete(HotspotSession).where(
                    (HotspotSession.ended_at < cutoff)
                    | (HotspotSession.ended_at.is_(None) & (HotspotSession.expires_at < cutoff))
                )
            )
        return done.rowcount

    def _tell(self, call, *args):
        """Tell the firewall; a failure is logged and returns False, not raised: the worker's
        reconcile retries."""
        try:
            call(*args)
        except FirewallError as exc:
            log.warning("firewall: %s (the worker will retry)", exc)
            return False
        return True
