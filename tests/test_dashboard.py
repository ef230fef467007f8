"""The console's home: today at a glance, each block for the roles that may see it, in a handful
of queries however busy the day."""

import contextlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from hub import protocol
from portal.domain import complaints, district
from tests.conftest import HOTSPOT_ADDRESS, bearer, login

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}


def serve(queue, clock, counter_id, wait, service):
    """After ``wait`` minutes, call the counter's next ticket and serve it for ``service`` minutes."""
    clock.advance(minutes=wait)
    queue.call_next(counter_id)
    queue.start(counter_id)
    clock.advance(minutes=service)
    queue.complete(counter_id)


@contextlib.contextmanager
def count_queries(balai):
    """The SQL queries run on the app's database while the block runs (not BEGIN and the like)."""
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(balai.db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(balai.db.engine, "before_cursor_execute", seen)


def home(client):
    response = client.get("/admin/", query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def figure(html, name):
    """The number shown in a glance block."""
    return re.search(rf'id="glance-{name}"[^>]*>(?:<span class="figure">)?([^<]*)<', html).group(1)


def test_today_at_a_glance(client, queue, clock):
    for service in ("surat", "surat", "surat", "kependudukan", "nikah"):
        queue.issue(service)
    serve(queue, clock, 1, wait=4, service=10)  # waited 4 minutes
    queue.call_next(1)  # waited 14 minutes, then did not come
    queue.skip(1)
    serve(queue, clock, 2, wait=1, service=5)  # A-003 (Loket 2 serves surat too): waited 15
    login(client, "operator")
    html = home(client)
    assert figure(html, "waiting") == "2" and figure(html, "served") == "2" and figure(html, "no-shows") == "1"
    assert figure(html, "wait") == "11 min"  # (4 + 14 + 15) / 3
    services = html[html.index('id="today-services"') :]
    assert '<th scope="row">Surat Pengantar &amp; Keterangan</th><td>0</td><td>3</td><td>2</td><td>1</td>' in services
    assert '<th scope="row">Administrasi Kependudukan</th><td>1</td><td>1</td><td>0</td><td>0</td>' in services
    assert "Bantuan Sosial" not in services  # a service with nothing today takes no row


def test_an_empty_day_says_so(client):
    login(client, "editor")
    html = home(client)
    assert figure(html, "waiting") == "0" and figure(html, "wait") == "—"
    assert "No tickets yet today." in html


def test_each_block_shows_only_to_roles_that_may_see_it(client, balai):
    with balai.db.write() as session:
        complaints.submit(session, "health", "Posyandu butuh timbangan bayi baru.", now=balai.clock.now())
    login(client, "operator")
    html = home(client)
    assert 'id="glance-hotspot"' in html and 'href="/admin/hotspot"' in html
    assert 'id="glance-complaints"' not in html and "/admin/complaints" not in html
    assert 'id="sync"' not in html and "/admin/sync" not in html
    assert 'href="/admin/counter/1"' in html
    login(client, "editor")
    html = home(client)
    assert figure(html, "complaints") == "2"  # the demo's new one and this one; the answered one is not open
    assert 'href="/admin/complaints"' in html and 'id="sync"' in html
    assert 'id="glance-hotspot"' not in html and 'href="/admin/counter/1"' not in html
    login(client, "admin")
    html = home(client)
    for block in ('id="glance-hotspot"', 'id="glance-complaints"', 'id="sync"', 'id="printers"', 'id="glance-served"'):
        assert block in html
    assert client.get("/admin/", environ_base=HOTSPOT).status_code == 404


def test_sync_status_off(client):
    login(client, "editor")
    html = home(client)
    assert "Not turned on." in html
    assert int(re.search(r"(\d+) reports? waiting to be sent", html).group(1)) >= 1  # the demo's own reports


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "BALAI_UPSTREAM_URL": "http://127.0.0.1:9",
            "BALAI_UPSTREAM_KEY": protocol.new_key(),
            "BALAI_VILLAGE_CODE": "3203112005",
        }
    ],
)
def test_sync_status_says_when_the_district_was_last_reached(client, balai):
    login(client, "admin")
    assert "Last contact: Never yet" in home(client)
    with balai.db.write() as session:
        district.contacted(session, balai.clock.now() - timedelta(hours=2), 0)
    assert "Last contact: Monday, 23 November 2026 07.00" in home(client)


def test_printers_in_one_line_each_linking_to_the_printers_page(client, kiosk):
    kiosk_id, token, _ = kiosk
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    body = {"agent": "a", "printer": {"state": "near_end", "detail": "status byte 0x1e"}, "wait": 0}
    job = client.post("/api/v1/kiosk/poll", json=body, headers=bearer(token)).get_json()["jobs"][0]
    client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": "uncertain"}, headers=bearer(token))
    login(client, "editor")
    html = home(client)
    printers = html[html.index('id="printers"') :]
    assert f'href="/admin/printers#kiosk-{kiosk_id}"><strong>Kiosk Aula</strong>: Paper nearly out</a>' in printers
    assert "The receipt of A-001 may not have printed completely." in printers
    assert "<form" not in printers.split("</section>")[0]  # printing is done on the printers page


def test_a_handful_of_queries_however_busy_the_day(client, balai, queue, kiosk):
    login(client, "admin")
    home(client)  # warm up: the session's user, the village
    with count_queries(balai) as quiet:
        home(client)
    for _ in range(40):
        queue.issue("surat")
    for _ in range(10):
        queue.call_next(1)
        queue.complete(1)
    with count_queries(balai) as busy:
        home(client)
    assert len(busy) == len(quiet) <= 25, busy
