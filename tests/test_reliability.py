"""Reliability: the portal as a real process (``python -m portal serve``) killed with SIGKILL in the
middle of issuing tickets, and serving from a data directory whose filesystem is full.

The tickets go to "surat" (open 00:00–24:00 every day, no daily cap in the demo), so the real
clock the server runs on never closes the service. The clients call from 127.0.0.1, which is not
on the hotspot network: the per-address limit (``too_many_tickets``) is the hotspot rule only, as
for the office's own computers, so nothing here needs lifting.
"""

import http.client
import os
import shutil
import sqlite3
import subprocess
import threading
import time

import pytest

from tests.conftest import free_port, need
from tests.processes import start_portal, stop
from tests.test_server import post_json as post

pytestmark = pytest.mark.reliability

SERVICE = "surat"
THREADS = 20
RESTARTS = 10
TEST_SECONDS = 90  # the crash loop's whole budget, restarts included
# What a client sees when the server dies under it or is not back yet: it tries again.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)  # refused, reset, timed out, cut off mid-answer


def database_check(path):
    """SQLite's own integrity check of the database file (``"ok"`` when sound)."""
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


class Clients:
    """Threads taking tickets in a loop, retrying on connection errors, until told to stop."""

    def __init__(self, url, deadline):
        self.url = url
        self.deadline = deadline
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged = []  # (id, number) of every 201
        self.refused = []  # (status, body) of any other answer
        self.retries = 0

    def run(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                status, body = post(self.url, {"service": SERVICE}, timeout=5)
            except CONNECTION_ERRORS:
                with self.lock:
                    self.retries += 1
                time.sleep(0.05)  # the server is down or restarting
                continue
            with self.lock:
                if status == 201:
                    self.acknowledged.append((body["id"], body["number"]))
                else:
                    self.refused.append((status, body))


def test_crash_loop_loses_no_acknowledged_ticket(data_dir, tmp_path):
    """20 threads take tickets while the server is killed with SIGKILL and restarted 10 times:
    every ticket a client was given exists afterwards, no number is given twice in a day, and the
    database is sound."""
    port = free_port()
    log = tmp_path / "portal.log"
    started = time.monotonic()
    clients = Clients(f"http://127.0.0.1:{port}/api/v1/tickets", started + TEST_SECONDS - 15)
    process = start_portal(data_dir, port, log)
    threads = [threading.Thread(target=clients.run, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    restarts = 0
    try:
        for _ in range(RESTARTS):
            time.sleep(0.7)  # let tickets flow, so the kill lands mid-write
            stop(process, kill=True)
            process = start_portal(data_dir, port, log)
            restarts += 1
        time.sleep(0.7)
    finally:
        clients.stopping.set()
        for thread in threads:
            thread.join(timeout=10)
        stop(process, kill=True)
    assert time.monotonic() - started < TEST_SECONDS

    with sqlite3.connect(data_dir / "balai.db") as connection:
        stored = dict(connection.execute("SELECT id, number FROM tickets"))
        doubled = connection.execute("SELECT count(*) - count(DISTINCT day || ' ' || number) FROM tickets").fetchone()[
            0
        ]
    lost = [ticket for ticket, number in clients.acknowledged if stored.get(ticket) != number]
    print(
        f"\ncrash loop: {len(clients.acknowledged)} tickets acknowledged, {len(lost)} lost, {doubled} duplicated, "
        f"{restarts} restarts (SIGKILL), {clients.retries} connection retries, {len(stored)} tickets stored"
    )
    assert restarts == RESTARTS
    assert len(clients.acknowledged) >= RESTARTS  # tickets really flowed between the crashes
    assert clients.refused == []
    assert lost == []
    assert doubled == 0
    assert database_check(data_dir / "balai.db") == "ok"


def fill(directory):
    """Write a file in ``directory`` until its filesystem has no byte left; gives its path."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (1 << 20, 1 << 12, 1):  # big blocks, then the last pages, then the last bytes
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass
    return filler


@pytest.fixture
def small_disk(tmp_path, data_dir):
    """The demo data directory on a tmpfs just bigger than it (needs root to mount); unmounted after."""
    need(os.geteuid() == 0 and shutil.which("mount"), "mounting a small tmpfs needs root")
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    used = sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file())
    size = used + (4 << 20)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], check=True)
    try:
        shutil.copytree(data_dir, mount_point / "var")
        yield mount_point / "var"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_full_disk_answers_clearly_and_recovers(small_disk, tmp_path):
    """With the data directory's filesystem full, taking tickets and sending a complaint are
    refused with a readable JSON 503; the database stays sound, and the next ticket after space
    returns is issued."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1"
    process = start_portal(small_disk, port, tmp_path / "portal.log")  # its log is off the full disk
    try:
        assert post(f"{url}/tickets", {"service": SERVICE})[0] == 201
        filler = fill(small_disk)
        # SQLite may still fit a few writes in pages it already holds (the WAL's free frames):
        # those are real tickets. Bounded: the file must grow long before this.
        answers = [post(f"{url}/tickets", {"service": SERVICE}) for _ in range(300)]
        issued = sum(status == 201 for status, _ in answers)
        refused = [(status, body) for status, body in answers if status != 201]
        complaint = post(f"{url}/complaints", {"category": "infrastructure", "text": "Jalan di RT 03 berlubang besar."})
        print(f"\nfull disk: {issued} tickets still fitted, {len(refused)} refused, complaint answered {complaint[0]}")
        assert refused, "the disk never filled"
        for status, body in [*refused, complaint]:
            assert status == 503
            assert body["error"] == "storage_full"
            assert "Penyimpanan perangkat penuh" in body["message"]  # Indonesian first
        assert database_check(small_disk / "balai.db") == "ok"
        filler.unlink()
        status, ticket = post(f"{url}/tickets", {"service": SERVICE})
        assert status == 201
        assert post(f"{url}/complaints", {"category": "infrastructure", "text": "Jalan di RT 03 berlubang."})[0] == 201
    finally:
        stop(process)
    assert database_check(small_disk / "balai.db") == "ok"
    with sqlite3.connect(small_disk / "balai.db") as connection:
        assert connection.execute("SELECT count(*) FROM tickets WHERE id = ?", (ticket["id"],)).fetchone()[0] == 1
