"""A real hub (``python -m hub serve``) as a process of its own on a loopback port, for tests that
sync a village with it, and its command line (``village add``, ``stats``) run the same way."""

import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from hub import villages
from hub.db import Store
from hub.models import Event
from tests.processes import wait_for

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
CLI_TIMEOUT_S = 60


class HubProcess:
    """The hub on ``127.0.0.1:port`` with its data in ``data_dir`` (SQLite) or at ``database_url``.

    ``start()`` and ``stop()`` may be called again: the database stays, as on a real restart.
    """

    def __init__(self, data_dir, port, database_url=""):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "BALAI_HUB_DATA_DIR": str(self.data_dir),
            "BALAI_HUB_LISTEN": f"127.0.0.1:{port}",
            "BALAI_HUB_DATABASE_URL": database_url,
        }
        self.database_url = database_url or "sqlite:///" + str(self.data_dir / "hub.db")
        self.log_path = self.data_dir / "hub.log"
        self.process = None

    def cli(self, *args):
        """Run ``python -m hub ARGS`` against this hub's database; returns its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "hub", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, f"python -m hub {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def add_village(self, code, name):
        """Register a village as ``python -m hub village add`` does (here in the test's process,
        which is quicker; the hub must have migrated its database); returns its key."""
        with self.store() as store, store.write() as session:
            return villages.add(session, code, name, datetime.now(UTC))[1]

    def stats(self, code):
        """``python -m hub stats CODE`` as a dict."""
        return json.loads(self.cli("stats", code))

    def start(self):
        """Start serving and wait (bounded) until ``/api/v1/health`` answers."""
        with open(self.log_path, "ab") as log:  # the process keeps its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve"], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited: {self.log_path.read_text(errors='replace')}")
            try:
                urllib.request.urlopen(self.url + "/api/v1/health", timeout=2).close()
                return True
            except OSError:
                return False

        try:
            wait_for(answers, timeout=START_TIMEOUT_S, what="the hub to serve")
        except AssertionError:
            self.stop()
            raise

    def stop(self):
        """Stop serving: SIGTERM, then SIGKILL if it does not go in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        self.process = None

    @contextmanager
    def store(self):
        """The hub's database, opened from the test's process (beside the running hub)."""
        store = Store(self.database_url, pool_size=1)
        try:
            yield store
        finally:
            store.dispose()

    def event_ids(self, code):
        """Every event id the hub keeps for village ``code``, as a list (a repeat would show twice)."""
        with self.store() as store, store.read() as session:
            village = villages.by_code(session, code)
            return list(session.scalars(select(Event.event_id).where(Event.village_id == village.id)))
