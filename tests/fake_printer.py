"""A network receipt printer for tests: listens on 127.0.0.1, keeps every byte it is sent, and
answers DLE EOT status queries with a scripted status byte (or not at all, like a printer that
is off). It can be stopped and started again on the same port (a printer switched off and on),
and can hold its status answer until the test lets it go (to catch an agent mid-job)."""

import socket
import threading

from kiosk.escpos_reader import read

OK, NEAR_END, PAPER_OUT = 0x12, 0x1E, 0x72


class FakePrinter:
    """Start it, point a printer at ``address``, then ``paper()`` reads what was printed."""

    def __init__(self, status=OK, port=0):
        self.status = status  # None: never answer
        self.received = bytearray()
        self._lock = threading.Lock()
        self.holding = threading.Event()  # set while a status answer is being held back
        self.answer = threading.Event()  # cleared: status queries wait until it is set
        self.answer.set()
        self._server = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR: restartable
        self._server.settimeout(0.2)
        self.address = self._server.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.2)
                while not self._stop.is_set():
                    try:
                        chunk = connection.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    with self._lock:
                        self.received += chunk
                    if b"\x10\x04" in chunk:
                        if not self.answer.is_set():
                            self.holding.set()
                            self.answer.wait(timeout=30)
                            self.holding.clear()
                        if self.status is not None:
                            connection.sendall(bytes([self.status]))

    def paper(self):
        """What has been printed so far."""
        with self._lock:
            return read(bytes(self.received))

    def numbers(self):
        """The ticket numbers printed so far, once per receipt (the line in the largest size)."""
        return [line.text for line in self.paper().lines if line.height == 4]

    def close(self):
        """Stop listening (bounded: the loops wake every 0.2 s)."""
        self._stop.set()
        self.answer.set()
        self._thread.join(timeout=5)
        self._server.close()
