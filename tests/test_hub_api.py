"""The hub's signed API: who it refuses, and that a batch counts once however often it arrives."""

import gzip
import json
import time
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub import create_app, notices, protocol, villages
from hub.db import Store
from hub.models import Base, Event
from portal.domain.errors import Conflict, DomainError

CODE = "3203112005"
EVENTS_PATH = f"/api/v1/villages/{CODE}/events"


@pytest.fixture
def hub_app(tmp_path):
    """The hub on a fresh SQLite database with one village; ``app.village_key`` is its key."""
    app = create_app(overrides={"BALAI_HUB_DATA_DIR": str(tmp_path / "hub")})
    hub = app.extensions["hub"]
    hub.store.migrate()
    with hub.store.write() as session:
        _village, app.village_key = villages.add(session, CODE, "Sukamaju", hub.clock.now())
    yield app
    hub.store.dispose()


def signed_headers(key, method, path, body=b"", stamp=None, code=CODE):
    """The headers a village sends."""
    stamp = int(time.time()) if stamp is None else stamp
    return {
        protocol.HEADER_VILLAGE: code,
        protocol.HEADER_TIMESTAMP: str(stamp),
        protocol.HEADER_SIGNATURE: protocol.sign(key, method, path, stamp, body),
    }


def ticket_events(count, day="2026-11-23"):
    """``count`` issued tickets and as many served, as a village's outbox sends them."""
    events = []
    for n in range(count):
        ref = f"t{n:05d}"
        at = "2026-11-23T02:00:00.000000Z"
        events.append(
            {
                "id": uuid.uuid4().hex,
                "kind": "ticket.issued",
                "at": at,
                "data": {"ticket": ref, "day": day, "service": "surat", "source": "kiosk", "priority": False},
            }
        )
        events.append({"id": uuid.uuid4().hex, "kind": "ticket.served", "at": at,
                       "data": {"ticket": ref, "day": day, "service": "surat", "counter": "Loket 1",
                                "wait_s": 600, "service_s": 300}})  # fmt: skip
    return events


def push(client, key, events, health=None, **kw):
    """POST a batch the way a village does; returns the response."""
    body = protocol.pack({"events": events, "health": health})
    headers = signed_headers(key, "POST", EVENTS_PATH, body, **kw)
    return client.post(EVENTS_PATH, data=body, headers={**headers, "Content-Encoding": "gzip"})


def totals(app):
    """The village's totals as ``python -m hub stats`` prints them."""
    with app.extensions["hub"].store.read() as session:
        return villages.totals(session, villages.by_code(session, CODE))


def test_health_answers_without_a_signature(hub_app):
    """Is the probe cheap and open? It needs no key and says the hub's time."""
    response = hub_app.test_client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_a_batch_counts_once_however_often_it_arrives(hub_app):
    """Does delivering the same batch twice change the figures? No: the second is all duplicates."""
    client = hub_app.test_client()
    events = ticket_events(3)
    first = push(client, hub_app.village_key, events, health={"version": "0.1.0", "clock": {"offset_s": 4}})
    assert first.status_code == 200
    assert first.get_json() == {"accepted": 6, "duplicates": 0, "last": events[-1]["id"]}
    second = push(client, hub_app.village_key, events)
    assert second.get_json() == {"accepted": 0, "duplicates": 6, "last": events[-1]["id"]}
    figures = totals(hub_app)
    assert (figures["tickets_issued"], figures["tickets_served"], figures["average_wait_s"]) == (3, 3, 600)
    assert figures["events"] == 6
    assert figures["clock_offset_s"] == 4
    assert figures["last_contact"] is not None


def test_the_acknowledgement_is_signed_for_this_request(hub_app):
    """Can a village trust the acknowledgement? It is signed with its key over this request."""
    client = hub_app.test_client()
    stamp = int(time.time())
    response = push(client, hub_app.village_key, ticket_events(1), stamp=stamp)
    expected = protocol.sign_response(hub_app.village_key, EVENTS_PATH, stamp, response.get_data())
    assert response.headers[protocol.HEADER_SIGNATURE] == expected


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no signature", 401),
        ("wrong key", 401),
        ("stale", 401),
        ("future", 401),
        ("other village", 401),
        ("unknown village", 403),
        ("not ascii", 401),
    ],
)
def test_the_hub_refuses_what_is_not_signed_by_the_village_now(hub_app, case, status):
    """Which requests does the hub refuse, and does a refused batch leave anything behind?"""
    client = hub_app.test_client()
    events = ticket_events(1)
    body = protocol.pack({"events": events, "health": None})
    path, key, stamp, code = EVENTS_PATH, hub_app.village_key, int(time.time()), CODE
    if case == "wrong key":
        key = protocol.new_key()
    elif case == "stale":
        stamp -= protocol.WINDOW_S + 5
    elif case == "future":
        stamp += protocol.WINDOW_S + 5
    elif case == "other village":
        code = "3203112006"
    elif case == "unknown village":
        code, path = "3203112006", "/api/v1/villages/3203112006/events"
    headers = {} if case == "no signature" else signed_headers(key, "POST", path, body, stamp=stamp, code=code)
    if case == "not ascii":
        headers[protocol.HEADER_SIGNATURE] = "é" * 64
    response = client.post(path, data=body, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert totals(hub_app)["events"] == 0


def test_behind_a_proxy_the_signature_does_not_depend_on_forwarded_headers(tmp_path):
    """Behind nginx (BALAI_HUB_PROXIES=1), does a forwarded prefix or host break (or change) what
    is signed? No: the hub checks the path from /api/v1 on, and trusts only the address and scheme."""
    app = create_app(overrides={"BALAI_HUB_DATA_DIR": str(tmp_path / "hub"), "BALAI_HUB_PROXIES": "1"})
    hub = app.extensions["hub"]
    hub.store.migrate()
    with hub.store.write() as session:
        _village, key = villages.add(session, CODE, "Sukamaju", hub.clock.now())
    body = protocol.pack({"events": ticket_events(1), "health": None})
    headers = signed_headers(key, "POST", EVENTS_PATH, body)
    forwarded = {"X-Forwarded-Prefix": "/hub", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    response = app.test_client().post(EVENTS_PATH, data=body, headers={**headers, **forwarded})
    assert response.status_code == 200, response.get_json()
    hub.store.dispose()


def test_a_tampered_body_is_refused(hub_app):
    """Is the body covered by the signature? Changing one event after signing is refused."""
    client = hub_app.test_client()
    events = ticket_events(1)
    body = protocol.pack({"events": events, "health": None})
    headers = signed_headers(hub_app.village_key, "POST", EVENTS_PATH, body)
    events[0]["data"]["service"] = "other"
    response = client.post(EVENTS_PATH, data=protocol.pack({"events": events, "health": None}), headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not gzip", 400),
        (gzip.compress(b"{not json"), 400),
        (gzip.compress(b"\0" * (protocol.MAX_INFLATED + 10)), 400),  # a "zip bomb": 4 MB of zeros
        (gzip.compress(json.dumps({"events": "x"}).encode()), 400),
        (gzip.compress(json.dumps({"events": [{"id": "a b", "kind": "x.y", "at": "x", "data": {}}]}).encode()), 400),
        (b"\0" * (protocol.MAX_BODY + 1), 413),
    ],
)
def test_a_bad_body_is_refused_with_a_reason_and_changes_nothing(hub_app, body, status):
    """What does a signed but malformed batch get? A 4xx with a reason, and nothing is stored."""
    headers = signed_headers(hub_app.village_key, "POST", EVENTS_PATH, body)
    response = hub_app.test_client().post(EVENTS_PATH, data=body, headers=headers)
    assert response.status_code == status
    with hub_app.extensions["hub"].store.read() as session:
        assert session.query(Event).count() == 0


def test_the_latest_status_to_arrive_wins_even_from_a_clock_that_jumped_back(hub_app):
    """A village pushes in the order it wrote: after its clock jumped back, a complaint closed
    "earlier" than it was answered is still closed on the hub."""
    client = hub_app.test_client()

    def event(kind, at, **data):
        return {"id": uuid.uuid4().hex, "kind": kind, "at": at, "data": {"complaint": "c1", **data}}

    received = event("complaint.received", "2026-11-23T05:00:00.000000Z", category="health", forwarded=True, text="x")
    push(client, hub_app.village_key, [received])
    push(client, hub_app.village_key, [event("complaint.status", "2026-11-23T06:00:00.000000Z", status="answered")])
    push(client, hub_app.village_key, [event("complaint.status", "2026-11-22T01:00:00.000000Z", status="closed")])
    figures = totals(hub_app)
    assert (figures["complaints"], figures["complaints_open"]) == (1, 0)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "stats.daily", "data": {"day": "yesterday"}},
        {"kind": "poll.result", "data": {"poll": 2**40, "title": "x"}},
        {"kind": "ticket.served", "data": {"day": "2026-11-23", "wait_s": "long", "service_s": 10**12}},
        {"kind": "complaint.status", "data": {"complaint": ["c1"], "status": "closed"}},
        {"kind": "printer.state", "data": {"kiosk": None}},
        {"kind": "future.kind", "data": {"anything": 1}},
    ],
)
def test_an_event_that_makes_no_sense_is_kept_but_never_blocks_the_outbox(hub_app, data):
    """Would one odd event (a bug in some village's version) stop the village's sync for ever? No:
    it is acknowledged and kept, and only what makes sense is counted."""
    event = {"id": uuid.uuid4().hex, "at": "2026-11-23T02:00:00.000000Z", **data}
    response = push(hub_app.test_client(), hub_app.village_key, [event], health={"clock": "x", "printers": 5})
    assert response.status_code == 200 and response.get_json()["accepted"] == 1
    figures = totals(hub_app)
    assert figures["events"] == 1 and figures["clock_offset_s"] is None


def test_notices_come_signed_after_the_cursor(hub_app):
    """What does a village pull? The notices for it after its cursor, signed, withdrawals included."""
    hub = hub_app.extensions["hub"]
    with hub.store.write() as session:
        other, _ = villages.add(session, "3203112006", "Mekar", hub.clock.now())
        mine = villages.by_code(session, CODE)
        first = notices.send(session, "dinas", "announcement", "Vaksinasi", "Senin", [mine, other], hub.clock.now())
        notices.send(session, "dinas", "message", "Laporan", "Kirim", [other], hub.clock.now())
    client = hub_app.test_client()

    def pull(after):
        path = f"/api/v1/villages/{CODE}/notices?after={after}"
        stamp = int(time.time())
        response = client.get(path, headers=signed_headers(hub_app.village_key, "GET", path, stamp=stamp))
        assert response.headers[protocol.HEADER_SIGNATURE] == protocol.sign_response(
            hub_app.village_key, path, stamp, response.get_data()
        )
        return response.get_json()

    answer = pull(0)
    assert [n["title"] for n in answer["notices"]] == ["Vaksinasi"]
    assert pull(answer["cursor"]) == {"notices": [], "cursor": answer["cursor"]}
    with hub.store.write() as session:
        notices.withdraw(session, first.id, hub.clock.now())
    again = pull(answer["cursor"])
    assert [(n["title"], n["withdrawn"]) for n in again["notices"]] == [("Vaksinasi", True)]


def test_registering_checks_the_code(hub_app):
    """Is a village code checked? Ten digits (dots allowed), and only once."""
    hub = hub_app.extensions["hub"]
    with hub.store.write() as session:
        with pytest.raises(DomainError) as bad:
            villages.add(session, "32.03", "Kecil", hub.clock.now())
        assert bad.value.code == "hub_bad_code"
        with pytest.raises(Conflict):
            villages.add(session, "32.03.11.2005", "Sukamaju lagi", hub.clock.now())


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_hub_migrations_match_its_models(request, tmp_path, database):
    """Is the hub's schema, migrated from nothing, exactly what its models say, on both databases?"""
    url = request.getfixturevalue("postgres").url() if database == "postgresql" else f"sqlite:///{tmp_path}/hub.db"
    store = Store(url)
    store.migrate()
    store.migrate()  # again: harmless
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    store.dispose()
