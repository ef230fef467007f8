"""The hub's database: SQLite (one file, WAL) by default, PostgreSQL by URL.

SQLite is opened exactly as the village opens it (``portal.db.make_engine``: WAL, busy timeout,
``BEGIN IMMEDIATE`` for writes) and this process's writers queue on a lock; PostgreSQL needs
neither. The schema belongs to Alembic (``hub/migrations``).
"""

import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from portal.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE = "sqlite:///"


class Store:
    """The engine plus ``read()`` and ``write()`` sessions, for either database."""

    def __init__(self, url, pool_size=16):
        self.url = url
        self.sqlite = url.startswith(SQLITE)
        if self.sqlite:
            self.engine = make_engine(url[len(SQLITE) :])
            self._writer = self.engine.execution_options(immediate=True)
            self._write_lock = threading.Lock()
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
            self._writer = self.engine
            self._write_lock = nullcontext()

    @contextmanager
    def read(self):
        """A session for reading; it never commits."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self):
        """A session in one transaction, committed on success, rolled back on error."""
        with self._write_lock, Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def migrate(self):
        """Bring the schema up to the newest revision."""
        # imported here: Alembic is 11 MB a village's portal does not need (it imports this package
        # for hub.protocol but never migrates the hub)
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        command.upgrade(config, "head")

    def dispose(self):
        """Close every pooled connection."""
        self.engine.dispose()
