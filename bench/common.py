"""What the benchmarks share: a free port, one JSON request, waiting for a server to be ready, a
process's memory, a network receipt printer.

Only 127.0.0.1 is ever contacted.
"""

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

READY_TIMEOUT = 30.0  # seconds a server may take to start answering
HTTP_TIMEOUT = 10.0  # seconds for one request
STATUS_QUERY = b"\x10\x04\x04"  # ESC/POS "real-time status: paper", which the kiosk agent sends first


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method, url, body=None, token=None):
    """One request; returns (status, parsed JSON body or None). Timeouts and refusals raise OSError."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def wait_ready(url, process):
    """Poll ``url`` until it answers 200; raise when the server exits or READY_TIMEOUT passes."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            if http("GET", url)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {READY_TIMEOUT:.0f} s")


def rss_mb(pid):
    """The resident set size of process ``pid`` in MB (Linux). The benchmarks start their servers
    through ``taskset``, which execs them: the pid they hold is the server's."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Printer:
    """A network printer that answers status queries "ok" and notes each receipt's first byte."""

    def __init__(self):
        self.first_bytes = []  # perf_counter() at the first receipt byte of each connection
        self.arrived = threading.Condition()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stopping = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        """Answer connections one at a time until closed."""
        while not self.stopping.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed: the run is over
                return
            with connection:
                connection.settimeout(5)
                noted = False
                while True:
                    try:
                        chunk = connection.recv(65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    if chunk.startswith(STATUS_QUERY):
                        connection.sendall(b"\x12")
                        chunk = chunk[len(STATUS_QUERY) :]
                    if chunk and not noted:
                        noted = True
                        with self.arrived:
                            self.first_bytes.append(time.perf_counter())
                            self.arrived.notify_all()

    def wait_for(self, count, timeout):
        """The time the ``count``-th receipt began, or None after ``timeout`` seconds."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.first_bytes) >= count, timeout=timeout)
            return self.first_bytes[count - 1] if len(self.first_bytes) >= count else None

    def close(self):
        """Stop listening."""
        self.stopping.set()
        self.server.close()
