"""The database: pragmas, migrations that match the models, and write transactions."""

import re
import threading
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

from portal.db import Database
from portal.models import Base

ROOT = Path(__file__).resolve().parent.parent


def test_pragmas_for_durability(balai):
    """WAL, a busy timeout, and synchronous=FULL: an acknowledged ticket survives a power cut."""
    with balai.db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") >= 5000
        assert pragma("foreign_keys") == 1


def test_migrations_match_the_models(balai):
    """Alembic's head schema is exactly what the models describe (no forgotten revision)."""
    with balai.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_fresh_database_migrates_from_nothing(tmp_path):
    db = Database(str(tmp_path / "new.db"))
    db.migrate()
    db.migrate()  # running it again is harmless
    with db.engine.connect() as connection:
        tables = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        state = connection.exec_driver_sql("SELECT business_day, version FROM queue_state").one()
    db.dispose()
    assert {"tickets", "services", "counters", "announcements", "users", "alembic_version"} <= tables
    assert state == ("0001-01-01", 0)


def test_no_create_all_and_no_drop_table():
    """The schema belongs to migrations: nothing creates tables on start or drops them."""
    for path in (ROOT / "portal").rglob("*.py"):
        text = path.read_text()
        assert "create_all(" not in text, path
        assert not re.search(r"drop_table|DROP TABLE", text), path


def test_writes_begin_immediate(balai):
    """Write sessions take the write lock at BEGIN, so number allocation cannot deadlock."""
    statements = []
    balai.db.dispose()
    event.listen(balai.db.engine, "connect", lambda dbapi, _: dbapi.set_trace_callback(statements.append))
    with balai.db.write() as session:
        session.connection().exec_driver_sql("SELECT 1")
    with balai.db.read() as session:
        session.connection().exec_driver_sql("SELECT 2")
    assert statements[statements.index("SELECT 1") - 1] == "BEGIN IMMEDIATE"
    assert statements[statements.index("SELECT 2") - 1] == "BEGIN"


def test_a_second_writer_waits_for_the_first(balai):
    """A write session holds the lock from its first statement, even a read (BEGIN IMMEDIATE):
    read-then-write, as number allocation does, can neither deadlock nor fail to upgrade.
    The second writer is another Database on the same file, as the worker or the CLI would be."""
    started = threading.Event()
    order = []
    other_process = Database(balai.db.path)

    def second_writer():
        started.set()
        with other_process.write() as session:
            session.connection().exec_driver_sql("SELECT 1")
            order.append("second")

    with balai.db.write() as session:
        session.connection().exec_driver_sql("SELECT max(seq) FROM tickets")
        thread = threading.Thread(target=second_writer)
        thread.start()
        started.wait(5)
        time.sleep(0.2)
        order.append("first")
    thread.join(10)
    other_process.dispose()
    assert order == ["first", "second"]
