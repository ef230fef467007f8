"""Shared fixtures: a real SQLite file per test (copied from a migrated demo template), a clock
tests can move, the Flask app, a test client, officials, and a real waitress server."""

import contextlib
import os
import shutil
import socket
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from waitress import wasyncore

from hub import create_app as create_hub
from portal import create_app, make_balai
from portal.clock import FakeClock
from portal.config import load
from portal.domain import demo, kiosks, users
from portal.server import create as create_server
from tests import postgres as pg

REQUIRE_ALL_TIERS = os.environ.get("BALAI_REQUIRE_ALL_TIERS", "").lower() in ("1", "on", "yes", "true")
# Monday 23 November 2026, 09:00 WIB: the demo's capped service (Bantuan Sosial) is open.
HOTSPOT_ADDRESS = "10.42.0.23"  # inside the default BALAI_HOTSPOT_NETWORKS
MONDAY_9AM = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def need(available, reason):
    """Skip a test whose tier cannot run here, loudly; in CI (BALAI_REQUIRE_ALL_TIERS=1) fail."""
    if available:
        return
    if REQUIRE_ALL_TIERS:
        pytest.fail(f"required test tier unavailable: {reason}")
    pytest.skip(f"TIER SKIPPED: {reason}")


def settings_for(data_dir, **extra):
    """Overrides that point Balai at a test's own data directory."""
    return {"BALAI_DATA_DIR": str(data_dir), "BALAI_CONFIG": str(data_dir / "balai.conf"), **extra}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated database with the demo village, made once and copied into every test."""
    data_dir = tmp_path_factory.mktemp("template")
    balai = make_balai(load(overrides=settings_for(data_dir)))
    balai.db.migrate()
    with balai.db.write() as session:
        demo.load(session, MONDAY_9AM - timedelta(days=1), data_dir / "media", data_dir / "logo.png")
    balai.db.dispose()
    path = data_dir / "balai.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def data_dir(tmp_path, template_db):
    """This test's data directory, holding a fresh copy of the demo database."""
    directory = tmp_path / "var"
    directory.mkdir()
    shutil.copy(template_db, directory / "balai.db")
    shutil.copytree(template_db.parent / "media", directory / "media")  # the demo's photos and documents
    return directory


@pytest.fixture
def clock():
    """A clock standing still at Monday 09:00 WIB until the test moves it."""
    return FakeClock(MONDAY_9AM)


@pytest.fixture
def overrides():
    """Extra BALAI_* settings for this test's app (tests may add to the dict before using app)."""
    return {}


@pytest.fixture
def app(data_dir, clock, overrides):
    """The Flask app on this test's database and clock."""
    application = create_app(overrides=settings_for(data_dir, **overrides), clock=clock)
    application.config["TESTING"] = True
    yield application
    application.extensions["balai"].db.dispose()


@pytest.fixture
def balai(app):
    """The app's domain objects (settings, db, clock, queue)."""
    return app.extensions["balai"]


@pytest.fixture
def queue(balai):
    """The queue under test."""
    return balai.queue


@pytest.fixture
def client(app):
    """A test client; requests come from 127.0.0.1 (office, not hotspot) unless told otherwise."""
    return app.test_client()


def login(client, username="operator", password=None):
    """Sign a test client into the console; returns the response."""
    password = password or dict((u, p) for u, _, p in demo.OFFICIALS)[username]
    page = client.get("/admin/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def csrf_from(html):
    """The CSRF token embedded in a console page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def token(balai):
    """A bearer token for the demo operator (make more with ``make_token``)."""
    return make_token(balai, "operator")


@pytest.fixture
def kiosk(balai):
    """A registered kiosk: (id, device token, pairing code)."""
    with balai.db.write() as session:
        row, device_token, code = kiosks.add_kiosk(session, "Kiosk Aula", balai.clock.now())
        return row.id, device_token, code


def make_token(balai, username):
    """A fresh API token acting as ``username``."""
    with balai.db.write() as session:
        return users.create_token(session, username, balai.clock.now())


def bearer(value):
    """Headers for an API call with a bearer token."""
    return {"Authorization": f"Bearer {value}"}


def free_port():
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(app):
    """The app behind a real waitress server on a loopback port; yields its base URL."""
    # On stopping, answer kiosk agents' long polls at once.
    with serving(app, on_stop=app.extensions["balai"].printing.close) as url:
        yield url


@contextlib.contextmanager
def serving(app, on_stop=None, listen="127.0.0.1:0"):
    """Run ``app`` behind a real waitress server on a loopback port (``listen``: any free one) while
    the block runs, as ``python -m portal serve`` would; gives its URL."""
    portal = app.extensions.get("balai")  # the hub's app has none
    proxy_headers = portal is not None and portal.settings["BALAI_ADMIN_PROXY"]
    instance = create_server(app, listen, threads=8, connections=100, proxy_headers=proxy_headers)
    stopping = threading.Event()

    def run():
        try:
            instance.run()
        except OSError:
            # Closing the sockets under the running loop is how this server stops; only an
            # error before that is a failure.
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{instance.effective_port}"
    finally:
        stopping.set()
        if on_stop is not None:
            on_stop()
        instance.task_dispatcher.shutdown(timeout=5)  # workers finish first: no write to a closed socket
        instance.close()
        thread.join(timeout=5)
        # Connections still open (a kiosk agent's long poll when it was stopped) are closed too.
        wasyncore.close_all(instance._map, ignore_all=True)


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server for the whole run (``tests/postgres.py``); ``.url()`` makes a database."""
    need(pg.binaries() is not None, "PostgreSQL is not installed (tests/setup-system.sh installs it as root)")
    cluster = pg.Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def empty_hub(tmp_path):
    """A migrated district hub on SQLite with no village and no user yet, its clock at Monday 09:00
    and its cookies not marked Secure (tests add what they need through ``.extensions["hub"]``)."""
    app = create_hub(
        overrides={"BALAI_HUB_DATA_DIR": str(tmp_path / "hub"), "BALAI_HUB_SECURE_COOKIES": "off"},
        clock=FakeClock(MONDAY_9AM),
    )
    app.extensions["hub"].store.migrate()
    yield app
    app.extensions["hub"].store.dispose()
