"""Print jobs: receipts for a kiosk's printer, handed to its agent over HTTP.

A ticket taken at a paired kiosk gets a job in the same transaction as the ticket, so the two
are never apart; printing itself happens later, in the agent, and never holds issuing up.

Job statuses::

    queued --claim--> claimed --printed--> printed
                         |-----uncertain--> uncertain --reprint--> reprinted (and a new job)
                         |                      \\--confirm--> printed (an official saw the paper)
                         \\--(ticket ended)--> dropped   (nothing to print for a finished ticket)

**The rule against double printing: at most once, and never silently lost.** The agent notes in
a journal of its own (``kiosk/journal.py``) that it is *sending* a job's bytes, then that they
were *sent*, and only then acknowledges to the portal. The portal hands a claimed job to the same
agent on every poll until it hears the outcome, so a job survives a restart of either side. When
a restarted agent is handed a job again it looks in its journal: nothing there → print it;
*sent* → acknowledge without printing; *sending* (it died during the write, so part of the
receipt may be on paper) → report it ``uncertain`` and do not print it again. An uncertain job is
shown on the kiosk screen (note the number, scan the QR) and in the console, where one tap
reprints it as a new job.

**Test prints** (the console's "test print" button) belong to no ticket, and a print_jobs row
needs one, so they live in memory only: one per kiosk at most, handed to its agent with the
kiosk's jobs under an id from TEST_IDS up (far beyond any row's) and a fresh token in place of the
ticket (so the agent's journal never mistakes one for another), until the agent reports how it
went. A portal restart forgets a test print not yet printed; the official presses the button again.
"""

import secrets
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from portal.domain import kiosks, letter_requests
from portal.domain.errors import NotFound, Refused
from portal.domain.queue import ACTIVE
from portal.domain.village import business_day, get_village
from portal.models import Kiosk, PrintJob, Ticket

# A claimed job goes to another agent with the same token only after its agent has been quiet
# this long (a kiosk moved to a new Pi); the agent that claimed it renews the claim every poll.
CLAIM_LEASE = timedelta(seconds=60)
OUTCOMES = ("printed", "uncertain")
MAX_WAIT_S = 25  # longest poll a kiosk agent may hold (it holds one server thread)
# Test prints' job ids start here: print_jobs rows count up from 1 and never get this far, and the
# number is still exact in JSON (below 2**53).
TEST_IDS = 2**52


def normal_number(text):
    """A ticket number as typed (``a12``, ``A 012``) in its stored form (``A-012``), or the text
    unchanged when it does not look like one."""
    compact = text.strip()[:12].upper().replace(" ", "").replace("-", "")
    prefix = compact.rstrip("0123456789")
    digits = compact[len(prefix) :]
    return f"{prefix}-{int(digits):03d}" if prefix and digits else text.strip()


class PrintJobs:
    """The print queues of every kiosk, and the waiting room where agents poll for work."""

    def __init__(self, db, clock, queue):
        self.db = db
        self.clock = clock
        self.queue = queue
        self._changed = threading.Condition()
        self._generation = {}  # kiosk id -> count of new jobs, for waiting agents
        self._closing = False
        self._tests = {}  # kiosk id -> its latest test print (see the module's docstring)
        self._test_ids = 0  # test prints asked for so far (their ids count up from TEST_IDS)

    def notify(self, kiosk_id):
        """Wake the agent of ``kiosk_id``: it has a new job."""
        with self._changed:
            self._generation[kiosk_id] = self._generation.get(kiosk_id, 0) + 1
            self._changed.notify_all()

    def close(self):
        """Send every waiting agent its answer now: the server is stopping."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()

    def poll(self, kiosk_id, agent_id, state, detail, wait=0.0):
        """An agent's poll: record its heartbeat, claim the kiosk's queued jobs and return every
        job it holds (oldest first). With none, wait up to ``wait`` seconds for one."""
        deadline = time.monotonic() + min(max(wait, 0), MAX_WAIT_S)
        heartbeat = True
        while True:
            with self._changed:
                seen = self._generation.get(kiosk_id, 0)
            jobs = self._claim(kiosk_id, agent_id, state, detail, heartbeat) + self._test_jobs(kiosk_id)
            heartbeat = False
            remaining = deadline - time.monotonic()
            if jobs or remaining <= 0 or self._closing:
                return jobs
            with self._changed:
                if self._generation.get(kiosk_id, 0) == seen and not self._closing:
                    self._changed.wait(timeout=remaining)

    def _claim(self, kiosk_id, agent_id, state, detail, heartbeat):
        """Claim queued jobs for ``agent_id`` and return the ones it holds, as print views.

        Jobs whose ticket has ended (served, cancelled, a past day) are dropped, not printed.
        """
        now = self.clock.now()
        with self.db.write() as session:
            if heartbeat:
                kiosks.heartbeat(session, kiosk_id, agent_id, state, detail, now)
            mine = (PrintJob.kiosk_id == kiosk_id) & (
                (PrintJob.status == "queued")
                | (
                    (PrintJob.status == "claimed")
                    & ((PrintJob.agent_id == agent_id) | (PrintJob.claimed_at < now - CLAIM_LEASE))
                )
            )
            ids = session.scalars(
                update(PrintJob)
                .where(mine)
                .values(status="claimed", agent_id=agent_id, claimed_at=now)
                .returning(PrintJob.id)
            ).all()
            if not ids:
                return []  # the usual poll: a heartbeat and nothing to print
            jobs = session.execute(
                select(PrintJob.id, PrintJob.ticket_id, PrintJob.reason, PrintJob.lang)
                .where(PrintJob.id.in_(ids))
                .order_by(PrintJob.id)
            ).all()
            village = get_village(session)
            # A ticket taken for a letter request prints the request's tracking code too.
            codes = letter_requests.codes_for_tickets(session, [job.ticket_id for job in jobs])
        views = []
        for job in jobs:
            ticket = self.queue.ticket(job.ticket_id)
            if ticket["status"] not in ACTIVE:
                self._drop(job.id, f"ticket {ticket['status']}")
                continue
            views.append(
                {
                    "id": job.id,
                    "reason": job.reason,
                    "lang": job.lang,
                    "ticket": ticket,
                    "village": village.name,
                    "timezone": village.timezone,
                    "letter": codes.get(job.ticket_id),
                }
            )
        return views

    def _drop(self, job_id, detail):
        """Give up a claimed job whose ticket has ended (unless an outcome came in meanwhile)."""
        with self.db.write() as session:
            session.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id, PrintJob.status == "claimed")
                .values(status="dropped", detail=detail[:200], finished_at=self.clock.now())
            )

    def finish(self, kiosk_id, job_id, outcome, detail=""):
        """An agent's outcome for a job of its kiosk: ``printed`` or ``uncertain``.

        Repeating an outcome is harmless (an acknowledgement whose answer was lost is sent
        again). ``printed`` wins over anything: the paper is out. ``uncertain`` only applies to a
        job not yet finished.
        """
        if outcome not in OUTCOMES:
            raise Refused("bad_outcome", outcome=outcome)
        if job_id >= TEST_IDS:
            return self._finish_test(kiosk_id, job_id, outcome, detail)
        with self.db.write() as session:
            job = session.get(PrintJob, job_id)
            if job is None or job.kiosk_id != kiosk_id:
                raise NotFound("unknown_job", job=job_id)
            if outcome == "printed" or job.status in ("queued", "claimed"):
                job.status = outcome
                job.detail = detail[:200]
                job.finished_at = self.clock.now()
            return {"id": job.id, "status": job.status}

    def reprint(self, ticket_id, kiosk_id=None, lang="id"):
        """Queue the receipt of an active ticket again, on ``kiosk_id`` or else on the kiosk that
        printed it last (or the only kiosk). Returns the new job's id, or that of a receipt of the
        ticket still waiting to print there (which the reprint would only double)."""
        ticket = self.queue.ticket(ticket_id)
        if ticket["status"] not in ACTIVE:
            raise Refused("reprint_finished", number=ticket["number"])
        with self.db.write() as session:
            if kiosk_id is None:
                kiosk_id = session.scalar(
                    select(PrintJob.kiosk_id).where(PrintJob.ticket_id == ticket_id).order_by(PrintJob.id.desc())
                )
            if kiosk_id is None:
                only = session.scalars(select(Kiosk.id)).all()
                kiosk_id = only[0] if len(only) == 1 else None
            if kiosk_id is None or session.get(Kiosk, kiosk_id) is None:
                raise Refused("no_kiosk_printer")
            # The reprint answers any doubt about the ticket's earlier receipts.
            session.execute(
                update(PrintJob)
                .where(PrintJob.ticket_id == ticket_id, PrintJob.status == "uncertain")
                .values(status="reprinted")
            )
            # A receipt of this ticket still on its way (a double tap, two officials, a printer
            # out of paper) is the reprint: one more would come out too.
            waiting = session.scalar(
                select(PrintJob.id).where(
                    PrintJob.ticket_id == ticket_id,
                    PrintJob.kiosk_id == kiosk_id,
                    PrintJob.status.in_(("queued", "claimed")),
                )
            )
            if waiting is not None:
                return waiting
            job = PrintJob(**kiosks.job_row(kiosk_id, ticket_id, lang, self.clock.now(), reason="reprint"))
            session.add(job)
            session.flush()
            job_id = job.id
        self.notify(kiosk_id)
        return job_id

    def test_print(self, kiosk_id, lang="id"):
        """Have ``kiosk_id``'s printer print a test receipt (the village's name, the date and time,
        in ``lang``); returns the test print (see ``tests``). While one is still waiting to print,
        that one is returned instead of a second."""
        with self.db.read() as session:
            kiosk = session.get(Kiosk, kiosk_id)
            if kiosk is None:
                raise NotFound("unknown_kiosk", name=str(kiosk_id))
            village = get_village(session)
        with self._changed:
            test = self._tests.get(kiosk_id)
            if test is None or test["status"] != "queued":
                self._test_ids += 1
                test = {
                    "id": TEST_IDS + self._test_ids,
                    "reason": "test",
                    "ticket": f"test-{secrets.token_urlsafe(9)}",
                    "lang": lang,
                    "kiosk": kiosk.name,
                    "village": village.name if village else "",
                    "timezone": village.timezone if village else "Asia/Jakarta",
                    "status": "queued",
                    "detail": "",
                    "asked_at": self.clock.now(),
                    "finished_at": None,
                }
                self._tests[kiosk_id] = test
        self.notify(kiosk_id)
        return dict(test)

    def tests(self):
        """``{kiosk id: its latest test print}``: ``status`` queued, printed or uncertain, with
        ``asked_at``, ``finished_at`` and the agent's ``detail``."""
        with self._changed:
            return {kiosk_id: dict(test) for kiosk_id, test in self._tests.items()}

    def _test_jobs(self, kiosk_id):
        """The kiosk's test print as a job for its agent, while it waits to print."""
        with self._changed:
            test = self._tests.get(kiosk_id)
            return [dict(test)] if test is not None and test["status"] == "queued" else []

    def _finish_test(self, kiosk_id, job_id, outcome, detail):
        """An agent's outcome for a test print (``finish``'s rules: ``printed`` wins)."""
        with self._changed:
            test = self._tests.get(kiosk_id)
            if test is None or test["id"] != job_id:
                raise NotFound("unknown_job", job=job_id)
            if outcome == "printed" or test["status"] == "queued":
                test.update(status=outcome, detail=detail[:200], finished_at=self.clock.now())
            return {"id": job_id, "status": test["status"]}

    def confirm(self, job_id):
        """An official saw that an uncertain receipt did print after all."""
        with self.db.write() as session:
            job = session.get(PrintJob, job_id)
            if job is None:
                raise NotFound("unknown_job", job=job_id)
            if job.status == "uncertain":
                job.status = "printed"
                job.detail = "confirmed by an official"
            return {"id": job.id, "number": job.ticket.number}

    def reprint_number(self, number, kiosk_id):
        """Reprint today's ticket with this number (``A-012``; ``a12`` works too); returns the
        new job's id and the number as printed."""
        wanted = normal_number(number)
        with self.db.read() as session:
            day = business_day(session, self.clock.now())
            ticket_id = session.scalar(select(Ticket.id).where(Ticket.day == day, Ticket.number == wanted))
        if ticket_id is None:
            raise NotFound("unknown_number", number=number.strip()[:12])
        return self.reprint(ticket_id, kiosk_id), wanted

    def for_ticket(self, ticket_id):
        """What the kiosk screen says about a ticket's receipt: None when it has no print job,
        else ``printed``, ``printing``, ``uncertain`` or the printer problem holding it
        (``out``, ``unreachable``, ``offline``, ``never``)."""
        with self.db.read() as session:
            job = session.scalar(
                select(PrintJob).where(PrintJob.ticket_id == ticket_id).order_by(PrintJob.id.desc()).limit(1)
            )
            if job is None or job.status == "dropped":
                return None
            if job.status in ("printed", "uncertain"):
                return job.status
            state = kiosks.printer_state(job.kiosk, self.clock.now())
            return state if state in kiosks.HELD else "printing"
