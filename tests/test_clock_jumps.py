"""Ticket numbering while the clock jumps, as it does on a Pi without a battery clock (back after a
power cut, forward and back when someone sets it wrong and then right): numbers never repeat
within a business day, never go backwards, the business day never goes backwards, and tickets
issued before a jump back stay in the queue."""

import json
import random
from datetime import timedelta

from sqlalchemy import select

from portal.domain.village import business_day
from portal.housekeeping import run_once
from portal.models import OutboxEvent, Ticket


def day_now(balai):
    """The queue's business day as every reader sees it (no write)."""
    with balai.db.read() as session:
        return business_day(session, balai.clock.now())


def numbers(balai):
    """Every ticket as (day, service prefix, sequence number) in the order they were issued."""
    with balai.db.read() as session:
        rows = session.execute(select(Ticket.day, Ticket.number).order_by(Ticket.serial)).all()
    return [(day, number.split("-")[0], int(number.split("-")[1])) for day, number in rows]


def assert_numbering_holds(balai):
    """Within each business day and service, numbers count up by one in issue order, and the days of
    tickets in issue order never go backwards."""
    issued = numbers(balai)
    days = [day for day, _, _ in issued]
    assert days == sorted(days)
    last = {}
    for day, prefix, seq in issued:
        assert seq == last.get((day, prefix), 0) + 1, (day, prefix, seq)
        last[(day, prefix)] = seq


def test_jumping_back_a_day_continues_the_day_and_keeps_its_tickets(queue, balai, clock):
    """Does a Pi that boots into yesterday keep today's queue: same day, the next numbers, and
    the tickets issued before the jump still waiting and called first?"""
    first, second = queue.issue("surat"), queue.issue("surat")
    today = day_now(balai)
    clock.advance(days=-1)
    assert day_now(balai) == today
    after = queue.issue("surat")
    assert after["number"] == "A-003" and after["day"] == first["day"] == today.isoformat()
    assert [queue.ticket(t["id"])["status"] for t in (first, second)] == ["waiting", "waiting"]
    assert queue.ticket(second["id"])["position"] == 2
    assert queue.call_next(1)["id"] == first["id"]
    queue.complete(1)
    assert queue.call_next(1)["id"] == second["id"]
    assert_numbering_holds(balai)


def test_jumping_back_a_few_hours_across_midnight(queue, balai, clock):
    """Just after midnight the clock goes back to yesterday evening: does the new day stay, with
    its numbering, until the clock reaches the next midnight?"""
    clock.set(clock.now().replace(hour=17, minute=30))  # 00:30 WIB, Tuesday
    tuesday = queue.issue("surat")
    clock.advance(hours=-3)  # 21:30 WIB on Monday
    assert queue.issue("surat")["number"] == "A-002"
    clock.advance(hours=3)  # Tuesday 00:30 again: still the same day
    assert queue.issue("surat")["number"] == "A-003"
    assert queue.ticket(tuesday["id"])["status"] == "waiting"
    clock.advance(days=1)  # Wednesday: a new day, numbered from 1
    wednesday = queue.issue("surat")
    assert wednesday["number"] == "A-001" and wednesday["day"] > tuesday["day"]
    assert_numbering_holds(balai)


def test_jumping_forward_a_day_and_back(queue, balai, clock):
    """The clock is set a day ahead by mistake, tickets are issued, then it is set right: does the
    queue stay on the later day (its numbers continue, none repeats), and do the earlier day's
    tickets keep their pages (expired, as at any day's end)?"""
    monday = queue.issue("surat")
    clock.advance(days=1)
    tuesday = queue.issue("surat")
    assert tuesday["number"] == "A-001"
    clock.advance(days=-1, minutes=5)
    assert day_now(balai).isoformat() == tuesday["day"]
    again = queue.issue("surat")
    assert again["number"] == "A-002" and again["day"] == tuesday["day"]
    assert queue.ticket(monday["id"])["status"] == "expired"
    assert queue.ticket(monday["id"])["number"] == "A-001"
    clock.advance(days=1)  # the real Tuesday arrives: still the same business day
    assert queue.issue("surat")["number"] == "A-003"
    assert_numbering_holds(balai)


def test_the_workers_round_never_moves_the_day_back(queue, balai, clock):
    """Does the worker's housekeeping, which records a new day as soon as the clock reaches it,
    leave the day alone when the clock has gone back?"""
    clock.advance(days=1)
    tuesday = run_once(balai.db, clock)["business_day"]
    clock.advance(days=-2)
    assert run_once(balai.db, clock)["business_day"] == tuesday
    assert queue.issue("surat")["day"] == tuesday


def test_durations_across_a_jump_back_are_never_negative(queue, balai, clock):
    """A ticket issued at 10:00 and called after the clock went back to 08:00: does the district's
    report count its wait as nothing rather than less than nothing?"""
    clock.set(clock.now().replace(hour=3))  # 10:00 WIB
    queue.issue("surat")
    clock.advance(hours=-2)
    queue.call_next(1)
    queue.start(1)
    clock.advance(hours=-1)
    queue.complete(1)
    with balai.db.read() as session:
        served = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "ticket.served")).one()
    payload = json.loads(served.payload)
    assert payload["wait_s"] == 0 and payload["service_s"] == 0


def test_random_jumps_never_break_the_numbering(queue, balai, clock):
    """Whatever the clock does (a seeded random walk of jumps forwards and backwards, within a few
    days), do numbers stay unique and counting up per day and service, and the day never go back?"""
    rng = random.Random(8)
    start = clock.now()
    seen_day = day_now(balai)
    for _ in range(120):
        jump = rng.choice([timedelta(minutes=7), timedelta(hours=5), timedelta(hours=-4), timedelta(days=-1)])
        # Stay within a few days of the start, as a real clock error does.
        clock.set(min(max(clock.now() + jump, start - timedelta(days=2)), start + timedelta(days=3)))
        queue.issue(rng.choice(["surat", "kependudukan"]))
        day = day_now(balai)
        assert day >= seen_day
        seen_day = day
    assert_numbering_holds(balai)
