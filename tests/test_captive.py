"""The captive portal in the app: every probe before and after acceptance, the sign-in page,
sessions keyed by address and MAC, expiry, logout and the officials' revoke.

Phones are test clients with a hotspot address; their MAC comes from a real DHCP leases file
(BALAI_DHCP_LEASES) that a test rewrites to hand the address to another device. The firewall is
``none`` here; the real nftables firewall is the ``netns`` tier (test_netns.py)."""

import pytest

from portal.web.captive import APPLE, FIREFOX, PROBES
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login

PHONE_MAC = "62:1a:2b:3c:4d:5e"
OTHER_MAC = "8a:00:11:22:33:44"
SPLASH = "http://10.42.0.1/wifi"
ONLINE = {
    "/generate_204": (204, b""),
    "/gen_204": (204, b""),
    "/hotspot-detect.html": (200, APPLE),
    "/library/test/success.html": (200, APPLE),
    "/connecttest.txt": (200, b"Microsoft Connect Test"),
    "/ncsi.txt": (200, b"Microsoft NCSI"),
    "/canonical.html": (200, FIREFOX),
    "/success.txt": (200, b"success\n"),
}
# The hosts phones send these probes to (the paths are what matter; phone makers add hosts).
HOSTS = {
    "/generate_204": "connectivitycheck.gstatic.com",
    "/gen_204": "www.google.com",
    "/hotspot-detect.html": "captive.apple.com",
    "/library/test/success.html": "www.apple.com",
    "/connecttest.txt": "www.msftconnecttest.com",
    "/ncsi.txt": "www.msftncsi.com",
    "/redirect": "www.msftconnecttest.com",
    "/canonical.html": "detectportal.firefox.com",
    "/success.txt": "detectportal.firefox.com",
}


@pytest.fixture
def leases(data_dir):
    """The DHCP leases file, holding the test phone's lease."""
    path = data_dir / "dnsmasq.leases"
    hand_out(path, PHONE_MAC)
    return path


def hand_out(path, mac, ip=HOTSPOT_ADDRESS):
    """Write a dnsmasq lease giving ``ip`` to ``mac`` (replacing the file)."""
    path.write_text(f"1795000000 {mac} {ip} phone *\n")


@pytest.fixture
def extra():
    """Settings a test adds to the leases file (tests parametrize this)."""
    return {}


@pytest.fixture
def overrides(leases, extra):
    return {"BALAI_DHCP_LEASES": str(leases), **extra}


@pytest.fixture
def phone(app):
    """A phone on the hotspot."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = HOTSPOT_ADDRESS
    return client


def probe(client, path):
    """Fetch a probe the way the OS does: plain HTTP to its own host."""
    return client.get(path, headers={"Host": HOSTS[path]})


def accept(phone):
    """Accept the terms through the sign-in page's own form."""
    portal = {"Host": "10.42.0.1"}
    page = phone.get("/wifi", headers=portal).get_data(as_text=True)
    assert 'action="/wifi/accept"' in page
    return phone.post("/wifi/accept", headers={**portal, "Origin": "http://10.42.0.1"})


@pytest.mark.parametrize("path", sorted(PROBES))
def test_probe_before_acceptance_redirects_to_the_sign_in_page(phone, path):
    """Is every OS probe, on its own host, sent to the sign-in page before the phone accepts?"""
    response = probe(phone, path)
    assert response.status_code == 302
    assert response.headers["Location"] == SPLASH
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", sorted(ONLINE))
def test_probe_after_acceptance_gets_the_exact_online_answer(phone, balai, path):
    """Once the phone accepted and the internet works, does each probe get its exact answer?"""
    balai.captive.record_uplink(True)
    assert accept(phone).status_code == 303
    response = probe(phone, path)
    status, body = ONLINE[path]
    assert (response.status_code, response.get_data()) == (status, body)
    assert response.headers["Cache-Control"] == "no-store"


def test_windows_redirect_probe_always_opens_the_portal(phone, balai):
    """Is /redirect (what Windows opens in the browser) the portal, accepted or not?"""
    balai.captive.record_uplink(True)
    accept(phone)
    assert probe(phone, "/redirect").headers["Location"] == SPLASH


@pytest.mark.parametrize("path", sorted(ONLINE))
def test_probe_after_acceptance_without_internet_still_redirects(phone, balai, path):
    """With the uplink down, is an accepted phone still sent to the portal, never told 'online'?"""
    balai.captive.record_uplink(False, "no route")
    accept(phone)
    assert probe(phone, path).status_code == 302


@pytest.mark.parametrize("path", sorted(ONLINE))
def test_clients_off_the_hotspot_are_never_captured(client, path):
    """Does the office (or the kiosk on the Pi) get the online answers without accepting?"""
    response = probe(client, path)
    assert (response.status_code, response.get_data()) == ONLINE[path]


def test_foreign_host_is_redirected_until_accepted(phone, balai):
    """Does any page of another website, asked of the portal, go to the sign-in page?"""
    response = phone.get("/news/today?x=1", headers={"Host": "www.detik.com"})
    assert (response.status_code, response.headers["Location"]) == (302, SPLASH)
    assert phone.get("/", headers={"Host": "198.18.0.1"}).status_code == 302  # the captive DNS answer
    # The portal's own address serves its pages to the same phone.
    assert phone.get("/", headers={"Host": "10.42.0.1"}).status_code == 200
    assert phone.get("/queue", headers={"Host": "10.42.0.1:8080"}).status_code == 200


def test_foreign_host_off_the_hotspot_is_served(client):
    """A TV on the office LAN may use any name for the Pi: is it served, not redirected?"""
    assert client.get("/", headers={"Host": "balai-pi.lan:8080"}).status_code == 200


@pytest.mark.parametrize("extra", [{"BALAI_PUBLIC_URL": "http://balai.desa/"}])
def test_public_url_names_the_redirect_and_its_host_is_the_portal(phone, extra):
    """With BALAI_PUBLIC_URL set, do redirects go there and is its host the portal's own?"""
    assert probe(phone, "/generate_204").headers["Location"] == "http://balai.desa/wifi"
    assert phone.get("/", headers={"Host": "balai.desa"}).status_code == 200
    assert phone.get("/", headers={"Host": "10.42.0.1"}).status_code == 200


def test_sign_in_page_shows_terms_links_and_one_button(phone, balai):
    """Does the sign-in page say what the network is, with the terms, one button and the
    village's services, in Indonesian, inside the popup (no new tabs, no cookies needed)?"""
    balai.captive.record_uplink(True)
    response = phone.get("/wifi")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Setuju dan lanjut" in html
    assert "Ambil" in html and 'href="/queue"' in html and 'href="/"' in html
    assert "Ketentuan" in html
    assert "target=" not in html
    assert "Internet sedang tidak tersedia" not in html
    assert not response.headers.getlist("Set-Cookie")


def test_sign_in_page_says_when_there_is_no_internet(phone, balai):
    """Without the uplink, does the page say the internet is away and the services are not?"""
    balai.captive.record_uplink(False, "timed out")
    html = phone.get("/wifi").get_data(as_text=True)
    assert "Internet sedang tidak tersedia" in html
    assert "Setuju dan lanjut" in html


def test_accepting_shows_the_status_page_with_time_left_and_log_out(phone, balai):
    """After accepting, does the same window show the phone's status: connected, time left?"""
    balai.captive.record_uplink(True)
    response = accept(phone)
    assert response.headers["Location"] == "/wifi"
    html = phone.get("/wifi").get_data(as_text=True)
    assert "Anda terhubung ke internet" in html
    assert "Sisa waktu: 24 jam 0 menit" in html
    assert 'action="/wifi/logout"' in html
    balai.clock.advance(hours=2, minutes=30)
    assert "Sisa waktu: 21 jam 30 menit" in phone.get("/wifi").get_data(as_text=True)


def test_status_page_lists_the_phones_tickets(phone, balai):
    """The iOS popup forgets its pages when it closes: does the Wi-Fi page show the phone's ticket?"""
    assert phone.post("/queue", data={"service": "surat"}).status_code == 303
    html = phone.get("/wifi").get_data(as_text=True)
    assert "Tiket Anda" in html and "A-001" in html


def test_log_out_captures_the_phone_again(phone, balai):
    """Does 'log out' end the session, so probes redirect again?"""
    balai.captive.record_uplink(True)
    accept(phone)
    assert probe(phone, "/generate_204").status_code == 204
    response = phone.post("/wifi/logout")
    assert response.status_code == 303
    assert probe(phone, "/generate_204").status_code == 302
    assert "Setuju dan lanjut" in phone.get("/wifi").get_data(as_text=True)


def test_the_same_address_with_another_mac_is_not_let_through(phone, balai, leases):
    """When DHCP hands the address to another device, is that device captured, and does its own
    acceptance end the first device's session?"""
    balai.captive.record_uplink(True)
    accept(phone)
    hand_out(leases, OTHER_MAC)
    assert probe(phone, "/generate_204").status_code == 302
    assert "Setuju dan lanjut" in phone.get("/wifi").get_data(as_text=True)
    accept(phone)
    assert probe(phone, "/generate_204").status_code == 204
    hand_out(leases, PHONE_MAC)
    assert probe(phone, "/generate_204").status_code == 302  # the first device's session was replaced
    with balai.db.read() as session:
        from portal.models import HotspotSession

        rows = session.query(HotspotSession).order_by(HotspotSession.id).all()
    assert [(r.mac, r.end_reason) for r in rows] == [(PHONE_MAC, "replaced"), (OTHER_MAC, "")]


def test_session_expires_after_the_configured_time(phone, balai):
    """Is the phone captured again once BALAI_CAPTIVE_MINUTES have passed?"""
    balai.captive.record_uplink(True)
    accept(phone)
    balai.clock.advance(minutes=1439)
    assert probe(phone, "/generate_204").status_code == 204
    balai.clock.advance(minutes=2)
    assert probe(phone, "/generate_204").status_code == 302


def test_accepting_again_extends_the_session(phone, balai):
    """Does accepting once more (a second tap, another popup) start the full time again, without
    a second session?"""
    accept(phone)
    balai.clock.advance(hours=20)
    phone.post("/wifi/accept", headers={"Host": "10.42.0.1"})
    html = phone.get("/wifi").get_data(as_text=True)
    assert "Sisa waktu: 24 jam 0 menit" in html
    assert len(balai.captive.sessions()) == 1


def test_officials_see_sessions_and_revoke_one(app, phone, balai, client):
    """Does the console list the phones let through, and does revoking capture that phone?"""
    balai.captive.record_uplink(True, "HTTP 204")
    accept(phone)
    login(client, "operator")
    page = client.get("/admin/hotspot")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert HOTSPOT_ADDRESS in html and PHONE_MAC in html and "Internet: berfungsi" in html
    session_id = balai.captive.sessions()[0]["session"].id
    response = client.post(f"/admin/hotspot/{session_id}/revoke", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303
    assert HOTSPOT_ADDRESS in client.get("/admin/hotspot").get_data(as_text=True)  # the confirmation
    assert probe(phone, "/generate_204").status_code == 302
    again = client.post(f"/admin/hotspot/{session_id}/revoke", data={"csrf_token": csrf_from(html)})
    assert "sudah berakhir" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_hotspot_console_is_closed_to_phones_and_editors(phone, client):
    """Is the sessions list invisible on the hotspot (404) and refused to an editor (403)?"""
    assert phone.get("/admin/hotspot").status_code == 404
    login(client, "editor")
    assert client.get("/admin/hotspot").status_code == 403


def test_accept_from_another_site_is_refused(phone):
    """Can another website make a phone accept the terms behind its back?"""
    response = phone.post("/wifi/accept", headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert "Setuju dan lanjut" in phone.get("/wifi").get_data(as_text=True)


@pytest.mark.parametrize("extra", [{"BALAI_CAPTIVE": "off"}])
def test_captive_off_answers_no_probes_and_has_no_sign_in_page(phone, extra):
    """With BALAI_CAPTIVE=off, is there no redirect and no sign-in page?"""
    assert probe(phone, "/generate_204").status_code == 404
    assert phone.get("/wifi").status_code == 404
    assert phone.get("/", headers={"Host": "www.detik.com"}).status_code == 200


@pytest.mark.parametrize("overrides", [{"BALAI_FIREWALL": "nftables", "BALAI_FIREWALL_SOCKET": "/nonexistent/fw.sock"}])
def test_unknown_mac_is_told_to_reconnect(phone, overrides):
    """With a real firewall, a phone whose MAC cannot be found gets a clear message, no session."""
    response = accept(phone)
    assert response.status_code == 400
    assert "Matikan lalu nyalakan lagi Wi-Fi" in response.get_data(as_text=True)


@pytest.mark.parametrize("extra", [{"BALAI_FIREWALL": "nftables", "BALAI_FIREWALL_SOCKET": "/nonexistent/fw.sock"}])
def test_firewall_helper_down_keeps_the_acceptance(phone, balai, extra):
    """If the helper cannot be reached, is the acceptance kept (the worker retries) and the
    phone told the internet opens shortly?"""
    assert accept(phone).status_code == 303
    html = phone.get("/wifi").get_data(as_text=True)
    assert "dalam satu menit" in html
    assert len(balai.captive.sessions()) == 1


@pytest.mark.parametrize("overrides", [{"BALAI_FIREWALL": "nftables", "BALAI_FIREWALL_SOCKET": "/nonexistent/fw.sock"}])
def test_office_browser_cannot_accept_with_a_real_firewall(client, overrides):
    """A firewall only lets hotspot phones through: an office browser is told so."""
    response = client.post("/wifi/accept")
    assert response.status_code == 400
    assert "Wi-Fi balai desa" in response.get_data(as_text=True)


def test_old_sessions_are_purged_after_a_week(phone, balai):
    """Are ended sessions (MACs are personal data) deleted after 7 days, active ones kept?"""
    accept(phone)
    phone.post("/wifi/logout")
    accept(phone)
    balai.clock.advance(days=7, minutes=1)
    assert balai.captive.purge() == 1
    balai.clock.advance(days=2)
    assert balai.captive.purge() == 1  # the second one expired after 24 h, more than 7 days ago
    assert balai.captive.sessions() == []


def test_time_left_never_shows_negative(phone, balai):
    """An expired session is simply gone: the page shows the terms again."""
    accept(phone)
    balai.clock.advance(hours=24, seconds=1)
    assert "Setuju dan lanjut" in phone.get("/wifi").get_data(as_text=True)
    assert balai.captive.session_of(HOTSPOT_ADDRESS, PHONE_MAC) is None
