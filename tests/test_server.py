"""Against real servers: waitress in a thread, and `python -m portal serve` as a subprocess."""

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.processes import start_portal, stop

ROOT = Path(__file__).resolve().parent.parent


def post_json(url, body, timeout=30):
    """POST JSON; returns (status, parsed body)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_200_concurrent_tickets_get_200_distinct_numbers(server):
    """200 residents pressing at the same moment get A-001 … A-200: no duplicate, no gap."""
    barrier = threading.Barrier(200, timeout=30)

    def take(_):
        barrier.wait()
        return post_json(server + "/api/v1/tickets", {"service": "surat", "priority": False})

    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(take, range(200)))
    assert [status for status, _ in results] == [201] * 200
    numbers = sorted(body["number"] for _, body in results)
    assert numbers == [f"A-{n:03d}" for n in range(1, 201)]
    assert len({body["id"] for _, body in results}) == 200


def test_errors_over_the_wire_are_json_not_tracebacks(server):
    status, body = post_json(server + "/api/v1/tickets", {"service": "nope"})
    assert status == 404 and body["error"] == "unknown_service"
    request = urllib.request.Request(server + "/api/v1/tickets", data=b"{oops", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 400 and json.loads(exc.value.read())["error"] == "bad_json"


@pytest.fixture
def subprocess_server(data_dir):
    """`python -m portal serve` on a free port; yields (base URL, process)."""
    port = free_port()
    process = start_portal(data_dir, port, data_dir / "portal.log")
    yield f"http://127.0.0.1:{port}", process
    stop(process, kill=True)


def tickets_on_disk(data_dir):
    """Ticket ids in the database file, read the way the next start would read it."""
    with sqlite3.connect(data_dir / "balai.db") as connection:
        return {row[0] for row in connection.execute("SELECT id FROM tickets")}


def test_acknowledged_ticket_survives_kill_9(subprocess_server, data_dir):
    """A ticket answered with 201 is on disk even if the server dies the moment after."""
    base, process = subprocess_server
    status, body = post_json(base + "/api/v1/tickets", {"service": "surat"})
    assert status == 201
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert body["id"] in tickets_on_disk(data_dir)


def test_every_acknowledged_ticket_survives_kill_9_under_load(subprocess_server, data_dir):
    """Kill the server while four clients issue tickets: every 201 they got is still on disk."""
    base, process = subprocess_server
    acknowledged = []
    stop = time.monotonic() + 5

    def client():
        while time.monotonic() < stop and len(acknowledged) < 2000:
            try:
                status, body = post_json(base + "/api/v1/tickets", {"service": "kependudukan"}, timeout=5)
            except (OSError, http.client.HTTPException):
                return  # the server is gone: an answer cut short was never an acknowledgement
            if status == 201:
                acknowledged.append(body["id"])

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    for thread in threads:
        thread.join(10)
    assert len(acknowledged) >= 30
    assert set(acknowledged) <= tickets_on_disk(data_dir)


def test_serve_refuses_an_unmigrated_database(tmp_path):
    env = {**os.environ, "BALAI_DATA_DIR": str(tmp_path), "BALAI_LISTEN": f"127.0.0.1:{free_port()}"}
    result = subprocess.run(
        [sys.executable, "-m", "portal", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "python -m portal migrate" in result.stderr


def test_make_run_recipe_works_from_an_empty_data_dir(tmp_path):
    """migrate + demo on an empty directory, then the demo is not loaded twice."""
    env = {**os.environ, "BALAI_DATA_DIR": str(tmp_path / "var")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "portal", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run("migrate").returncode == 0
    first = run("demo")
    assert "Demo village loaded." in first.stdout and "demo-admin" in first.stdout
    second = run("demo")
    assert "not loaded" in second.stdout and "demo-admin" in second.stdout
    shutil.rmtree(tmp_path / "var")


def test_unchanged_polls_keep_the_connection_open(server):
    """A phone polling with its ETag gets 304s on one connection, not a new connection each time."""
    _, ticket = post_json(server + "/api/v1/tickets", {"service": "surat"})
    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=10)
    connection.request("GET", f"/api/v1/tickets/{ticket['id']}")
    first = connection.getresponse()
    first.read()
    etag = first.getheader("ETag")
    for _ in range(3):
        connection.request("GET", f"/api/v1/tickets/{ticket['id']}", headers={"If-None-Match": etag})
        again = connection.getresponse()
        assert again.status == 304 and again.read() == b""
        assert again.getheader("Connection") != "close"
    connection.request("GET", "/api/v1/board", headers={"Connection": "close"})
    assert connection.getresponse().getheader("Connection") == "close"
    connection.close()


def test_probes_keep_the_connection_open(server):
    """A phone's repeated connectivity probes (204, no body) share one connection."""
    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=10)
    for _ in range(3):
        connection.request("GET", "/generate_204", headers={"Host": "connectivitycheck.gstatic.com"})
        probe = connection.getresponse()
        assert probe.status == 204 and probe.read() == b""
        assert probe.getheader("Connection") != "close" and probe.getheader("Content-Length") is None
    connection.close()


def test_serve_on_a_busy_port_says_so(data_dir):
    """A port already in use is a readable message, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "BALAI_DATA_DIR": str(data_dir), "BALAI_LISTEN": f"127.0.0.1:{port}"}
        env.pop("BALAI_ADMIN_LISTEN", None)
        result = subprocess.run(
            [sys.executable, "-m", "portal", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode != 0
    assert "Cannot listen on" in result.stderr and "Traceback" not in result.stderr
