"""Does the village ⇄ hub sync deliver every event exactly once when the link misbehaves?

A real hub (``python -m hub serve``) listens on a loopback port; the village reaches it through
``tests/faulty_proxy.py``, which refuses, fails, delays, duplicates or holds requests on demand.
After each fault the hub must hold exactly the village's events (the same ids, none twice) and
its figures (``python -m hub stats``) must equal the village's, which would be off if an event
were counted twice. The village runs in the test's process on its FakeClock (hours away from the
hub's real clock: the sync corrects for that), except where a worker process is killed.
"""

import itertools
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import portal
from hub import protocol
from portal.domain import district, outbox
from portal.domain.complaints import submit
from portal.domain.village import business_day
from portal.models import OutboxEvent, Ticket
from portal.sync import Hub, SyncError, sync_round
from tests import postgres
from tests.conftest import free_port, need, settings_for
from tests.faulty_proxy import FaultyProxy
from tests.hub_process import ROOT, HubProcess

CODES = (f"3203112{n:03d}" for n in itertools.count(1))  # a village of its own for every test
TIMEOUT_S = 1  # BALAI_SYNC_TIMEOUT: short, so timeouts cost little
WAIT_S = 30  # the longest any step of a test may wait for another process


@dataclass
class Village:
    """A village under test: its Balai, its code on the hub, and the proxy in between."""

    balai: object
    code: str
    hub: HubProcess
    proxy: FaultyProxy

    def round(self, force=True):
        """One sync round in this process."""
        return sync_round(self.balai, force=force)

    def state(self):
        """The sync's state row, detached."""
        with self.balai.db.read() as session:
            return district.state(session)

    def pending(self):
        """Events not yet acknowledged by the hub."""
        with self.balai.db.read() as session:
            return outbox.pending(session, district.state(session).pushed_seq)

    def sync_until_empty(self, rounds=10):
        """Run forced rounds until the outbox is empty (at most ``rounds``); returns their results."""
        results = []
        for _ in range(rounds):
            results.append(self.round())
            if results[-1]["sync"] == "ok" and self.pending() == 0:
                return results
        raise AssertionError(f"the outbox is not empty after {rounds} rounds: {results}")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One hub on SQLite for the module's tests (each test has a village of its own)."""
    process = HubProcess(tmp_path_factory.mktemp("hub"), free_port())
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def cluster():
    """A private PostgreSQL server for the module."""
    need(postgres.binaries() is not None, "PostgreSQL not installed (tests/setup-system.sh installs it as root)")
    server = postgres.Cluster()
    yield server
    server.stop()


@pytest.fixture
def connect(data_dir, clock):
    """Connect this test's village to a hub through a fresh proxy: ``connect(hub)``."""
    made = []

    def make(hub):
        code = next(CODES)
        key = hub.add_village(code, f"Desa Uji {code[-3:]}")
        proxy = FaultyProxy(hub.url, free_port())
        proxy.up()
        overrides = {
            "BALAI_UPSTREAM_URL": proxy.url,
            "BALAI_UPSTREAM_KEY": key,
            "BALAI_VILLAGE_CODE": code,
            "BALAI_SYNC_TIMEOUT": TIMEOUT_S,
            "BALAI_CAPTIVE": "off",
        }
        balai = portal.make_balai(portal.config.load(overrides=settings_for(data_dir, **overrides)), clock)
        made.append((balai, proxy))
        return Village(balai, code, hub, proxy)

    yield make
    for balai, proxy in made:
        proxy.release()
        proxy.down()
        balai.db.dispose()


@pytest.fixture
def village(connect, hub):
    """This test's village, connected to the module's hub."""
    return connect(hub)


def serve(balai, tickets=3, served=2):
    """Residents take ``tickets`` tickets at the hall; counter 1 serves ``served`` of them."""
    for _ in range(tickets):
        balai.queue.issue("surat")
    for _ in range(served):
        balai.queue.call_next(1)
        balai.queue.complete(1)


def complain(balai, text="Lampu jalan di RT 03 mati sejak minggu lalu."):
    """A resident sends a complaint (forwarded to the district)."""
    with balai.db.write() as session:
        submit(session, "infrastructure", text, now=balai.clock.now(), forward=True)


def business(balai, backlog=0):
    """Some tickets and a complaint, then ``backlog`` ticket events written straight into the
    outbox in one transaction: a long outage's backlog, quicker than issuing that many tickets
    (the hub counts them as tickets issued)."""
    serve(balai)
    complain(balai)
    now = balai.clock.now()
    with balai.db.write() as session:
        day = business_day(session, now).isoformat()
        for number in range(backlog):
            data = {"ticket": outbox.ref(f"backlog-{now.timestamp()}-{number}"), "day": day, "service": "surat"}
            outbox.add(session, "ticket.issued", data, now)


def assert_exactly_once(village, tickets=False):
    """The hub holds exactly the village's events, none twice, and its figures equal the village's.
    ``tickets``: also compare with the village's own ticket rows (when no backlog was made up)."""
    with village.balai.db.read() as session:
        ids = list(session.scalars(select(OutboxEvent.id)))
        kinds = Counter(session.scalars(select(OutboxEvent.kind)))
        issued = session.scalar(select(func.count()).select_from(Ticket))
        served = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "done"))
    assert village.pending() == 0
    on_hub = village.hub.event_ids(village.code)
    assert len(on_hub) == len(set(on_hub)), "the hub keeps an event twice"
    assert set(on_hub) == set(ids), f"lost: {len(set(ids) - set(on_hub))}, unknown: {len(set(on_hub) - set(ids))}"
    stats = village.hub.stats(village.code)
    assert stats["events"] == len(ids)
    assert stats["tickets_issued"] == kinds["ticket.issued"]
    assert stats["tickets_served"] == kinds["ticket.served"]
    assert stats["complaints"] == kinds["complaint.received"]
    if tickets:
        assert (stats["tickets_issued"], stats["tickets_served"]) == (issued, served)
    return stats


@pytest.mark.slow
def test_hub_down_for_a_whole_day_then_up(village, clock):
    """A day without the hub: rounds back off (doubling, capped at an hour, jittered) and are not
    tried before they are due; once the hub is back, the day's events and the finished day's
    report all arrive, once."""
    balai = village.balai
    village.proxy.down()
    interval = balai.settings["BALAI_SYNC_INTERVAL"]
    end = clock.now() + timedelta(days=1)
    with balai.db.read() as session:
        first_day = business_day(session, clock.now()).isoformat()
    attempts, capped = 0, []
    for step in range(24 * 6 + 1):  # ten-minute steps through the day
        if clock.now() >= end:
            break
        if step % 6 == 0:
            serve(balai, tickets=2, served=1)
        before = village.state()
        result = village.round(force=False)
        after = village.state()
        if before.next_attempt_at is not None and clock.now() < before.next_attempt_at:
            assert result["sync"] == "waiting"
            assert (after.failures, after.last_attempt_at) == (before.failures, before.last_attempt_at)
        else:
            attempts += 1
            assert result["sync"] == "failed: sync_unreachable"
            assert after.failures == before.failures + 1 and after.last_error == "sync_unreachable"
            span = min(district.MAX_BACKOFF_S, interval * 2 ** (after.failures - 1))
            delay = (after.next_attempt_at - clock.now()).total_seconds()
            assert span / 2 - 1e-3 <= delay <= span + 1e-3, (after.failures, delay)
            if span == district.MAX_BACKOFF_S:
                capped.append(delay)
        clock.advance(minutes=10)
    assert 20 <= attempts <= 60 and attempts == village.state().failures
    assert len(capped) > 10 and len(set(capped)) == len(capped), "capped waits should be jittered"
    assert village.proxy.received == Counter(), "nothing reached the hub's address"
    with balai.db.read() as session:
        report = session.scalar(select(OutboxEvent).where(OutboxEvent.kind == "stats.daily"))
    assert report is not None and f'"day":"{first_day}"' in report.payload, "the first day's report waits"

    village.proxy.up()
    results = []
    for _ in range(5):  # the worker's rounds from now on: each when it falls due
        clock.set(max(clock.now(), village.state().next_attempt_at))
        results.append(village.round(force=False))
        if results[-1]["sync"] == "ok" and village.pending() == 0:
            break
    assert [r["sync"] for r in results] == ["ok"], results
    assert village.state().failures == 0 and village.state().last_error == ""
    assert report.id in village.hub.event_ids(village.code)
    assert_exactly_once(village, tickets=True)


@pytest.mark.parametrize("reach", [False, True], ids=["before-the-hub", "after-the-hub"])
def test_every_other_push_answered_500(village, reach):
    """More than one push's worth of events, every other push answered 500 (either before the hub
    saw it, or after the hub took it and the answer was lost): each refused push is sent again,
    and the hub ends with each event once."""
    business(village.balai, backlog=2 * protocol.MAX_BATCH_EVENTS + 200)
    village.proxy.fault("fail", paths="/events", reach=reach)
    results = village.sync_until_empty()
    assert [r["sync"] for r in results] == ["ok"]  # each 500 is answered by sending the batch again
    pushes = village.proxy.count("POST", "/events")
    assert pushes == 5  # three batches, the second and third answered 500 once and sent again
    delivered = [a for a in village.proxy.answers if a[0] == "POST"]
    assert len(delivered) == (5 if reach else 3) and all(status == 200 for *_, status in delivered)
    assert_exactly_once(village)


def test_every_other_request_answered_500(village):
    """Every other request of any kind answered 500 (health probe, pushes, notices alike): the
    sync still gets everything through, in a bounded number of rounds."""
    serve(village.balai)
    village.proxy.fault("fail")
    village.sync_until_empty(rounds=10)
    assert_exactly_once(village, tickets=True)


def test_answers_delayed_past_the_timeout(village):
    """The hub answers, but later than the village waits: the round gives up at its timeout (the
    hub took the batch), the cursor stays, and the batch sent again is kept once."""
    business(village.balai)
    village.proxy.fault("delay", seconds=TIMEOUT_S + 3)
    assert village.round()["sync"] == "failed: sync_timeout"  # the health probe

    village.proxy.fault("delay", paths="/events", seconds=TIMEOUT_S + 3)
    started = datetime.now(UTC)
    assert village.round()["sync"] == "failed: sync_timeout"
    assert (datetime.now(UTC) - started).total_seconds() < TIMEOUT_S + 2, "the round waited for the late answer"
    assert village.state().pushed_seq == 0
    assert len(village.hub.event_ids(village.code)) == village.pending(), "the hub took the batch"

    village.proxy.fault("pass")
    village.sync_until_empty(rounds=1)
    assert_exactly_once(village, tickets=True)


def test_the_same_batch_delivered_twice(village):
    """Every request reaches the hub twice (a retrying proxy): the second delivery changes nothing."""
    business(village.balai, backlog=protocol.MAX_BATCH_EVENTS + 10)
    village.proxy.fault("twice")
    village.sync_until_empty(rounds=1)
    pushes = [a for a in village.proxy.answers if a[0] == "POST"]
    assert len(pushes) == 4 and village.proxy.count("POST", "/events") == 2
    assert_exactly_once(village)


@pytest.mark.slow
def test_worker_killed_between_sending_and_recording_the_acknowledgement(village, data_dir):
    """``python -m portal worker --once`` is killed after the hub took a batch but before the
    worker recorded the hub's acknowledgement: the cursor has not moved, and the next round sends
    the batch again, which the hub keeps once."""
    balai = village.balai
    business(balai, backlog=protocol.MAX_BATCH_EVENTS + 100)
    balai.db.dispose()
    settings = balai.settings
    env = {
        **os.environ,
        "BALAI_DATA_DIR": str(data_dir),
        "BALAI_CONFIG": str(data_dir / "balai.conf"),
        "BALAI_UPSTREAM_URL": settings["BALAI_UPSTREAM_URL"],
        "BALAI_UPSTREAM_KEY": settings["BALAI_UPSTREAM_KEY"],
        "BALAI_VILLAGE_CODE": village.code,
        "BALAI_SYNC_TIMEOUT": str(WAIT_S),
        "BALAI_CAPTIVE": "off",
    }
    village.proxy.fault("hold", paths="/events")
    with open(data_dir / "worker.log", "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "portal", "worker", "--once"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        held = village.proxy.held.wait(WAIT_S)
        assert held, f"the worker's push never came: {(data_dir / 'worker.log').read_text(errors='replace')}"
        assert village.proxy.answers[-1][2] == 200, "the hub took the batch"
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=WAIT_S) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=WAIT_S)
    village.proxy.fault("pass")
    village.proxy.release()
    assert village.state().pushed_seq == 0, "no acknowledgement was recorded"
    assert len(village.hub.event_ids(village.code)) == protocol.MAX_BATCH_EVENTS

    village.sync_until_empty(rounds=1)
    assert_exactly_once(village)


@pytest.mark.parametrize(
    "skew",
    [None, timedelta(days=-3), timedelta(hours=5), timedelta(minutes=-7)],
    ids=["test-clock", "3-days-slow", "5-h-fast", "7-min-slow"],
)
def test_clock_skew(village, clock, skew):
    """The village's clock is far from the hub's (a Pi that booted without a network clock; the
    tests' own Monday 09:00 is one too): it signs with the offset learned from the hub's Date
    header, syncs, and reports the offset, which the console and the hub both show."""
    if skew is not None:
        clock.set(datetime.now(UTC) + skew)
    business(village.balai)
    least = (datetime.now(UTC) - clock.now()).total_seconds() - 2  # the Date header has whole seconds
    result = village.sync_until_empty(rounds=1)[0]
    most = (datetime.now(UTC) - clock.now()).total_seconds() + 2
    stats = assert_exactly_once(village, tickets=True)
    for offset in (result["clock_offset_s"], village.state().clock_offset_s, stats["clock_offset_s"]):
        assert least <= offset <= most

    key = village.balai.settings["BALAI_UPSTREAM_KEY"]
    with pytest.raises(SyncError) as refused:  # without the offset the stamp is outside the hub's window
        Hub(village.proxy.url, village.code, key, TIMEOUT_S).push(clock.now(), [], None)
    assert refused.value.code == "sync_refused" and "window" in refused.value.detail


@pytest.mark.slow
def test_exactly_once_on_postgresql(connect, cluster, tmp_path):
    """The same faults against a hub that stores in PostgreSQL: each event once."""
    hub = HubProcess(tmp_path / "pg-hub", free_port(), database_url=cluster.url())
    hub.start()
    try:
        village = connect(hub)
        for mode, paths, reach in (("twice", "", False), ("fail", "/events", True)):
            business(village.balai, backlog=protocol.MAX_BATCH_EVENTS + 50)
            village.proxy.fault(mode, paths=paths, reach=reach)
            village.sync_until_empty(rounds=5)
        assert_exactly_once(village)
    finally:
        hub.stop()
