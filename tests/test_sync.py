"""The village's outbox and its sync with a real hub on a loopback port (SQLite and PostgreSQL)."""

import json
import socket
import threading
from datetime import timedelta

import pytest
from flask import Flask, request
from flask import json as flask_json
from sqlalchemy import select

from hub import create_app as create_hub
from hub import notices, protocol, villages
from hub.models import Day as HubDay
from portal import config, health, make_balai, sync
from portal.domain import complaints, district, kiosks, outbox, polls
from portal.domain.audit import SYSTEM
from portal.models import Announcement, DistrictMessage, OutboxEvent, Ticket
from portal.sync import sync_round
from tests.conftest import serving, settings_for

CODE = "3203112005"  # the demo village's code (32.03.11.2005)


def events(balai, kind=None):
    """The outbox as ``[(kind, data)]`` in order (of one kind when given)."""
    with balai.db.read() as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
    return [(r.kind, json.loads(r.payload)) for r in rows if kind is None or r.kind == kind]


# -- what the outbox records ------------------------------------------------------------------


def test_ticket_events_travel_with_timings_but_without_the_ticket_key(balai, queue, clock):
    """What does the district learn of a ticket? Its day, service and timings, under a one-way reference."""
    before = len(events(balai))
    ticket = queue.issue("surat", source="kiosk")
    clock.advance(minutes=10)
    queue.call_next(1)
    clock.advance(minutes=2)
    queue.start(1)
    clock.advance(minutes=5)
    queue.complete(1)
    recorded = events(balai)[before:]
    assert [kind for kind, _ in recorded] == ["ticket.issued", "ticket.served"]
    issued, served = recorded[0][1], recorded[1][1]
    assert issued == {"ticket": outbox.ref(ticket["id"]), "day": "2026-11-23", "service": "surat",
                      "source": "kiosk", "priority": False}  # fmt: skip
    assert (served["wait_s"], served["service_s"], served["counter"]) == (600, 300, "Loket 1")
    assert ticket["id"] not in json.dumps(recorded)


def test_a_refused_ticket_leaves_no_event(balai, queue, clock):
    """Is the event written with the change, and only with it? A refused ticket records nothing."""
    before = len(events(balai))
    clock.advance(hours=12)  # 21:00: the capped demo service is closed
    with pytest.raises(Exception):  # noqa: B017 - the domain's Refused
        queue.issue("bansos")
    assert len(events(balai)) == before


def test_skips_and_cancellations_are_reported(balai, queue):
    """Are no-shows and cancellations reported too? Each as its own event."""
    queue.issue("surat")
    second = queue.issue("surat")
    queue.call_next(1)
    queue.skip(1)
    queue.cancel(second["id"])
    kinds = [kind for kind, _ in events(balai) if kind in ("ticket.skipped", "ticket.cancelled", "ticket.requeued")]
    assert kinds == ["ticket.skipped", "ticket.cancelled"]


def test_a_requeued_no_show_served_later_counts_once_on_the_hub(data_dir, clock, hub):
    """Does a ticket skipped, put back and then served count as a no-show on the hub? No: the
    requeue takes the skip back, and the hub's day agrees with the village's own figures."""
    url, key, app = hub
    balai = village(data_dir, clock, url, key)
    ticket = balai.queue.issue("surat")
    balai.queue.call_next(1)
    balai.queue.skip(1)
    balai.queue.requeue(ticket["id"])
    balai.queue.call_next(1)
    balai.queue.complete(1)
    assert sync_round(balai, force=True)["sync"] == "ok"
    with app.extensions["hub"].store.read() as session:
        (day,) = session.scalars(select(HubDay)).all()
    assert (day.issued, day.served, day.skipped) == (1, 1, 0)
    balai.db.dispose()


def test_complaints_travel_without_name_or_contact(balai, clock):
    """What of a complaint leaves the village? Category and status always; the text only when forwarded."""
    with balai.db.write() as session:
        kept = complaints.submit(session, "health", "Posyandu tutup terus", "Bu Sari", "0812", now=clock.now())
        sent = complaints.submit(session, "infrastructure", "Jembatan rusak parah", "Pak Ahmad", "0813",
                                 now=clock.now(), forward=True)  # fmt: skip
        complaints.add_update(session, kept, SYSTEM, clock.now(), status="in_progress")
    received = [data for kind, data in events(balai, "complaint.received")][-2:]
    assert received[0] == {"complaint": kept.ref, "category": "health", "forwarded": False}
    assert received[1]["text"] == "Jembatan rusak parah"
    assert "Ahmad" not in json.dumps(events(balai)) and sent.code not in json.dumps(events(balai))
    assert len(kept.ref) == 20 and kept.ref != outbox.ref(kept.code)  # random, not derived from the code
    assert events(balai, "complaint.status")[-1][1] == {"complaint": kept.ref, "status": "in_progress"}


def test_printer_faults_and_recoveries_are_reported_once(balai, kiosk, clock):
    """Does the district hear of a printer running out, and of it working again, once each?"""
    kiosk_id = kiosk[0]
    with balai.db.write() as session:
        for state in ("ok", "out", "out", "ok", "ok"):
            kiosks.heartbeat(session, kiosk_id, "agent", state, "paper" if state == "out" else "", clock.now())
    assert [data["state"] for _, data in events(balai, "printer.state")] == ["out", "ok"]


def test_finished_days_and_closed_polls_are_reported_once(balai, queue, clock):
    """Are daily figures and poll results reported when due, once, even after the Pi was off?"""
    queue.issue("surat")
    with balai.db.write() as session:
        assert district.queue_reports(session, clock.now()) == 0  # today is not finished
        fields = {"title": "Lampu jalan", "kind": "question", "options": "Ya\nTidak", "closes_at": None}
        poll = polls.save(
            session, SYSTEM, clock.now(), {**fields, "description": "", "binding": False, "max_choices": 1}
        )
        polls.open_poll(session, SYSTEM, clock.now(), poll.id)
        polls.close_poll(session, SYSTEM, clock.now(), poll.id)
    clock.advance(days=3)  # the Pi was off over the weekend
    with balai.db.write() as session:
        assert district.queue_reports(session, clock.now()) == 2
        assert district.queue_reports(session, clock.now()) == 0
    (stats,) = [data for _, data in events(balai, "stats.daily")]
    assert stats["day"] == "2026-11-23"
    assert sum(s["issued"] for s in stats["services"]) == 1
    (result,) = [data for _, data in events(balai, "poll.result")]
    assert (result["title"], result["ballots"], [o["label"] for o in result["options"]]) == (
        "Lampu jalan",
        0,
        ["Ya", "Tidak"],
    )


# -- the round against a real hub ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def hub(request, tmp_path):
    """A real hub on a loopback port with the demo village registered: ``(url, key, app)``."""
    overrides = {"BALAI_HUB_DATA_DIR": str(tmp_path / "hub")}
    if request.param == "postgresql":
        overrides["BALAI_HUB_DATABASE_URL"] = request.getfixturevalue("postgres").url()
    app = create_hub(overrides=overrides)
    store = app.extensions["hub"].store
    store.migrate()
    with store.write() as session:
        _village, key = villages.add(session, CODE, "Sukamaju", app.extensions["hub"].clock.now())
    with serving(app) as url:
        yield url, key, app
    store.dispose()


def village(data_dir, clock, url, key, **extra):
    """The demo village's domain objects, syncing with ``url``."""
    settings = settings_for(data_dir, BALAI_UPSTREAM_URL=url, BALAI_UPSTREAM_KEY=key, BALAI_CAPTIVE="off", **extra)
    return make_balai(config.load(overrides=settings), clock)


def hub_totals(app):
    """The hub's totals for the demo village."""
    with app.extensions["hub"].store.read() as session:
        return villages.totals(session, villages.by_code(session, CODE))


def test_a_round_pushes_everything_once_and_reports_health(data_dir, clock, hub):
    """Does the hub end with exactly the village's events and figures, and the appliance's health?"""
    url, key, app = hub
    balai = village(data_dir, clock, url, key)
    for _ in range(3):
        balai.queue.issue("surat")
    balai.queue.call_next(1)
    balai.queue.complete(1)
    done = sync_round(balai, force=True)
    assert done["sync"] == "ok", done
    assert sync_round(balai, force=True)["pushed"] == 0
    figures = hub_totals(app)
    with balai.db.read() as session:
        assert district.overview(session)["pending"] == 0
        sent = session.scalar(select(OutboxEvent.seq).order_by(OutboxEvent.seq.desc()).limit(1))
        assert district.state(session).pushed_seq == sent
        outbox_count = len(session.scalars(select(OutboxEvent)).all())
        issued = len(session.scalars(select(Ticket)).all())
    assert (figures["tickets_issued"], figures["tickets_served"], figures["events"]) == (issued, 1, outbox_count)
    assert figures["health"]["version"] == health.version()
    assert "disk_free_mb" in figures["health"] and "printers" in figures["health"]
    # The village clock (a test clock in 2026) is off from the hub's real one, and that is fine.
    assert figures["clock_offset_s"] == figures["health"]["clock"]["offset_s"]
    balai.db.dispose()


def test_a_village_with_a_wrong_clock_still_syncs(data_dir, clock, hub):
    """Does a Pi that booted three days in the past sync? Yes, signing with the hub's time."""
    url, key, app = hub
    clock.advance(days=-3)
    balai = village(data_dir, clock, url, key)
    assert sync_round(balai, force=True)["sync"] == "ok"
    with balai.db.read() as session:
        offset = district.state(session).clock_offset_s
    real = app.extensions["hub"].clock.now()
    assert abs(offset - (real - clock.now()).total_seconds()) < 5
    balai.db.dispose()


def test_the_district_notices_reach_the_screens_and_the_console(data_dir, clock, hub):
    """Do the district's announcements and messages arrive, once, and go when withdrawn?"""
    url, key, app = hub
    store, now = app.extensions["hub"].store, app.extensions["hub"].clock.now()
    with store.write() as session:
        target = [villages.by_code(session, CODE)]
        shown = notices.send(session, "dinas", "announcement", "Vaksinasi gratis", "Senin di puskesmas", target, now,
                             pinned=True)  # fmt: skip
        notices.send(session, "dinas", "message", "Laporan bulanan", "Kirim sebelum tanggal 5", target, now)
    balai = village(data_dir, clock, url, key)
    assert sync_round(balai, force=True)["notices_applied"] == 2
    assert sync_round(balai, force=True)["notices_applied"] == 0
    with balai.db.read() as session:
        (announcement,) = session.scalars(select(Announcement).where(Announcement.district_id.is_not(None))).all()
        assert (announcement.title, announcement.pinned) == ("Vaksinasi gratis", True)
        assert [m.title for m in district.messages(session)] == ["Laporan bulanan"]
    with store.write() as session:
        notices.withdraw(session, shown.id, now)
    assert sync_round(balai, force=True)["notices_applied"] == 1
    with balai.db.read() as session:
        assert session.scalar(select(Announcement).where(Announcement.district_id.is_not(None))) is None
        assert session.scalar(select(DistrictMessage)) is not None
    balai.db.dispose()


@pytest.mark.parametrize("problem", ["wrong key", "unknown village", "bad key", "no code"])
def test_a_refused_round_says_why_and_backs_off(data_dir, clock, hub, problem):
    """What does the console learn when the hub refuses the village? A plain code, and a later retry."""
    url, key, _app = hub
    extra = {}
    if problem == "wrong key":
        key = protocol.new_key()
    elif problem == "unknown village":
        extra["BALAI_VILLAGE_CODE"] = "3203112099"
    elif problem == "bad key":
        key = "not-a-key"
    else:
        extra["BALAI_VILLAGE_CODE"] = "12"
    balai = village(data_dir, clock, url, key, **extra)
    done = sync_round(balai, force=True)
    expected = {"wrong key": "sync_refused", "unknown village": "sync_refused", "bad key": "sync_bad_key",
                "no code": "sync_no_village_code"}[problem]  # fmt: skip
    assert done["sync"] == f"failed: {expected}"
    with balai.db.read() as session:
        state = district.overview(session)
        assert state["last_error"] == expected and state["failures"] == 1
        assert state["next_attempt_at"] > clock.now()
        assert district.state(session).pushed_seq == 0
    assert sync_round(balai)["sync"] == "waiting"  # not before the backoff is over
    balai.db.dispose()


def test_an_answer_not_signed_by_the_hub_is_not_believed(data_dir, clock):
    """Would a forged hub (a proxy or captive Wi-Fi in the way) be believed when it acknowledges a
    batch it never passed on? No: it cannot sign for the village's key, so the cursor stays."""
    impostor = Flask("impostor")

    @impostor.get("/api/v1/health")
    def up():
        return {"status": "ok"}

    @impostor.post("/api/v1/villages/<code>/events")
    def swallow(code):
        batch = protocol.unpack(request.get_data())["events"]
        answer = flask_json.dumps({"accepted": len(batch), "duplicates": 0, "last": batch[-1]["id"] if batch else None})
        signature = protocol.sign_response(
            protocol.new_key(), request.path, request.headers[protocol.HEADER_TIMESTAMP], answer.encode()
        )
        return answer, 200, {"Content-Type": "application/json", protocol.HEADER_SIGNATURE: signature}

    with serving(impostor) as url:
        balai = village(data_dir, clock, url, protocol.new_key())
        balai.queue.issue("surat")
        assert sync_round(balai, force=True)["sync"] == "failed: sync_bad_answer"
        with balai.db.read() as session:
            assert district.state(session).pushed_seq == 0
            assert district.overview(session)["pending"] > 0
        balai.db.dispose()


def test_backoff_doubles_with_jitter_up_to_an_hour():
    """How long does the worker wait after failures? Doubling from the interval, capped, jittered."""
    assert district.next_delay(1, 300, rand=lambda: 0) == 150
    assert district.next_delay(1, 300, rand=lambda: 1) == 300
    assert district.next_delay(3, 300, rand=lambda: 1) == 1200
    assert district.next_delay(30, 300, rand=lambda: 1) == district.MAX_BACKOFF_S
    assert district.next_delay(30, 300, rand=lambda: 0) == district.MAX_BACKOFF_S / 2


def test_acknowledged_events_are_forgotten_after_a_month(data_dir, clock, hub):
    """Does the outbox stay small? Acknowledged events go after 30 days; unsent ones never."""
    url, key, _app = hub
    balai = village(data_dir, clock, url, key)
    balai.queue.issue("surat")
    assert sync_round(balai, force=True)["sync"] == "ok"
    with balai.db.write() as session:
        outbox.add(session, "test.unsent", {}, clock.now())  # never pushed: no round ran since
    clock.advance(days=31)
    with balai.db.write() as session:
        district.purge_sent(session, clock.now())
        left = session.scalars(select(OutboxEvent.kind)).all()
    assert left == ["test.unsent"]
    balai.db.dispose()


def test_undervoltage_is_read_from_vcgencmd():
    """How is the Pi's power reported? From the bits of ``vcgencmd get_throttled``."""
    assert health.throttled("throttled=0x50005") == {
        "raw": "0x50005",
        "undervoltage_now": True,
        "throttled_now": True,
        "undervoltage_since_boot": True,
        "throttled_since_boot": True,
    }
    assert health.throttled("throttled=0x0")["undervoltage_now"] is False
    assert health.throttled("") is None


def test_a_purge_does_not_reuse_sequence_numbers(balai, clock):
    """Can a new event land behind the cursor after a purge? No: seq never goes back."""
    with balai.db.write() as session:
        outbox.add(session, "test.one", {}, clock.now())
        last = session.scalar(select(OutboxEvent.seq).order_by(OutboxEvent.seq.desc()).limit(1))
        district.acknowledged(session, last)
        outbox.purge(session, last, clock.now() + timedelta(days=1))
        outbox.add(session, "test.two", {}, clock.now())
        assert session.scalar(select(OutboxEvent.seq).where(OutboxEvent.kind == "test.two")) > last


def test_a_notice_applied_twice_changes_nothing_even_on_a_slow_clock(balai, clock):
    """Is applying the hub's answer idempotent, also when the Pi's clock is behind the district's?
    The announcement shows at once, and the second application changes nothing."""
    sent = clock.now() + timedelta(hours=5)  # the district's clock is ahead of the Pi's
    notice = {"id": 3, "kind": "announcement", "title": "Kerja bakti", "body": "", "sent_at": sent.isoformat()}
    with balai.db.write() as session:
        assert district.apply_notices(session, [notice], 3, clock.now()) == 1
    clock.advance(hours=1)
    with balai.db.write() as session:
        assert district.apply_notices(session, [notice], 3, clock.now()) == 0
        shown = session.scalar(select(Announcement).where(Announcement.district_id == 3))
        assert shown.publish_at <= clock.now()


def test_a_hub_that_redirects_is_not_followed(data_dir, clock):
    """An http:// address answered by a redirect to https: is the push resent as a GET elsewhere?
    No: the round stops and the console says the hub answers at another address."""
    moved = Flask("moved")

    @moved.route("/api/v1/<path:rest>", methods=["GET", "POST"])
    def elsewhere(rest):
        return "", 301, {"Location": f"https://hub.example/api/v1/{rest}"}

    with serving(moved) as url:
        balai = village(data_dir, clock, url, protocol.new_key())
        done = sync_round(balai, force=True)
        assert done["sync"] == "failed: sync_moved" and "https://hub.example" in done["detail"]
        balai.db.dispose()


def test_a_garbled_answer_backs_off_like_any_failure(data_dir, clock):
    """Something that is not HTTP at the hub's address (a TLS port, a broken proxy): the round fails
    with a reason and backs off, the worker does not crash."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def answer_garbage():
        for _ in range(4):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")

    threading.Thread(target=answer_garbage, daemon=True).start()
    balai = village(data_dir, clock, f"http://127.0.0.1:{listener.getsockname()[1]}", protocol.new_key())
    done = sync_round(balai, force=True)
    listener.close()
    assert done["sync"] == "failed: sync_unreachable"
    with balai.db.read() as session:
        assert district.state(session).next_attempt_at > clock.now()
    balai.db.dispose()


def test_a_notice_the_village_cannot_use_is_skipped(balai, clock):
    """A notice of a kind a newer hub knows, or a broken one, never blocks the notices after it."""
    good = {"id": 5, "kind": "message", "title": "Rapat", "body": "", "sent_at": clock.now().isoformat()}
    odd = [{"id": 3, "kind": "survey", "title": "x", "sent_at": clock.now().isoformat()}, {"id": "x"}, "nonsense"]
    with balai.db.write() as session:
        assert district.apply_notices(session, [*odd, good], 5, clock.now()) == 1
        assert district.state(session).notice_cursor == 5


def test_a_long_backlog_goes_on_at_the_next_worker_round(data_dir, clock, hub, monkeypatch):
    """More events than one round sends: the round succeeds and the next one is due at once."""
    url, key, _app = hub
    monkeypatch.setattr(sync, "MAX_BATCHES_PER_ROUND", 1)
    balai = village(data_dir, clock, url, key)
    with balai.db.write() as session:
        for _ in range(protocol.MAX_BATCH_EVENTS + 10):
            outbox.add(session, "test.backlog", {}, clock.now())
    assert sync_round(balai, force=True)["sync"] == "ok"
    with balai.db.read() as session:
        assert district.overview(session)["pending"] > 0 and district.due(session, clock.now())
    assert sync_round(balai)["sync"] == "ok"
    with balai.db.read() as session:
        assert district.overview(session)["pending"] == 0 and not district.due(session, clock.now())
    balai.db.dispose()
