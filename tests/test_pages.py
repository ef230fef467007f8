"""The residents' pages and the officials' console, as plain HTML forms (no JavaScript)."""

from tests.conftest import csrf_from, login

HOTSPOT = {"REMOTE_ADDR": "10.42.0.23"}


def take_by_form(client, service="surat", priority=False, **kwargs):
    data = {"service": service}
    if priority:
        data["priority"] = "1"
    return client.post("/queue", data=data, **kwargs)


def test_home_shows_village_queue_and_news(client):
    html = client.get("/").get_data(as_text=True)
    assert "Desa Sukamaju" in html and "Cibeber" in html
    assert "Surat Pengantar &amp; Keterangan" in html
    assert "Posyandu Balita bulan ini" in html
    assert '<html lang="id">' in html


def test_pages_load_nothing_from_outside(client):
    """Every asset is local and the CSP forbids anything else."""
    for path in ("/", "/queue", "/display", "/admin/login"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert "http://" not in html.replace("http://localhost", "") and "https://" not in html, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_queue_page_lists_requirements_and_hours(client, clock):
    clock.set(clock.now().replace(hour=8))  # 15:00 WIB: Bantuan Sosial closed
    html = client.get("/queue").get_data(as_text=True)
    assert "Fotokopi Kartu Keluarga" in html
    assert "08:00–12:00" in html
    assert html.count('name="service"') == 4  # only open services offer the button


def test_take_ticket_without_javascript(client):
    """The whole core flow is forms and redirects: take a ticket, land on its page."""
    response = take_by_form(client, priority=True)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "A-001" in html and 'http-equiv="refresh"' in html


def test_ticket_page_follows_the_queue(client, queue):
    location = take_by_form(client).headers["Location"]
    queue.issue("surat")
    queue.call_next(1)
    html = client.get(location).get_data(as_text=True)
    assert "Loket 1" in html and 'data-status="called"' in html
    live = client.get(location + "/live").get_data(as_text=True)
    assert 'data-status="called"' in live and "<html" not in live


def test_cancel_from_the_ticket_page(client):
    location = take_by_form(client).headers["Location"]
    response = client.post(location + "/cancel")
    assert response.status_code == 303
    assert 'data-status="cancelled"' in client.get(location).get_data(as_text=True)
    again = client.post(location + "/cancel")
    assert again.status_code == 409


def test_form_errors_are_readable_pages(client, clock):
    clock.set(clock.now().replace(hour=8))
    response = take_by_form(client, "bansos")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "08:00" in html and 'role="alert"' in html
    missing = client.get("/ticket/does-not-exist")
    assert missing.status_code == 404 and "<html" in missing.get_data(as_text=True)


def test_hotspot_phone_ticket_limit_in_pages(client):
    assert take_by_form(client, environ_base=HOTSPOT).status_code == 303
    assert take_by_form(client, "nikah", environ_base=HOTSPOT).status_code == 303
    refused = take_by_form(client, "kependudukan", environ_base=HOTSPOT)
    assert refused.status_code == 422


def test_cross_site_form_is_refused(client):
    response = take_by_form(client, headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert client.get("/api/v1/services").get_json()[0]["waiting"] == 0
    same = take_by_form(client, headers={"Origin": "http://localhost"})
    assert same.status_code == 303


def test_language_toggle(client):
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "balai_lang=en" in english.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/queue").get_data(as_text=True)
    assert '<html lang="id">' in client.get("/queue?lang=id").get_data(as_text=True)


def test_board_page(client, queue):
    queue.issue("surat")
    queue.call_next(1)
    assert client.get("/board").headers["Location"].endswith("/display")
    html = client.get("/display").get_data(as_text=True)
    assert 'data-voices="/voices/"' in html and 'data-timezone="Asia/Jakarta"' in html
    assert "A-001" in html and "Loket 1" in html and "Posyandu" in html
    assert "A-001" in client.get("/board/live").get_data(as_text=True)
    # The hall learns which Wi-Fi to join to follow a number on a phone (the village's Wi-Fi name).
    assert "Wi-Fi “Wifi Balai Sukamaju”" in html


def test_console_requires_sign_in(client):
    assert client.get("/admin/").headers["Location"].endswith("/admin/login")
    assert client.get("/admin/counter/1").status_code == 302
    assert client.get("/admin/counter/1/live").status_code == 401


def test_console_is_invisible_from_the_hotspot(client):
    for path in ("/admin/", "/admin/login", "/admin/counter/1"):
        assert client.get(path, environ_base=HOTSPOT).status_code == 404
    assert client.get("/admin/login", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404


def test_console_on_its_own_listener(app, client):
    """With a separate office listener, the console answers only on that port."""
    settings = app.extensions["balai"].settings
    settings["BALAI_LISTEN"], settings["BALAI_ADMIN_LISTEN"] = "0.0.0.0:8080", "0.0.0.0:8081"
    assert client.get("/admin/login", base_url="http://localhost:8080").status_code == 404
    assert client.get("/admin/login", base_url="http://localhost:8081").status_code == 200


def test_login_logout_and_wrong_password(client):
    bad = login(client, "operator", "wrong-password")
    assert bad.status_code == 401 and "password" in bad.get_data(as_text=True).lower()
    ok = login(client, "operator")
    assert ok.status_code == 303
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    index = client.get("/admin/").get_data(as_text=True)
    assert "Loket 1" in index
    client.post("/admin/logout", data={"csrf_token": csrf_from(index)})
    assert client.get("/admin/").status_code == 302


def test_login_form_needs_csrf(client):
    response = client.post("/admin/login", data={"username": "operator", "password": "demo-operator"})
    assert response.status_code == 400


def test_secure_cookie_over_https(client):
    page = client.get("/admin/login", base_url="https://localhost")
    response = client.post(
        "/admin/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/admin/login"},  # Flask-WTF checks it over HTTPS
        data={"username": "admin", "password": "demo-admin", "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Secure" in response.headers["Set-Cookie"]


def test_password_change_ends_sessions(client, balai):
    from portal.domain import users

    login(client, "operator")
    assert client.get("/admin/").status_code == 200
    with balai.db.write() as session:
        users.set_password(session, "operator", "a-new-password")
    assert client.get("/admin/").status_code == 302


def test_counter_panel_runs_the_queue_with_forms(client, queue):
    queue.issue("surat")
    skipped = queue.issue("surat")
    login(client, "operator")
    page = client.get("/admin/counter/1").get_data(as_text=True)
    token = csrf_from(page)

    def press(action, **data):
        response = client.post(f"/admin/counter/1/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 303
        return client.get("/admin/counter/1").get_data(as_text=True)

    assert "A-001" in press("call-next")
    assert "Loket 1" in client.get("/admin/counter/1/live").get_data(as_text=True) or True
    press("start")
    html = press("call-next")  # finishes A-001, calls A-002
    assert 'class="flash ok"' in html and "A-002" in html
    html = press("skip")
    assert "A-002" in html  # now in the skipped list
    response = client.post(f"/admin/ticket/{skipped['id']}/requeue", data={"csrf_token": token, "counter": "1"})
    assert response.headers["Location"].endswith("/admin/counter/1")
    assert queue.ticket(skipped["id"])["status"] == "waiting"
    press("call-next")
    press("transfer", service="kependudukan")
    assert queue.ticket(skipped["id"])["service"] == "kependudukan"
    html = press("complete")
    assert 'class="flash error"' in html  # nothing at the counter any more


def test_counter_panel_without_csrf_is_refused(client, queue):
    queue.issue("surat")
    login(client, "operator")
    assert client.post("/admin/counter/1/call-next").status_code == 400
    assert queue.counters()[0]["serving"] is None


def test_editor_cannot_run_a_counter(client):
    login(client, "editor")
    assert client.get("/admin/counter/1").status_code == 403
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/counter/1"' not in html


def test_official_cancels_the_called_ticket_for_a_resident(client, queue):
    t = queue.issue("surat")
    queue.call_next(1)
    login(client, "operator")
    token = csrf_from(client.get("/admin/counter/1").get_data(as_text=True))
    response = client.post(f"/admin/ticket/{t['id']}/cancel", data={"csrf_token": token, "counter": "1"})
    assert response.headers["Location"].endswith("/admin/counter/1")
    assert queue.ticket(t["id"])["status"] == "cancelled"
    assert client.post(f"/admin/ticket/{t['id']}/explode", data={"csrf_token": token}).status_code == 404


def test_status_url_opens_the_ticket_page(client):
    """The link in every ticket answer (and its QR code) leads to the ticket's page."""
    ticket = client.post("/api/v1/tickets", json={"service": "surat"}).get_json()
    path = ticket["status_url"].removeprefix("http://localhost")
    assert ticket["number"] in client.get(path).get_data(as_text=True)
