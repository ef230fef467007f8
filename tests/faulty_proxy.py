"""A small HTTP proxy between a village and its hub that misbehaves on demand, for the sync's
fault tests.

It forwards requests unchanged (method, path and query, headers, body: the village's signature
covers them) and passes the hub's answer back unchanged (status, ``Date``, the hub's signature,
body). ``fault()`` switches what it does to the requests whose path contains ``paths`` (all when
empty); the others pass through:

- ``pass``: nothing.
- ``fail``: every other request is answered 500, either before reaching the hub or, with
  ``reach=True``, after the hub took it (its answer is lost).
- ``delay``: forward, then hold the answer ``seconds`` (past the village's timeout).
- ``twice``: deliver each request to the hub twice and answer with the second answer.
- ``hold``: forward, then keep the answer until ``release()`` (``held`` is set meanwhile).

``down()`` stops listening (the village gets "connection refused"), ``up()`` listens again on
the same port. ``received`` counts requests per ``(method, path)`` (query left off); ``answers``
lists ``(method, path, status from the hub)`` of each delivery to the hub.
"""

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

MODES = ("pass", "fail", "delay", "twice", "hold")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
UPSTREAM_TIMEOUT_S = 30
HOLD_LIMIT_S = 60  # a held answer is let go after this even if the test forgot to release it


class FaultyProxy:
    """The proxy on ``127.0.0.1:port`` in front of ``upstream`` (``http://host:port``)."""

    def __init__(self, upstream, port):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lock = threading.Lock()
        self.received = Counter()
        self.answers = []
        self.held = threading.Event()
        self.released = threading.Event()
        self.server = None
        self.thread = None
        self.fault("pass")

    def fault(self, mode, paths="", reach=False, seconds=0.0):
        """Misbehave as ``mode`` (see the module's docstring) for requests whose path contains ``paths``."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        with self.lock:
            self.mode, self.paths, self.reach, self.seconds = mode, paths, reach, seconds
            self.matched = 0  # "every other" counts from the switch
        if mode == "hold":
            self.held.clear()
            self.released.clear()

    def release(self):
        """Let held answers go."""
        self.released.set()

    def count(self, method, path_part):
        """How many ``method`` requests whose path contains ``path_part`` reached the proxy."""
        with self.lock:
            return sum(n for (m, path), n in self.received.items() if m == method and path_part in path)

    def up(self):
        """Listen (again) on our port."""
        proxy = self

        class Handler(ForwardingHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def down(self):
        """Stop listening: connections are refused until ``up()``."""
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.server = self.thread = None

    def plan(self, method, path):
        """Count the request and decide what to do with it: ``(mode, reach, seconds)``."""
        with self.lock:
            self.received[(method, path.split("?", 1)[0])] += 1
            if self.mode == "pass" or self.paths not in path:
                return "pass", False, 0.0
            self.matched += 1
            if self.mode == "fail" and self.matched % 2:
                return "pass", False, 0.0  # the first, third, ... go through
            return self.mode, self.reach, self.seconds

    def deliver(self, method, path, headers, body):
        """Send the request to the hub once: ``(status, [(header, value)], body)``."""
        connection = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT_S)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.status, response.getheaders(), response.read()
        finally:
            connection.close()
        with self.lock:
            self.answers.append((method, path.split("?", 1)[0], answer[0]))
        return answer


class ForwardingHandler(BaseHTTPRequestHandler):
    """One request through the proxy; ``owner`` is the FaultyProxy."""

    owner = None
    protocol_version = "HTTP/1.0"  # one request per connection, as the village sends them

    def handle_request(self):
        proxy = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        mode, reach, seconds = proxy.plan(self.command, self.path)
        if mode == "fail":
            if reach:
                proxy.deliver(self.command, self.path, headers, body)
            self.answer(500, [("Content-Type", "text/plain")], b"proxy: injected failure\n")
            return
        if mode == "twice":
            proxy.deliver(self.command, self.path, headers, body)
        answer = proxy.deliver(self.command, self.path, headers, body)
        if mode == "delay":
            threading.Event().wait(seconds)
        elif mode == "hold":
            proxy.held.set()
            proxy.released.wait(HOLD_LIMIT_S)
        self.answer(*answer)

    def answer(self, status, headers, body):
        """Write an answer as given: no ``Server`` or ``Date`` of our own (the hub's pass through)."""
        try:
            self.send_response_only(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the village gave up waiting (timeout, or it was killed): nothing to tell it

    do_GET = do_POST = do_PUT = do_DELETE = handle_request

    def log_message(self, format, *args):
        """Quiet: the tests assert on counts, not on a log."""
