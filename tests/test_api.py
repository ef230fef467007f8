"""The JSON API: every endpoint, every error shape, ETags, and who may call what."""

import pytest

from tests.conftest import bearer, login, make_token

JSON = {"Content-Type": "application/json"}


def take(client, service="surat", priority=False, **kwargs):
    return client.post("/api/v1/tickets", json={"service": service, "priority": priority}, **kwargs)


def call(client, token, counter, action, headers=None, **kwargs):
    headers = {**bearer(token), **(headers or {})}
    return client.post(f"/api/v1/counters/{counter}/{action}", headers=headers, **kwargs)


def assert_error(response, status, code):
    """Errors are JSON with a code and a readable (Indonesian by default) message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code
    assert body["message"] and "Traceback" not in body["message"]
    return body


def test_services(client):
    body = client.get("/api/v1/services").get_json()
    assert [s["code"] for s in body] == ["surat", "kependudukan", "nikah", "konsultasi", "bansos"]
    assert set(body[0]) == {"code", "name", "prefix", "open", "waiting"}
    take(client)
    assert client.get("/api/v1/services").get_json()[0]["waiting"] == 1


def test_create_ticket(client):
    response = take(client, priority=True)
    assert response.status_code == 201
    t = response.get_json()
    fields = {"id", "number", "service", "status", "position", "eta_seconds", "counter", "created_at", "status_url"}
    assert fields <= set(t)
    assert t["number"] == "A-001" and t["status"] == "waiting" and t["priority"] is True
    assert t["status_url"].endswith(f"/ticket/{t['id']}")
    assert response.headers["Location"].endswith(f"/api/v1/tickets/{t['id']}")
    assert client.get(f"/api/v1/tickets/{t['id']}").get_json()["number"] == "A-001"


def test_public_url_is_used_for_status_links(app, client):
    app.extensions["balai"].settings["BALAI_PUBLIC_URL"] = "http://balai.desa/"
    assert take(client).get_json()["status_url"].startswith("http://balai.desa/ticket/")


@pytest.mark.parametrize(
    "body,status,code",
    [
        ("not json", 400, "bad_json"),
        ("[1, 2]", 400, "bad_json"),
        ('{"priority": false}', 400, "bad_field"),
        ('{"service": 7}', 400, "bad_field"),
        ('{"service": "surat", "priority": "yes"}', 400, "bad_field"),
        ('{"service": "nope"}', 404, "unknown_service"),
    ],
)
def test_bad_ticket_requests(client, body, status, code):
    assert_error(client.post("/api/v1/tickets", data=body, headers=JSON), status, code)
    assert client.get("/api/v1/services").get_json()[0]["waiting"] == 0


def test_daily_cap_and_closed_service(client, clock, balai):
    from sqlalchemy import update

    from portal.models import Service

    with balai.db.write() as session:
        session.execute(update(Service).where(Service.code == "bansos").values(daily_cap=1))
    assert take(client, "bansos").status_code == 201
    assert_error(take(client, "bansos"), 422, "daily_cap_reached")
    clock.set(clock.now().replace(hour=8))  # 15:00 WIB
    body = assert_error(take(client, "bansos"), 422, "service_closed")
    assert "08:00" in body["message"] and "tutup" in body["message"].lower()


def test_messages_in_english_on_request(client):
    body = assert_error(client.post("/api/v1/tickets?lang=en", json={"service": "nope"}), 404, "unknown_service")
    assert body["message"] == "There is no service with the code nope."


def test_unknown_ticket_and_route(client):
    assert_error(client.get("/api/v1/tickets/nope"), 404, "ticket_not_found")
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/v1/tickets"), 405, "method_not_allowed")


def test_ticket_etag_and_304(client, token):
    """An unchanged ticket is a bodiless 304 (answered before Flask, see portal/web/polls.py)
    with the same ETag and headers as the full answer; a change gives a 200 again."""
    t = take(client).get_json()
    first = client.get(f"/api/v1/tickets/{t['id']}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/tickets/{t['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    for header in ("ETag", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"):
        assert again.headers[header] == first.headers[header], header
    call(client, token, 1, "call-next")
    changed = client.get(f"/api/v1/tickets/{t['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["status"] == "called"
    assert changed.get_json()["counter"] == "Loket 1"


def test_board_etag(client, token):
    first = client.get("/api/v1/board")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    assert client.get("/api/v1/board", headers={"If-None-Match": etag}).status_code == 304
    take(client)
    second = client.get("/api/v1/board", headers={"If-None-Match": etag})
    assert second.status_code == 200
    board = second.get_json()
    assert {"day", "counters", "last_calls", "services"} <= set(board)


def test_counter_operations_over_api(client, token):
    t = take(client).get_json()
    assert call(client, token, 1, "call-next").get_json()["id"] == t["id"]
    assert call(client, token, 1, "recall").get_json()["status"] == "called"
    assert call(client, token, 1, "start").get_json()["status"] == "serving"
    counters = client.get("/api/v1/counters").get_json()
    assert counters[0]["serving"]["number"] == "A-001" and counters[0]["services"] == ["surat", "nikah"]
    moved = call(client, token, 1, "transfer", json={"service": "kependudukan"}).get_json()
    assert moved["service"] == "kependudukan" and moved["status"] == "waiting"
    assert call(client, token, 2, "call-next").get_json()["id"] == t["id"]
    assert call(client, token, 2, "complete").get_json()["status"] == "done"


def test_skip_and_requeue_over_api(client, token):
    t = take(client).get_json()
    call(client, token, 1, "call-next")
    assert call(client, token, 1, "skip").get_json()["status"] == "skipped"
    back = client.post(f"/api/v1/tickets/{t['id']}/requeue", headers=bearer(token))
    assert back.status_code == 200 and back.get_json()["status"] == "waiting"
    assert_error(client.post(f"/api/v1/tickets/{t['id']}/requeue", headers=bearer(token)), 409, "wrong_state")


def test_illegal_transitions_are_409(client, token):
    assert_error(call(client, token, 1, "recall"), 409, "counter_idle")
    assert_error(call(client, token, 1, "start"), 409, "counter_idle")
    assert_error(call(client, token, 1, "complete"), 409, "counter_idle")
    assert_error(call(client, token, 1, "skip"), 409, "counter_idle")
    assert_error(call(client, token, 1, "transfer", json={"service": "nikah"}), 409, "counter_idle")
    assert_error(call(client, token, 1, "call-next"), 404, "queue_empty")
    take(client)
    take(client)
    call(client, token, 1, "call-next")
    assert_error(call(client, token, 1, "call-next"), 409, "counter_busy")
    call(client, token, 1, "start")
    assert_error(call(client, token, 1, "start"), 409, "wrong_state")
    assert_error(call(client, token, 1, "skip"), 409, "wrong_state")
    assert_error(call(client, token, 1, "transfer", json={"service": "surat"}), 409, "same_service")
    assert_error(call(client, token, 1, "transfer", json={}), 400, "bad_field")
    assert_error(call(client, token, 1, "transfer", data="x", headers=JSON), 400, "bad_json")
    assert_error(call(client, token, 1, "explode"), 404, "not_found")
    assert_error(call(client, token, 42, "call-next"), 404, "unknown_counter")


def test_resident_cancels_with_the_id(client):
    t = take(client).get_json()
    response = client.post(f"/api/v1/tickets/{t['id']}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert_error(client.post(f"/api/v1/tickets/{t['id']}/cancel"), 409, "wrong_state")
    assert_error(client.post("/api/v1/tickets/unknown/cancel"), 404, "ticket_not_found")


def test_official_endpoints_need_a_token(client, balai):
    take(client)
    assert_error(client.post("/api/v1/counters/1/call-next"), 401, "login_required")
    assert_error(client.post("/api/v1/counters/1/call-next", headers=bearer("balai_wrong")), 401, "login_required")
    editor = make_token(balai, "editor")
    assert_error(client.post("/api/v1/counters/1/call-next", headers=bearer(editor)), 403, "forbidden")
    admin = make_token(balai, "admin")
    assert client.post("/api/v1/counters/1/call-next", headers=bearer(admin)).status_code == 200


def test_console_session_needs_csrf_header_for_api_writes(client):
    take(client)
    login(client, "operator")
    assert_error(client.post("/api/v1/counters/1/call-next"), 400, "csrf")
    page = client.get("/admin/counter/1").get_data(as_text=True)
    from tests.conftest import csrf_from

    ok = client.post("/api/v1/counters/1/call-next", headers={"X-CSRFToken": csrf_from(page)})
    assert ok.status_code == 200


def test_official_api_is_closed_to_the_hotspot(client, token):
    hotspot = {"REMOTE_ADDR": "10.42.0.9"}
    response = client.post("/api/v1/counters/1/call-next", headers=bearer(token), environ_base=hotspot)
    assert_error(response, 404, "not_found")
    assert client.get("/api/v1/board", environ_base=hotspot).status_code == 200


def test_hotspot_ticket_limit_over_api(client):
    hotspot = {"REMOTE_ADDR": "10.42.0.9"}
    assert take(client, environ_base=hotspot).status_code == 201
    assert take(client, "nikah", environ_base=hotspot).status_code == 201
    assert_error(take(client, "kependudukan", environ_base=hotspot), 422, "too_many_tickets")
    assert take(client, "kependudukan").status_code == 201  # office/kiosk network: no limit


def test_daily_stats(client, token, clock):
    take(client)
    take(client)
    call(client, token, 1, "call-next")
    clock.advance(minutes=3)
    call(client, token, 1, "complete")
    call(client, token, 1, "call-next")
    call(client, token, 1, "skip")
    stats = client.get("/api/v1/stats/daily", headers=bearer(token)).get_json()
    surat = stats["services"][0]
    assert (surat["issued"], surat["served"], surat["skipped"], surat["avg_wait_seconds"]) == (2, 1, 1, 90)
    assert surat["avg_service_seconds"] == 180
    assert stats["counters"][0]["served"] == 1
    past = client.get("/api/v1/stats/daily?day=2020-01-01", headers=bearer(token)).get_json()
    assert past["services"][0]["issued"] == 0
    assert_error(client.get("/api/v1/stats/daily?day=yesterday", headers=bearer(token)), 400, "bad_field")


def test_openapi_describes_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = (
            rule.rule.replace("<ticket_id>", "{id}")
            .replace("<int:counter_id>", "{counter}")
            .replace("<int:job_id>", "{job}")
            .replace("<code>", "{code}")
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if "<action>" in path:
                for action in ("call-next", "recall", "start", "complete", "skip", "transfer"):
                    assert (path.replace("<action>", action), method.lower()) in described
            else:
                assert (path, method.lower()) in described, path


def test_fast_path_never_hides_a_missing_ticket(client):
    """A current ETag for a ticket that does not exist still gets Flask's 404."""
    etag = client.get("/api/v1/board").headers["ETag"]
    assert_error(client.get("/api/v1/tickets/nope", headers={"If-None-Match": etag}), 404, "ticket_not_found")
    assert client.get("/api/v1/tickets/a/b", headers={"If-None-Match": etag}).status_code == 404


def test_public_answers_never_carry_ticket_ids(client, token):
    """The id is the key that follows or cancels a ticket: the board and counters never show it."""
    t = take(client).get_json()
    call(client, token, 1, "call-next")
    for path in ("/api/v1/board", "/api/v1/counters", "/api/v1/services", "/board", "/"):
        assert t["id"] not in client.get(path).get_data(as_text=True), path


def test_take_and_cancel_cannot_drain_the_cap(client, balai):
    """Cancelled tickets give their place back: a loop of take-and-cancel leaves the cap intact."""
    from sqlalchemy import update

    from portal.models import Service

    with balai.db.write() as session:
        session.execute(update(Service).where(Service.code == "bansos").values(daily_cap=2))
    hotspot = {"REMOTE_ADDR": "10.42.0.7"}
    for _ in range(5):
        t = take(client, "bansos", environ_base=hotspot).get_json()
        assert client.post(f"/api/v1/tickets/{t['id']}/cancel", environ_base=hotspot).status_code == 200
    assert take(client, "bansos").status_code == 201
    assert take(client, "bansos").status_code == 201
    assert_error(take(client, "bansos"), 422, "daily_cap_reached")


def test_ipv4_mapped_hotspot_address_is_still_the_hotspot(client):
    mapped = {"REMOTE_ADDR": "::ffff:10.42.0.7"}
    take(client, environ_base=mapped)
    take(client, "nikah", environ_base=mapped)
    assert_error(take(client, "kependudukan", environ_base=mapped), 422, "too_many_tickets")
    assert client.get("/admin/login", environ_base=mapped).status_code == 404


@pytest.mark.parametrize(
    "body",
    ["[" * 20_000 + "]" * 20_000, '{"service": "\\ud800"}', '{"service": "' + "x" * 500 + '"}'],
    ids=["deeply-nested", "lone-surrogate", "too-long"],
)
def test_hostile_json_is_a_400_not_a_500(client, body):
    response = client.post("/api/v1/tickets", data=body, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"] in ("bad_json", "bad_field")


def test_oversized_body_is_refused_in_json(client):
    assert_error(client.post("/api/v1/tickets", data="x" * 100_000, headers=JSON), 413, "too_large")


def test_console_session_may_read_official_api_without_csrf(client):
    login(client, "operator")
    assert client.get("/api/v1/counters/1/waiting").status_code == 200
    assert client.get("/api/v1/stats/daily").status_code == 200


def test_board_calls_carry_what_to_say(client, token):
    take(client)
    call(client, token, 1, "call-next")
    call(client, token, 1, "recall")
    calls = client.get("/api/v1/board").get_json()["last_calls"]
    assert [c["recall"] for c in calls] == [True, False] and calls[0]["call"] != calls[1]["call"]
    assert calls[0]["words"] == ["nomor antrean", "a", "satu", "silakan menuju", "loket", "satu"]
    assert calls[0]["text"] == "Nomor antrean a satu, silakan menuju loket satu"
