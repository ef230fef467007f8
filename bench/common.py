"""What the benchmarks share: a free port, one JSON request, waiting for a server to be ready.

Only 127.0.0.1 is ever contacted.
"""

import contextlib
import json
import socket
import time
import urllib.error
import urllib.request

READY_TIMEOUT = 30.0  # seconds a server may take to start answering
HTTP_TIMEOUT = 10.0  # seconds for one request


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
