"""The hall's touchscreen kiosk, as plain pages (no JavaScript needed to take a number)."""

from tests.conftest import HOTSPOT_ADDRESS


def take(client, service="surat", priority=False, **kwargs):
    data = {"service": service, **({"priority": "1"} if priority else {})}
    return client.post("/kiosk/take", data=data, **kwargs)


def test_start_screen_lists_services_as_big_buttons(client, clock):
    clock.set(clock.now().replace(hour=8))  # 15:00 WIB: Bantuan Sosial is closed
    html = client.get("/kiosk/").get_data(as_text=True)
    assert html.count('class="kiosk-button"') == 4 and 'class="kiosk-button closed"' in html
    assert 'href="/kiosk/service/surat"' in html and "kiosk.js" in html


def test_requirements_before_taking_a_number(client):
    html = client.get("/kiosk/service/nikah").get_data(as_text=True)
    assert "Pas foto 2x3 (4 lembar)" in html and "Ambil nomor C" in html and 'name="priority" value="1"' in html
    assert "tidak memerlukan berkas" in client.get("/kiosk/service/konsultasi").get_data(as_text=True)
    assert client.get("/kiosk/service/nope").status_code == 404


def test_taking_a_priority_number_shows_it_with_a_qr_code(client, app):
    app.extensions["balai"].settings["BALAI_PUBLIC_URL"] = "http://10.42.0.1:8080"
    response = take(client, "kependudukan", priority=True)
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "B-001" in html and "Prioritas" in html and '<svg class="qr"' in html
    assert "https://" not in html and "<path " in html.split('<svg class="qr"')[1]  # drawn inline, nothing fetched


def test_closed_service_explains_and_takes_nothing(client, clock, queue):
    clock.set(clock.now().replace(hour=8))
    response = take(client, "bansos")
    assert response.status_code == 422 and "08:00" in response.get_data(as_text=True)
    assert sum(s["waiting"] for s in queue.services()) == 0


def test_a_phone_opening_the_kiosk_page_is_still_limited(client):
    hotspot = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
    assert take(client, environ_base=hotspot).status_code == 303
    assert take(client, "nikah", environ_base=hotspot).status_code == 303
    assert take(client, "kependudukan", environ_base=hotspot).status_code == 422


def test_cross_site_forms_are_refused(client):
    assert take(client, headers={"Origin": "http://evil.example"}).status_code == 400


def test_information_screen(client, queue):
    queue.issue("surat")
    html = client.get("/kiosk/info").get_data(as_text=True)
    assert "Posyandu Balita bulan ini" in html and 'http-equiv="refresh"' in html and 'href="/kiosk/"' in html
