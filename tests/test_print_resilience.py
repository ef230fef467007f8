"""Nothing lost, nothing printed twice: the portal and the kiosk agent as separate processes
(``python -m portal serve``, ``python -m kiosk``) and a fake network printer, with the agent
killed mid-job, the printer off for a minute, the portal killed and restarted, and a crash
between printing a receipt and acknowledging it."""

import json
import signal
import sqlite3
import time
import urllib.request

from portal import make_balai
from portal.config import load
from portal.domain import kiosks, users
from tests.conftest import free_port, settings_for
from tests.fake_printer import FakePrinter
from tests.processes import start_agent, start_portal, stop, wait_for

OUTAGE_S = 60  # how long the printer stays off


class Hall:
    """A portal, a kiosk agent and a printer, each of which the test may kill and start again."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        balai = make_balai(load(overrides=settings_for(data_dir)))
        with balai.db.write() as session:
            _, self.token, _ = kiosks.add_kiosk(session, "Kiosk Aula", balai.clock.now())
            self.official = users.create_token(session, "operator", balai.clock.now())
        balai.db.dispose()
        self.printer_port = free_port()
        self.printers = [FakePrinter(port=self.printer_port)]
        self.portal = self.start_portal()
        self.agent = self.start_agent()

    def start_portal(self):
        return start_portal(self.data_dir, self.port, self.data_dir / "portal.log")

    def start_agent(self):
        return start_agent(self.url, self.token, f"tcp://127.0.0.1:{self.printer_port}", self.data_dir / "agent")

    def call(self, method, path, body=None, token=None):
        """A JSON call to the portal, or None when it does not answer."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            method=method,
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except OSError:
            return None

    def take(self):
        """A ticket taken with the kiosk's device token (so it gets a receipt)."""
        return self.call("POST", "/api/v1/tickets", {"service": "surat"}, self.token)["number"]

    def jobs(self):
        """Print job statuses by ticket number, read straight from the database."""
        with sqlite3.connect(f"file:{self.data_dir / 'balai.db'}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT t.number, j.status FROM print_jobs j JOIN tickets t ON t.id = j.ticket_id")
            return dict(rows.fetchall())

    def printed(self):
        """Every receipt number that reached paper, across printer restarts."""
        return sorted(number for printer in self.printers for number in printer.numbers())

    def printer_state(self):
        return self.call("GET", "/api/v1/kiosks", token=self.official)[0]["printer"]

    def close(self):
        for process in (self.agent, self.portal):
            stop(process, kill=True)
        for printer in self.printers:
            printer.close()


def test_no_receipt_is_lost_or_printed_twice(data_dir):
    hall = Hall(data_dir)
    try:
        first = hall.take()
        wait_for(lambda: hall.printed() == [first], what="the first receipt")

        # The agent is killed in the middle of a job (waiting for the printer's status answer):
        # the job was claimed but nothing was sent, so the restarted agent prints it.
        printer = hall.printers[-1]
        printer.answer.clear()
        second = hall.take()
        wait_for(lambda: hall.jobs()[second] == "claimed", what="the job to be claimed")
        wait_for(printer.holding.is_set, what="the agent to ask the printer")
        stop(hall.agent, kill=True)
        printer.answer.set()
        hall.agent = hall.start_agent()
        wait_for(lambda: hall.printed() == [first, second], what="the receipt of the killed job")

        # The printer is off for a minute; meanwhile the agent and the portal both crash and
        # restart, and more tickets are taken.
        printer.close()
        off_since = time.monotonic()
        during = [hall.take(), hall.take()]
        wait_for(lambda: hall.printer_state() == "unreachable", what="the console to see the printer off")
        stop(hall.agent, kill=True)
        hall.agent = hall.start_agent()
        stop(hall.portal, kill=True)
        hall.portal = hall.start_portal()
        during.append(hall.take())
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - off_since)))
        assert hall.printed() == [first, second]
        hall.printers.append(FakePrinter(port=hall.printer_port))
        wait_for(lambda: hall.printed() == sorted([first, second, *during]), timeout=40, what="the held receipts")

        # A crash between printing and acknowledging: the portal is frozen while the agent
        # prints, then both are killed. The agent's journal says "sent": acknowledged, not reprinted.
        printer = hall.printers[-1]
        printer.answer.clear()
        last = hall.take()
        wait_for(lambda: hall.jobs()[last] == "claimed", what="the last job to be claimed")
        wait_for(printer.holding.is_set, what="the agent to ask the printer")
        hall.portal.send_signal(signal.SIGSTOP)
        printer.answer.set()
        wait_for(lambda: last in hall.printed(), what="the last receipt on paper")
        stop(hall.agent, kill=True)
        stop(hall.portal, kill=True)
        hall.portal = hall.start_portal()
        hall.agent = hall.start_agent()
        wait_for(lambda: hall.jobs()[last] == "printed", what="the acknowledgement after the crash")

        everything = sorted([first, second, *during, last])
        assert hall.printed() == everything  # each exactly once
        assert set(hall.jobs().values()) == {"printed"}
    finally:
        hall.close()
