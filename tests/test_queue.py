"""The queue's rules, through the domain API on a real SQLite file."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.domain.errors import Conflict, NotFound, Refused
from portal.models import Service, Ticket


def statuses(queue, *views):
    return [queue.ticket(v["id"])["status"] for v in views]


def test_numbers_count_up_per_service(queue):
    """Does each service number its own tickets A-001, A-002, … with the service's letter?"""
    a1 = queue.issue("surat")
    a2 = queue.issue("surat")
    b1 = queue.issue("kependudukan")
    assert (a1["number"], a2["number"], b1["number"]) == ("A-001", "A-002", "B-001")
    assert a1["created_at"].endswith("+07:00")


def test_ticket_ids_are_unguessable(queue):
    """Is the id in the shared status URL long and random, not a counter?"""
    ids = {queue.issue("surat")["id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 16 for i in ids)


def test_numbers_reset_at_local_midnight(queue, clock):
    """Do numbers start again at 001 after midnight in the village's time zone (WIB)?"""
    queue.issue("surat")
    clock.set(clock.now().replace(hour=16, minute=59))  # 23:59 WIB
    assert queue.issue("surat")["number"] == "A-002"
    clock.advance(minutes=2)  # 00:01 WIB, next day
    assert queue.issue("surat")["number"] == "A-001"


def test_clock_jumping_back_never_reuses_a_day(queue, clock):
    """After a power cut the Pi's clock may return to yesterday: numbers must continue, not repeat."""
    first = queue.issue("surat")
    clock.advance(days=1)
    today = queue.issue("surat")
    clock.advance(days=-3)  # battery-less Pi boots into the past
    after_jump = queue.issue("surat")
    assert today["number"] == "A-001" and after_jump["number"] == "A-002"
    assert after_jump["day"] == today["day"] != first["day"]


def test_time_zone_of_the_village_decides_the_day(queue, balai, clock):
    """A WIT village (UTC+9) starts its day 2 hours before a WIB one."""
    from portal.models import Village

    with balai.db.write() as session:
        session.get(Village, 1).timezone = "Asia/Jayapura"
    clock.set(clock.now().replace(hour=14, minute=59))  # 23:59 WIT
    queue.issue("surat")
    clock.advance(minutes=2)  # 00:01 WIT, still 22:01 WIB
    assert queue.issue("surat")["number"] == "A-001"


def test_unknown_and_closed_services_are_refused(queue, clock):
    """Unknown codes are 404; a service outside its hours is refused with nothing issued."""
    with pytest.raises(NotFound) as unknown:
        queue.issue("nope")
    assert unknown.value.code == "unknown_service"
    clock.set(clock.now().replace(hour=7))  # 14:00 WIB: Bantuan Sosial closes at 12:00
    with pytest.raises(Refused) as closed:
        queue.issue("bansos")
    assert closed.value.code == "service_closed"
    clock.set(clock.now() + timedelta(days=5, hours=-5))  # Saturday morning: not a weekday
    with pytest.raises(Refused):
        queue.issue("bansos")


def test_daily_cap(queue, balai):
    """When a service's daily cap is reached, the next ticket is refused and nothing changes."""
    with balai.db.write() as session:
        session.scalar(select(Service).where(Service.code == "bansos")).daily_cap = 2
    queue.issue("bansos")
    queue.issue("bansos")
    with pytest.raises(Refused) as exc:
        queue.issue("bansos")
    assert exc.value.code == "daily_cap_reached"
    with balai.db.read() as session:
        assert len(session.scalars(select(Ticket)).all()) == 2


def test_hotspot_client_limit(queue):
    """One hotspot address may hold only a few active tickets; finished ones free a place."""
    first = queue.issue("surat", client="10.42.0.7", limit_client=True)
    queue.issue("kependudukan", client="10.42.0.7", limit_client=True)
    with pytest.raises(Refused) as exc:
        queue.issue("nikah", client="10.42.0.7", limit_client=True)
    assert exc.value.code == "too_many_tickets"
    queue.issue("nikah", client="10.42.0.8", limit_client=True)  # another phone is fine
    queue.cancel(first["id"])
    queue.issue("nikah", client="10.42.0.7", limit_client=True)
    queue.issue("nikah", client="10.42.0.7")  # the kiosk or an official: not limited


def test_full_journey(queue):
    """waiting → called → serving → done, with the counter shown once called."""
    t = queue.issue("surat")
    called = queue.call_next(1)
    assert called["id"] == t["id"] and called["status"] == "called" and called["counter"] == "Loket 1"
    assert queue.start(1)["status"] == "serving"
    done = queue.complete(1)
    assert done["status"] == "done" and done["position"] is None


def test_complete_without_start(queue):
    """An official may finish a called ticket without pressing start."""
    queue.issue("surat")
    queue.call_next(1)
    assert queue.complete(1)["status"] == "done"


def test_call_next_completes_the_ticket_being_served(queue):
    """Calling the next resident finishes the one being served."""
    first, second = queue.issue("surat"), queue.issue("surat")
    queue.call_next(1)
    queue.start(1)
    assert queue.call_next(1)["id"] == second["id"]
    assert queue.ticket(first["id"])["status"] == "done"


def test_call_next_refuses_while_someone_is_being_called(queue):
    """A called resident may be walking up: call-next is refused until start, skip or complete."""
    queue.issue("surat")
    queue.issue("surat")
    queue.call_next(1)
    with pytest.raises(Conflict) as exc:
        queue.call_next(1)
    assert exc.value.code == "counter_busy"


def test_empty_queue_and_idle_counter(queue):
    """Nothing to call is a 404 queue_empty; operations on an idle counter are 409."""
    with pytest.raises(NotFound) as empty:
        queue.call_next(1)
    assert empty.value.code == "queue_empty"
    for operation in (queue.recall, queue.start, queue.complete, queue.skip):
        with pytest.raises(Conflict) as idle:
            operation(1)
        assert idle.value.code == "counter_idle"
    with pytest.raises(Conflict):
        queue.transfer(1, "kependudukan")
    with pytest.raises(NotFound):
        queue.call_next(99)


def test_counter_only_calls_its_services(queue):
    """Loket 3 serves konsultasi and bansos: it never calls a surat ticket."""
    queue.issue("surat")
    with pytest.raises(NotFound):
        queue.call_next(3)
    consult = queue.issue("konsultasi")
    assert queue.call_next(3)["id"] == consult["id"]


def test_recall_counts_calls_and_shows_on_board(queue):
    """Recall calls the same ticket again; the board lists it as a recall."""
    t = queue.issue("surat")
    queue.call_next(1)
    assert queue.recall(1)["id"] == t["id"]
    calls = queue.board()["last_calls"]
    assert [c["recall"] for c in calls] == [True, False]
    assert calls[0]["number"] == "A-001" and calls[0]["counter"] == "Loket 1"


def test_recall_while_serving_is_allowed_but_start_twice_is_not(queue):
    queue.issue("surat")
    queue.call_next(1)
    queue.start(1)
    queue.recall(1)
    with pytest.raises(Conflict) as exc:
        queue.start(1)
    assert exc.value.code == "wrong_state"
    with pytest.raises(Conflict):
        queue.skip(1)


def test_skip_and_requeue_keeps_original_place(queue):
    """A no-show is skipped; put back, it returns to its place by issue time, not the end."""
    first, second, third = (queue.issue("surat") for _ in range(3))
    queue.call_next(1)
    assert queue.skip(1)["status"] == "skipped"
    back = queue.requeue(first["id"])
    assert back["status"] == "waiting" and back["position"] == 1
    assert [t["id"] for t in queue.waiting_list(1)] == [first["id"], second["id"], third["id"]]


def test_requeue_only_skipped_tickets_of_today(queue, clock):
    t = queue.issue("surat")
    with pytest.raises(Conflict):
        queue.requeue(t["id"])
    queue.call_next(1)
    queue.skip(1)
    clock.advance(days=1)
    with pytest.raises(Conflict) as exc:
        queue.requeue(t["id"])
    assert exc.value.code == "wrong_state"


def test_cancel(queue):
    """A resident may cancel while waiting or called; never twice, never after service."""
    waiting = queue.issue("surat")
    assert queue.cancel(waiting["id"])["status"] == "cancelled"
    with pytest.raises(Conflict):
        queue.cancel(waiting["id"])
    called = queue.issue("surat")
    queue.call_next(1)
    assert queue.cancel(called["id"])["status"] == "cancelled"
    assert queue.counters()[0]["serving"] is None  # the counter is free again
    served = queue.issue("surat")
    queue.call_next(1)
    queue.start(1)
    with pytest.raises(Conflict):
        queue.cancel(served["id"])
    with pytest.raises(NotFound):
        queue.cancel("no-such-ticket")


def test_transfer_keeps_place_by_issue_time(queue, clock):
    """A ticket sent to another service queues there by its original issue time."""
    a = queue.issue("surat")
    clock.advance(minutes=1)
    b1 = queue.issue("kependudukan")
    queue.call_next(1)
    moved = queue.transfer(1, "kependudukan")
    assert moved["status"] == "waiting" and moved["service"] == "kependudukan" and moved["number"] == "A-001"
    assert moved["position"] == 1
    assert queue.ticket(b1["id"])["position"] == 2
    assert queue.call_next(2)["id"] == a["id"]


def test_transfer_errors(queue):
    queue.issue("surat")
    queue.call_next(1)
    with pytest.raises(NotFound):
        queue.transfer(1, "nope")
    with pytest.raises(Conflict) as same:
        queue.transfer(1, "surat")
    assert same.value.code == "same_service"


def test_priority_is_served_first_but_fairly(queue):
    """With ratio 2: a priority ticket goes first, then two regular ones before the next priority."""
    regular = [queue.issue("surat") for _ in range(4)]
    prio = [queue.issue("surat", priority=True) for _ in range(3)]
    order = []
    for _ in range(7):
        order.append(queue.call_next(1)["id"])
        queue.complete(1)
    expected = [prio[0], regular[0], regular[1], prio[1], regular[2], regular[3], prio[2]]
    assert order == [t["id"] for t in expected]


def test_priority_ratio_zero_means_always_first(balai, queue):
    from portal.domain.queue import Policy, Queue

    strict = Queue(balai.db, balai.clock, Policy(priority_ratio=0))
    r = queue.issue("surat")
    p1, p2 = queue.issue("surat", priority=True), queue.issue("surat", priority=True)
    calls = []
    for _ in range(3):
        calls.append(strict.call_next(1)["id"])
        strict.complete(1)
    assert calls == [p1["id"], p2["id"], r["id"]]


def test_waiting_list_predicts_call_order(queue):
    """The counter's waiting list is the order call-next will follow."""
    for i in range(5):
        queue.issue("surat", priority=i in (1, 2))
    predicted = [t["id"] for t in queue.waiting_list(1)]
    actual = []
    for _ in range(5):
        actual.append(queue.call_next(1)["id"])
        queue.complete(1)
    assert predicted == actual


def test_position_and_eta_default(queue, balai):
    """With no history, the ETA is the people ahead times the default minutes, over the counters."""
    per_person = balai.queue.policy.default_service_seconds
    consult = [queue.issue("konsultasi") for _ in range(3)]  # Loket 3 alone serves it (and bansos)
    assert queue.ticket(consult[2]["id"])["position"] == 3
    assert queue.ticket(consult[2]["id"])["eta_seconds"] == 2 * per_person


def test_position_counts_everyone_a_shared_counter_calls_first(queue, balai):
    """Nikah is served at Loket 1, which also calls surat: five surat tickets stand before it.
    Surat is served at two counters, so the line moves twice as fast."""
    per_person = balai.queue.policy.default_service_seconds
    for _ in range(5):
        queue.issue("surat")
    nikah = queue.ticket(queue.issue("nikah")["id"])
    assert nikah["position"] == 6
    assert nikah["eta_seconds"] == 5 * per_person / 2
    order = []
    for _ in range(6):
        order.append(queue.call_next(1)["number"])
        queue.complete(1)
    assert order[-1] == "C-001"


def test_eta_learns_from_recent_service_times(queue, clock):
    """After a few 2-minute services, the estimate uses 2 minutes per person (over the two
    counters that call nikah's line)."""
    for _ in range(3):
        queue.issue("nikah")
        queue.call_next(1)
        queue.start(1)
        clock.advance(minutes=2)
        queue.complete(1)
    waiting = [queue.issue("nikah") for _ in range(4)]
    assert queue.ticket(waiting[3]["id"])["eta_seconds"] == 3 * 120 / 2


def test_priority_position_counts_only_priority_ahead(queue):
    queue.issue("surat")
    queue.issue("surat")
    p = queue.issue("surat", priority=True)
    late = queue.issue("surat")
    assert queue.ticket(p["id"])["position"] == 1
    assert queue.ticket(late["id"])["position"] == 4


def test_unfinished_ticket_expires_next_day(queue, clock):
    """A ticket still waiting when the day ends shows as expired, and the new day's queue is empty."""
    t = queue.issue("surat")
    clock.advance(days=1)
    assert queue.ticket(t["id"])["status"] == "expired"
    with pytest.raises(NotFound):
        queue.call_next(1)
    with pytest.raises(Conflict):
        queue.cancel(t["id"])


def test_ticket_view_cache_follows_changes(queue):
    """Cached views never go stale: any queue change shows on the next read."""
    first, second = queue.issue("surat"), queue.issue("surat")
    assert queue.ticket(second["id"])["position"] == 2
    queue.cancel(first["id"])
    assert queue.ticket(second["id"])["position"] == 1


def test_version_changes_with_every_write(queue):
    seen = {queue.version()}
    t = queue.issue("surat")
    seen.add(queue.version())
    queue.call_next(1)
    seen.add(queue.version())
    queue.recall(1)
    seen.add(queue.version())
    queue.cancel(t["id"])
    seen.add(queue.version())
    assert len(seen) == 5


def test_counters_and_board(queue):
    queue.issue("surat")
    queue.issue("konsultasi")
    queue.call_next(1)
    counters = queue.counters()
    assert [c["name"] for c in counters] == ["Loket 1", "Loket 2", "Loket 3"]
    assert counters[0]["services"] == ["surat", "nikah"]
    assert counters[0]["serving"]["number"] == "A-001" and counters[1]["serving"] is None
    board = queue.board()
    assert board["counters"][0]["serving"]["number"] == "A-001"
    assert {s["code"]: s["waiting"] for s in board["services"]}["konsultasi"] == 1


def test_call_next_on_an_empty_queue_still_finishes_the_served_ticket(queue):
    t = queue.issue("surat")
    queue.call_next(1)
    queue.start(1)
    with pytest.raises(NotFound) as exc:
        queue.call_next(1)
    assert exc.value.code == "queue_empty"
    assert queue.ticket(t["id"])["status"] == "done"
    assert queue.counters()[0]["serving"] is None


def test_each_call_is_counted_so_phones_alert_again(queue):
    t = queue.issue("surat")
    assert queue.ticket(t["id"])["calls"] == 0
    queue.call_next(1)
    queue.recall(1)
    assert queue.ticket(t["id"])["calls"] == 2
