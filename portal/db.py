"""The database: SQLite in WAL mode, opened the same way by the portal, the worker and the CLI.

Every connection gets ``journal_mode=WAL`` (readers never block the writer), ``busy_timeout``
(a writer waits for another instead of failing) and ``synchronous=FULL``: a ticket, complaint or
vote that was acknowledged to a person is on disk before the answer leaves, so a power cut cannot
roll it back. Transactions that write start with ``BEGIN IMMEDIATE``, taking the write lock up
front, so two requests allocating ticket numbers queue up instead of deadlocking.

The schema belongs to Alembic (``portal/migrations``); nothing here creates tables. Only
``migrate`` imports Alembic: it costs a process 11 MB (Mako, every SQL dialect), so the server and
the worker check the schema's revision without it (``schema_revision``, ``schema_head``).
"""

import ast
import os
import re
import sqlite3
import threading
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 10_000
# SQLite's page cache per connection (default 2 MB). The portal holds up to 32 pooled connections
# and one reader per thread: on a database grown over months the default could take 60 MB of the
# Pi's memory, where the kernel's file cache keeps the pages at hand anyway.
CACHE_SIZE_PRAGMA = "PRAGMA cache_size=-512"  # KiB
MIGRATIONS = Path(__file__).parent / "migrations"
# A migration file's ``revision = '0006'`` and ``down_revision = '0005'`` (perhaps annotated: ``: str``),
# each on one line (a merge's tuple too; tests/test_startup.py fails on any the server misreads).
REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def make_engine(path):
    """Open (or create) the SQLite file at ``path`` with Balai's pragmas."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", pool_size=16, max_overflow=16)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let us issue BEGIN ourselves (pysqlite would otherwise defer it), see on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(CACHE_SIZE_PRAGMA)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The engine plus the two ways to use it: ``read()`` and ``write()`` sessions."""

    def __init__(self, path):
        self.path = path
        self.engine = make_engine(path)
        self._writer = self.engine.execution_options(immediate=True)
        # Writers of this process queue here rather than in SQLite's busy handler, which polls
        # with sleeps of up to 100 ms: under load that wastes the lock's idle time and makes
        # p99 latency seconds long. Other processes (worker, CLI) still meet busy_timeout.
        self._write_lock = threading.Lock()
        self._local = threading.local()  # per-thread connection for rows()

    @contextmanager
    def read(self):
        """A session for reading; it never commits."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self):
        """A session in a ``BEGIN IMMEDIATE`` transaction, committed on success, rolled back on error."""
        with self._write_lock, Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def rows(self, sql, params=()):
        """All rows of a read query as plain tuples, on this thread's own sqlite3 connection.

        For the queries behind every phone poll: they skip the pool's checkout and reset and
        SQLAlchemy's row objects, which cost more than the queries. Autocommit and read-only,
        so each call sees the latest commit and can change nothing.
        """
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA query_only=ON")
            connection.execute(CACHE_SIZE_PRAGMA)
            self._local.connection = connection
        return connection.execute(sql, params).fetchall()

    def migrate(self):
        """Bring the schema up to the newest Alembic revision."""
        from alembic import command  # imported here: 11 MB the server does not need (see above)

        command.upgrade(alembic_config(self.engine), "head")

    def dispose(self):
        """Close every pooled connection and this thread's reader (tests and shutdown)."""
        self.engine.dispose()
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def alembic_config(engine):
    """An Alembic config that runs Balai's migrations on ``engine`` (no alembic.ini needed)."""
    from alembic.config import Config  # imported here: 11 MB the server does not need (see above)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_revision(path):
    """The Alembic revision recorded in the SQLite database at ``path`` (None: no schema)."""
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


def migration_parents():
    """Each migration's revision with the revisions it follows (a tuple: empty for the first).

    Read from the ``revision`` and ``down_revision`` lines of ``portal/migrations/versions``, as
    Alembic reads them, but without importing Alembic (tests/test_startup.py checks both agree).
    """
    parents = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        lines = dict(REVISION_LINE.findall(path.read_text()))
        down = ast.literal_eval(lines["down_revision"]) or ()
        parents[ast.literal_eval(lines["revision"])] = (down,) if isinstance(down, str) else tuple(down)
    return parents


def schema_head():
    """The newest migration's revision: the one no other migration follows."""
    parents = migration_parents()
    followed = {parent for before in parents.values() for parent in before}
    heads = sorted(set(parents) - followed)
    if len(heads) != 1:
        raise RuntimeError(f"portal/migrations has {len(heads)} newest revisions ({', '.join(heads)}): merge them")
    return heads[0]
