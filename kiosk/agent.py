"""The kiosk agent: takes its kiosk's print jobs from the portal and prints them.

One loop, one thread:

1. every HEARTBEAT_S, ask the printer about its paper;
2. poll the portal (the poll is the heartbeat carrying the printer's state, and waits up to
   HEARTBEAT_S for a new job);
3. print each job it holds, following the journal rule (``portal/domain/printing.py``), and report
   how it went.

While the printer is unreachable or out of paper, jobs wait and are tried again with a growing
pause (BACKOFF_S); while the portal is unreachable, the agent keeps trying the same way. A job is
never dropped by the agent: only the portal ends it.
"""

import dataclasses
import io
import logging
import time

from escpos.printer import Dummy
from PIL import Image

from kiosk.portal_client import NotKnown, PortalError, TokenRefused
from kiosk.receipt import Receipt, print_receipt
from kiosk.status import paper_state

HEARTBEAT_S = 5
LOGO_DOTS = {58: 160, 80: 200}  # the logo's largest side on the paper, in dots (203 dpi)
BACKOFF_S = (1, 2, 4, 8, 15)  # pauses between attempts while the printer or portal is away
log = logging.getLogger("balai.kiosk")
RECEIPT_FIELDS = {field.name for field in dataclasses.fields(Receipt)} - {"logo"}


class Stopped(BaseException):
    """Raised by a signal handler to end the agent at once (never in the middle of a print).
    A BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it."""


class Held(Exception):
    """The printer cannot take a receipt now (unreachable, out of paper); try again later."""

    def __init__(self, state, detail):
        super().__init__(detail)
        self.state, self.detail = state, detail


def one_line(error):
    """An exception as a short single line for the console."""
    return " ".join(str(error).split())[:200] or type(error).__name__


def render(receipt, target, logo=None):
    """The ESC/POS bytes of a receipt (a job's ``receipt`` dict) for ``target``'s printer, with
    ``logo`` (a PIL image) on top."""
    dummy = Dummy(profile=target.profile) if target.profile else Dummy()
    # Only what this agent knows how to print: a newer portal's additions never stop an older agent.
    fields = {key: value for key, value in receipt.items() if key in RECEIPT_FIELDS}
    fields |= {"lines": tuple(receipt.get("lines", ())), "logo": logo}
    print_receipt(dummy, Receipt(**fields), width=target.width, native_qr=target.native_qr)
    return dummy.output


class Agent:
    """Prints ``portal``'s jobs for one kiosk on ``target`` (a ``kiosk.printers.Target``)."""

    def __init__(self, portal, target, journal):
        self.portal = portal
        self.target = target
        self.journal = journal
        self.agent_id = journal.agent_id()
        self.state, self.detail = "unknown", "not asked yet"
        self.failures = 0  # attempts in a row that found the printer or portal away
        self.retry_at = 0.0
        self.next_check = 0.0
        self.printing = False  # bytes are going to the printer: a stop waits for them
        self.logos = {}  # logo URL -> picture sized for the paper

    def run(self, stop):
        """Work until ``stop`` (a threading.Event) is set; a signal handler may raise Stopped.
        Nothing but a refused token ends it: any other failure is logged and tried again later."""
        log.info("kiosk agent %s printing to %s", self.agent_id, type(self.target.printer).__name__)
        while not stop.is_set():
            try:
                pending = self.step(stop)
            except TokenRefused:
                raise
            except PortalError as exc:
                log.warning("%s", exc)
                self.back_off()
                pending = True
            except Exception:  # a bug or a surprise from a driver: keep the kiosk printing
                log.exception("kiosk agent round failed; trying again")
                self.back_off()
                pending = True
            if pending:
                stop.wait(max(0.0, min(self.retry_at, self.next_check) - time.monotonic()))

    def step(self, stop=None):
        """One round: check the printer when due, poll, print. Returns whether to pause before
        the next round (jobs wait for the printer, or a pause after a failure is not over)."""
        if time.monotonic() >= self.next_check:
            self.check_printer()
        waiting = time.monotonic() < self.retry_at
        jobs = self.portal.poll(self.agent_id, self.state, self.detail, 0 if waiting else HEARTBEAT_S)
        self.journal.keep_only(jobs)
        if waiting:
            return True
        for job in jobs:
            if stop is not None and stop.is_set():
                return False
            try:
                self.handle(job)
            except Held as held:
                self.state, self.detail = held.state, held.detail
                log.warning("receipt %s waits: %s", job["receipt"]["number"], held.detail)
                self.back_off()
                return True
        self.failures = 0
        return False

    def back_off(self):
        """Wait longer after each failure in a row (up to the last BACKOFF_S step)."""
        pause = BACKOFF_S[min(self.failures, len(BACKOFF_S) - 1)]
        self.failures += 1
        self.retry_at = time.monotonic() + pause

    def check_printer(self):
        """Ask the printer how it is (it may be away: that is a state too)."""
        self.next_check = time.monotonic() + HEARTBEAT_S
        printer = self.target.printer
        try:
            printer.open()
            try:
                self.state, self.detail = paper_state(printer)
            finally:
                printer.close()
        except Exception as exc:  # any failure to reach a printer (socket, USB, serial, file)
            self.state, self.detail = "unreachable", one_line(exc)

    def handle(self, job):
        """Print one job unless the journal says it already went out, then report it."""
        number = job["receipt"]["number"]
        noted = self.journal.state(job)
        if noted == "sending":
            self.report(job, "uncertain", "the agent stopped while sending this receipt")
            log.warning("receipt %s may be incomplete (agent stopped mid-print): reported", number)
            return
        if noted is None:
            self.send(job)
            log.info("printed receipt %s (job %s)", number, job["id"])
        self.report(job, "printed")

    def send(self, job):
        """Send a job's bytes to the printer, noting before and after in the journal."""
        data = render(job["receipt"], self.target, self.logo(job["receipt"].get("logo_url")))
        printer = self.target.printer
        try:
            printer.open()
        except Exception as exc:  # nothing was sent: safe to try again
            raise Held("unreachable", one_line(exc)) from None
        closed = False
        try:
            if self.state != "unknown":  # a printer that did not answer is not kept waiting for
                try:
                    self.state, self.detail = paper_state(printer)
                except Exception as exc:  # the status query failed: nothing was printed yet
                    raise Held("unreachable", one_line(exc)) from None
            if self.state == "out":
                raise Held("out", "out of paper")
            self.printing = True
            try:
                self.journal.note(job, "sending")
                printer._raw(data)
                closed = True
                printer.close()  # CUPS and preview printers send the receipt only here
            except Exception as exc:  # part of the receipt may be on paper: never resend it
                self.printing = False
                self.report(job, "uncertain", f"printing failed midway: {one_line(exc)}")
                raise Held("unreachable", one_line(exc)) from None
            self.journal.note(job, "sent")
            self.printing = False
        finally:
            if not closed:
                try:
                    printer.close()
                except Exception as exc:  # nothing was sent on this connection
                    log.warning("closing the printer: %s", exc)

    def logo(self, url):
        """The village logo at ``url``, fetched once and sized for the paper; None when there is
        none or it cannot be fetched now (the receipt is printed without it, never held back)."""
        if not url:
            return None
        if url not in self.logos:
            try:
                picture = Image.open(io.BytesIO(self.portal.fetch(url))).convert("L")
            except (PortalError, OSError, Image.DecompressionBombError) as exc:
                log.warning("no logo on this receipt: %s", one_line(exc))
                return None
            side = LOGO_DOTS[self.target.width]
            picture.thumbnail((side, side))
            self.logos[url] = picture
        return self.logos[url]

    def report(self, job, outcome, detail=""):
        """Tell the portal how a job ended, then drop its journal note."""
        try:
            self.portal.finish(job["id"], outcome, detail)
        except NotKnown:  # the note stays until a poll shows the job is gone (Journal.keep_only)
            log.warning("the portal does not know job %s", job["id"])
            return
        self.journal.forget(job)
