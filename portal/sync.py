"""Store-and-forward with the district hub: the worker's sync round.

A round, when one is due (``portal.domain.district`` keeps the backoff in the database, so a
restart neither hammers a dead hub nor forgets it was waiting):

1. Queue the reports that fell due (a finished day's figures, a closed poll's results).
2. Probe the hub's ``/api/v1/health``: cheap, and its ``Date`` header tells how far our clock is
   off. Every request after it is signed with our time corrected by that offset, so a Pi that
   booted without a network clock still syncs (and the offset is reported).
3. Push the outbox in batches (bounded in count and size, gzip), each signed; the cursor moves
   only when the hub's signed acknowledgement names the batch's last event. A batch the hub took
   but whose answer was lost is sent again; the hub keeps each event id once.
4. Pull the district's notices after our cursor, check the hub's signature, apply them.

Any failure ends the round with a plain-language code for the console and a longer wait.
"""

import email.utils
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta

from hub import protocol
from portal import health
from portal.domain import district, outbox
from portal.domain.village import get_village
from portal.uplink import NoRedirects

log = logging.getLogger("balai.sync")
OPENER = urllib.request.build_opener(NoRedirects)
RETRY_PAUSE_S = 1  # before sending a request again after a 5xx
MAX_BATCHES_PER_ROUND = 40  # 20,000 events: a long outage's backlog, without holding the worker for ever
MAX_NOTICE_PAGES = 10  # of 100 notices each


class SyncError(Exception):
    """A round could not finish; ``code`` (a ``sync_*`` code of ``portal.messages``) names why."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class Hub:
    """The hub as the village reaches it: ``url``, our ``code`` and ``key``, a ``timeout`` per request."""

    def __init__(self, url, code, key, timeout):
        self.base = url.rstrip("/")
        self.code = code
        self.key = key
        self.timeout = timeout
        self.offset = None  # seconds to add to our clock to get the hub's (learned by probe)

    def probe(self, clock):
        """Ask whether the hub is up; learn the clock offset from its ``Date``. Returns the offset.

        ``Date`` has whole seconds, cut off rather than rounded, so its mean is half a second
        early; it is compared with the middle of our request's round trip.
        """
        sent = clock.now()
        status, headers, _body = self._send("GET", "/api/v1/health")
        now = sent + (clock.now() - sent) / 2 - timedelta(milliseconds=500)
        if status != 200:
            raise SyncError("sync_hub_error", f"health: HTTP {status}")
        date = headers.get("Date")
        if date:
            try:
                hub_time = email.utils.parsedate_to_datetime(date)
            except (TypeError, ValueError):
                hub_time = None
            if hub_time is not None and hub_time.tzinfo is not None:
                self.offset = round((hub_time - now).total_seconds())
        return self.offset

    def push(self, now, events, report):
        """Send one batch (``report``: the appliance's health, or None); returns the acknowledgement."""
        body = protocol.pack({"events": events, "health": report})
        answer = self._signed("POST", f"/api/v1/villages/{self.code}/events", now, body)
        last = events[-1]["id"] if events else None
        if answer.get("last") != last:
            raise SyncError("sync_bad_answer", "the acknowledgement names another batch")
        return answer

    def notices(self, now, after):
        """The district's notices after cursor ``after``: ``{"notices": [...], "cursor": n}``."""
        answer = self._signed("GET", f"/api/v1/villages/{self.code}/notices?after={int(after)}", now)
        if not isinstance(answer.get("notices"), list) or not isinstance(answer.get("cursor"), int):
            raise SyncError("sync_bad_answer", "notices without a list or cursor")
        return answer

    def _signed(self, method, path, now, body=b""):
        """A signed request whose answer must be JSON signed by the hub for this request."""
        stamp = int(now.timestamp()) + (self.offset or 0)
        headers = {
            protocol.HEADER_VILLAGE: self.code,
            protocol.HEADER_TIMESTAMP: str(stamp),
            protocol.HEADER_SIGNATURE: protocol.sign(self.key, method, path, stamp, body),
        }
        if body:
            headers.update({"Content-Type": "application/json", "Content-Encoding": "gzip"})
        status, answer_headers, answer = self._send(method, path, body, headers)
        if status in (401, 403):
            raise SyncError("sync_refused", refusal(answer, status))
        if status != 200:
            raise SyncError("sync_hub_error", refusal(answer, status))
        signature = answer_headers.get(protocol.HEADER_SIGNATURE)
        if not protocol.same(signature, protocol.sign_response(self.key, path, stamp, answer)):
            raise SyncError("sync_bad_answer", "the answer is not signed with our key")
        try:
            document = json.loads(answer)
        except ValueError:
            raise SyncError("sync_bad_answer", "the answer is not JSON") from None
        if not isinstance(document, dict):
            raise SyncError("sync_bad_answer", "the answer is not a JSON object")
        return document

    def _send(self, method, path, body=b"", headers=None):
        """``(status, headers, body)`` of a request, sent once more after a 5xx answer (a hub behind
        a flaky proxy, or restarting): without that a link failing every other request would fail
        every round. Safe, because the hub keeps each event once and pulls change nothing."""
        status, answer_headers, answer = self._send_once(method, path, body, headers)
        if status >= 500:
            time.sleep(RETRY_PAUSE_S)
            status, answer_headers, answer = self._send_once(method, path, body, headers)
        return status, answer_headers, answer

    def _send_once(self, method, path, body, headers):
        """``(status, headers, body)`` of one request; SyncError when the hub cannot be reached."""
        request = urllib.request.Request(
            self.base + path, data=body or None, method=method, headers={"User-Agent": "Balai", **(headers or {})}
        )
        try:
            with OPENER.open(request, timeout=self.timeout) as response:
                return response.status, response.headers, response.read(protocol.MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            with exc:
                if 300 <= exc.code < 400:
                    # Never follow: a POST would arrive as a GET, and the signed headers elsewhere.
                    raise SyncError("sync_moved", f"HTTP {exc.code} to {exc.headers.get('Location', '?')}") from None
                return exc.code, exc.headers, exc.read(64 * 1024)
        except TimeoutError as exc:
            raise SyncError("sync_timeout", str(exc)) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SyncError("sync_timeout", str(exc.reason)) from None
            raise SyncError("sync_unreachable", str(exc.reason)[:200]) from None
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise SyncError("sync_unreachable", f"{type(exc).__name__}: {exc}"[:200]) from None


def refusal(body, status):
    """The reason a hub gave for refusing us, for the console's detail line."""
    try:
        return str(json.loads(body).get("error", ""))[:200] or f"HTTP {status}"
    except (ValueError, AttributeError):
        return f"HTTP {status}"


def village_code(settings, session):
    """BALAI_VILLAGE_CODE, else the code in the village profile, as its digits ("32.01.01.2001"
    and "3201012001" are the same village)."""
    code = settings["BALAI_VILLAGE_CODE"]
    if not code:
        village = get_village(session)
        code = village.code if village else ""
    return re.sub(r"[\s.]", "", code)


def sync_round(balai, force=False):
    """One round of the sync (see the module's docstring); returns what happened, for the log.
    ``force`` ignores the backoff (tests and ``worker --once``)."""
    settings = balai.settings
    now = balai.clock.now()
    interval = settings["BALAI_SYNC_INTERVAL"]
    with balai.db.write() as session:
        queued = district.queue_reports(session, now)
        code = village_code(settings, session)
        if not settings["BALAI_UPSTREAM_URL"]:
            return {"sync": "off (no BALAI_UPSTREAM_URL)", "reports_queued": queued}
        if not force and not district.due(session, now):
            return {"sync": "waiting", "reports_queued": queued}
        problem = configuration_problem(settings, code)
        if problem:
            district.failed(session, now, interval, *problem)
            return {"sync": f"failed: {problem[0]}", "reports_queued": queued}
    hub = Hub(settings["BALAI_UPSTREAM_URL"], code, settings["BALAI_UPSTREAM_KEY"], settings["BALAI_SYNC_TIMEOUT"])
    try:
        offset = hub.probe(balai.clock)
        pushed, more = push_all(balai, hub)
        with balai.db.write() as session:
            district.contacted(session, balai.clock.now(), offset)  # even if the pull fails next
        applied = pull(balai, hub)
    except Exception as exc:
        if not isinstance(exc, SyncError):
            log.exception("sync round failed unexpectedly")
            exc = SyncError("sync_failed", f"{type(exc).__name__}: {exc}")
        with balai.db.write() as session:
            retry = district.failed(session, balai.clock.now(), interval, exc.code, exc.detail, hub.offset)
        log.warning("sync failed (%s), next attempt at %s", exc, retry.isoformat())
        return {"sync": f"failed: {exc.code}", "detail": exc.detail, "reports_queued": queued}
    with balai.db.write() as session:
        # A backlog longer than one round goes on at the worker's next round.
        district.succeeded(session, balai.clock.now(), 0 if more else interval, offset)
    return {"sync": "ok", "pushed": pushed, "notices_applied": applied, "clock_offset_s": offset}


def configuration_problem(settings, code):
    """``(code, detail)`` when the sync cannot even be tried, else None."""
    if not protocol.VILLAGE_CODE.fullmatch(code):
        return "sync_no_village_code", f"BALAI_VILLAGE_CODE {code!r}"
    try:
        protocol.key_bytes(settings["BALAI_UPSTREAM_KEY"])
    except protocol.BadRequest:
        return "sync_bad_key", "BALAI_UPSTREAM_KEY"
    return None


def push_all(balai, hub):
    """Push batches until the outbox is empty or the round's limit is reached; the first carries the
    health. Returns ``(events the hub acknowledged, whether more wait)``."""
    pushed = 0
    facts = health.system(balai.settings)  # system commands, outside any database transaction
    for number in range(MAX_BATCHES_PER_ROUND):
        now = balai.clock.now()
        with balai.db.read() as session:
            sync = district.state(session)
            last, events = outbox.batch(session, sync.pushed_seq, protocol.MAX_BATCH_EVENTS, protocol.MAX_BATCH_BYTES)
            report = health.collect(facts, session, now, hub.offset) if number == 0 else None
        if not events and number > 0:
            return pushed, False
        hub.push(now, events, report)
        with balai.db.write() as session:
            district.acknowledged(session, last)
        pushed += len(events)
        if not events:
            return pushed, False
    with balai.db.read() as session:
        return pushed, outbox.pending(session, district.state(session).pushed_seq) > 0


def pull(balai, hub):
    """Fetch and apply the district's notices after our cursor, page by page (a bounded number);
    returns how many changed something."""
    applied = 0
    for _ in range(MAX_NOTICE_PAGES):
        with balai.db.read() as session:
            after = district.state(session).notice_cursor
        answer = hub.notices(balai.clock.now(), after)
        with balai.db.write() as session:
            applied += district.apply_notices(session, answer["notices"], answer["cursor"], balai.clock.now())
        if answer["cursor"] <= after or not answer["notices"]:
            break
    return applied
