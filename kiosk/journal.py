"""The agent's own record of what it sent to the printer: the half of the rule against double
printing that lives on the kiosk (the rule is written out in ``portal/domain/printing.py``).

A job is noted as ``sending`` before its bytes go to the printer and ``sent`` once the printer
took them, in a small SQLite file with ``synchronous=FULL``, so a note written before a crash or
a power cut is there after it. A lock file keeps two agents from sharing one journal.
"""

import fcntl
import secrets
import socket
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (portal TEXT, job INTEGER, ticket TEXT, state TEXT, PRIMARY KEY (portal, job));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class JournalBusy(RuntimeError):
    """Another agent is running with this journal."""


class Journal:
    """Print notes, in ``path``, for the jobs of the portal at ``portal`` (its URL: a job is
    known by the portal's job id and its ticket's id, which a restored database cannot reuse
    together)."""

    def __init__(self, path, portal):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path.with_suffix(".lock"), "a")  # noqa: SIM115 (held for the agent's life)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise JournalBusy(f"another kiosk agent is running with {self.path}") from None
        self.portal = portal
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)  # one agent thread uses it
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def agent_id(self):
        """This installation's agent id: made once, kept across restarts (so a restarted agent
        gets back the jobs it had claimed)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'agent'").fetchone()
        if row:
            return row[0]
        value = f"{socket.gethostname()[:24]}-{secrets.token_hex(4)}"
        self.db.execute("INSERT INTO meta (key, value) VALUES ('agent', ?)", (value,))
        return value

    def state(self, job):
        """``sending``, ``sent`` or None for a job (a dict with ``id`` and ``ticket``)."""
        row = self.db.execute(
            "SELECT state FROM notes WHERE portal = ? AND job = ? AND ticket = ?",
            (self.portal, job["id"], job["ticket"]),
        ).fetchone()
        return row[0] if row else None

    def note(self, job, state):
        """Record (durably) that a job is being sent, or was sent."""
        self.db.execute(
            "INSERT OR REPLACE INTO notes (portal, job, ticket, state) VALUES (?, ?, ?, ?)",
            (self.portal, job["id"], job["ticket"], state),
        )

    def forget(self, job):
        """The portal knows how the job ended: the note is no longer needed."""
        self.db.execute("DELETE FROM notes WHERE portal = ? AND job = ?", (self.portal, job["id"]))

    def keep_only(self, jobs):
        """Drop the notes of jobs the portal no longer hands out (ended, or given to another
        agent): ``jobs`` is everything a successful poll returned."""
        held = [job["id"] for job in jobs]
        marks = ",".join("?" * len(held))
        self.db.execute(f"DELETE FROM notes WHERE portal = ? AND job NOT IN ({marks})", (self.portal, *held))

    def close(self):
        """Release the journal (and its lock)."""
        self.db.close()
        self._lock.close()
