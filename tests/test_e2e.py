"""Browser tier: real headless Chromium (Debian's) driven by Playwright, against a real waitress.

Screenshots of every page land in ``var/screenshots`` (``make screenshots`` copies them for the
README).
"""

import io
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hub import create_app as create_hub
from hub import users as hub_users
from hub import villages as hub_villages
from portal import create_app as create_portal
from portal import voices
from portal.cli import DEMO_LOGO
from portal.domain import demo
from portal.sync import sync_round
from tests.conftest import bearer, need, serving, settings_for
from tests.processes import start_agent, stop

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",  # as the hall's TV runs it: the board speaks unasked
]
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
# Records what the page plays (headless Chromium has no speakers to listen to).
PLAY_SPY = (
    "window.__played = []; const play = HTMLMediaElement.prototype.play;"
    "HTMLMediaElement.prototype.play = function () { window.__played.push(this.src.split('/').pop());"
    " return play.call(this); };"
)
# Records vibrations, since headless Chromium has no motor to check.
VIBRATE_SPY = "window.__vibrations = []; navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };"


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (no `playwright install`: Debian's binary)."""
    need(os.path.exists(CHROMIUM), "Chromium is not installed (tests/setup-system.sh installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def shot(page, name, full_page=True):
    """Save a screenshot for the README and for people reviewing a change (``full_page=False``:
    what the screen shows now)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def signed_in(browser, server, username, **options):
    """A browser context (a desktop unless ``options`` say) signed into the console as a demo
    official: (context, page)."""
    desk = browser.new_context(**(options or {"viewport": {"width": 1280, "height": 800}}))
    console = desk.new_page()
    console.goto(server + "/admin/login")
    console.fill("input[name=username]", username)
    console.fill("input[name=password]", f"demo-{username}")
    console.click("button[type=submit]")
    return desk, console


def test_phone_takes_a_ticket_and_sees_the_call(browser, server, token):
    """A phone takes a ticket; when an official calls it, the open page changes and vibrates."""
    import urllib.request

    context = browser.new_context(**PHONE)
    context.add_init_script(VIBRATE_SPY)
    page = context.new_page()
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Desa Sukamaju"
    shot(page, "phone-home")
    page.click("text=Ambil nomor antrean")
    shot(page, "phone-queue")
    page.locator("form:has(input[value=surat]) button").click()
    page.wait_for_url("**/ticket/*")
    assert page.locator(".number").inner_text() == "A-001"
    shot(page, "phone-ticket")
    request = urllib.request.Request(server + "/api/v1/counters/1/call-next", method="POST", headers=bearer(token))
    urllib.request.urlopen(request, timeout=10).close()
    page.wait_for_selector('[data-status="called"]', timeout=15_000)
    assert "Loket 1" in page.locator(".state.call").inner_text()
    assert page.evaluate("window.__vibrations.length") == 1
    shot(page, "phone-ticket-called")
    context.close()


def test_phone_without_javascript(browser, server):
    """The core flow works with JavaScript off: forms and redirects only."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(server + "/queue")
    page.locator("form:has(input[value=kependudukan]) label.check").click()
    page.locator("form:has(input[value=kependudukan]) button").click()
    page.wait_for_url("**/ticket/*")
    assert page.locator(".number").inner_text() == "B-001"
    assert page.locator(".badge").count() == 1  # priority
    page.locator("details.cancel summary").click()
    page.locator("details.cancel button").click()
    page.wait_for_selector('[data-status="cancelled"]')
    context.close()


def test_official_runs_a_counter_and_the_board_follows(browser, server, queue, data_dir, client, kiosk):
    """An official signs in and calls; the board (TV) shows the call without a reload and says
    it: a chime, then "nomor antrean a dua, silakan menuju loket satu" from the voice clips.
    On the way, the console shows the kiosk printer's paper and a receipt that may not have printed."""
    need(shutil.which("espeak-ng"), "espeak-ng is not installed (tests/setup-system.sh installs it as root)")
    voices.render(data_dir / "voices", voices.words_to_render(["loket", "satu", "dua", "tiga"]))
    queue.issue("surat")
    queue.issue("surat", priority=True)
    client.post("/api/v1/tickets", json={"service": "konsultasi"}, headers=bearer(kiosk[1]))
    body = {"agent": "a", "printer": {"state": "near_end", "detail": "status byte 0x1e"}}
    job = client.post("/api/v1/kiosk/poll", json=body, headers=bearer(kiosk[1])).get_json()["jobs"][0]
    client.post(f"/api/v1/kiosk/jobs/{job['id']}", json={"outcome": "uncertain"}, headers=bearer(kiosk[1]))
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)  # for the spy
    tv.add_init_script(PLAY_SPY)
    board = tv.new_page()
    board.goto(server + "/display")
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    page.goto(server + "/admin/")
    shot(page, "console-login")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "demo-operator")
    page.click("button[type=submit]")
    assert "Kertas hampir habis" in page.inner_text("#printers")
    shot(page, "console-index")
    page.click("text=Loket 1")
    page.click("button:has-text('Panggil berikutnya')")
    assert page.locator(".current .number").inner_text() == "A-002"  # priority first
    shot(page, "console-counter")
    board.wait_for_selector(".counter-number:has-text('A-002')", timeout=10_000)
    board.wait_for_function("window.__played.length >= 7", timeout=20_000)
    said = ["chime", "nomor-antrean", "a", "dua", "silakan-menuju", "loket", "satu"]
    assert [name.removesuffix(".wav") for name in board.evaluate("window.__played")] == said
    page.click("button:has-text('Panggil lagi')")
    board.wait_for_function("window.__played.length >= 14", timeout=20_000)  # a recall is said again
    assert [name.removesuffix(".wav") for name in board.evaluate("window.__played")][7:] == said
    shot(board, "board")
    tv.close()
    desk.close()


KIOSK_SIZES = [(800, 480), (1024, 600), (1280, 800)]  # the Pi's 7" display, and larger panels


def too_small(page, selector, minimum):
    """Tap targets on the page smaller than ``minimum`` CSS pixels high."""
    boxes = [element.bounding_box() for element in page.query_selector_all(selector)]
    return [box for box in boxes if box and box["height"] < minimum]


@pytest.mark.parametrize("width,height", KIOSK_SIZES, ids=lambda v: str(v))
def test_kiosk_takes_a_priority_number_by_touch(browser, server, kiosk, tmp_path, data_dir, width, height):
    """Pair the screen, tap a service, read its requirements, one tap for priority: the number
    is shown, the receipt (with the village logo) comes out of the (preview) printer and the
    screen says so."""
    shutil.copy(DEMO_LOGO, data_dir / "logo.png")
    agent = start_agent(server, kiosk[1], f"preview://{tmp_path}/receipts", tmp_path / "agent")
    try:
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
        page = context.new_page()
        page.goto(f"{server}/kiosk/pair/{kiosk[2]}")
        page.tap("button:has-text('Pasangkan layar ini')")
        page.wait_for_url(server + "/kiosk/")
        assert too_small(page, ".kiosk-button, .top a", 72) == []
        shot(page, f"kiosk-start-{width}x{height}")
        page.tap("a[href='/kiosk/service/kependudukan']")
        assert "Akta kelahiran" in page.inner_text("main")
        assert too_small(page, ".kiosk-button", 72) == []
        shot(page, f"kiosk-service-{width}x{height}")
        page.tap("button:has-text('Prioritas')")
        page.wait_for_url("**/kiosk/ticket/*")
        assert page.locator(".number").inner_text().startswith("B-")
        qr = Image.open(io.BytesIO(page.locator("svg.qr").screenshot()))
        assert [r.text for r in zxingcpp.read_barcodes(qr)] == [server + page.url.split("/kiosk")[1]]
        page.wait_for_selector("[data-receipt=printed]", timeout=15_000)  # kiosk.js followed the receipt
        shot(page, f"kiosk-ticket-{width}x{height}")
        context.close()
    finally:
        stop(agent)
    receipt = sorted((tmp_path / "receipts").glob("*.png"))
    assert len(receipt) == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(receipt[0], SHOTS / f"receipt-{width}x{height}.png")


def test_kiosk_keeps_the_number_when_the_printer_is_out_of_paper(browser, server, kiosk, client):
    """The agent reports paper out: the screen still shows the number, says what happened, and
    offers the QR code instead of paper."""
    body = {"agent": "a", "printer": {"state": "out", "detail": "status byte 0x72"}}
    client.post("/api/v1/kiosk/poll", json=body, headers=bearer(kiosk[1]))
    context = browser.new_context(viewport={"width": 1024, "height": 600}, has_touch=True)
    page = context.new_page()
    page.goto(f"{server}/kiosk/pair/{kiosk[2]}")
    page.tap("button:has-text('Pasangkan layar ini')")
    page.wait_for_url(server + "/kiosk/")
    assert "Kertas habis" in page.inner_text(".printer-note")
    page.tap("a[href='/kiosk/service/surat']")
    page.tap("button:has-text('Ambil nomor A')")
    page.wait_for_url("**/kiosk/ticket/*")
    assert page.locator(".number").inner_text() == "A-001"
    assert "Kertas printer habis" in page.inner_text("[data-receipt]")
    shot(page, "kiosk-printer-out-1024x600")
    context.close()


def test_kiosk_returns_to_the_start_when_left_alone(browser, server, queue):
    """30 s without a touch after taking a number: back to the start, the number off the screen;
    90 s on the start screen: the information screen, which a touch leaves."""
    ticket = queue.issue("surat")
    context = browser.new_context(viewport={"width": 800, "height": 480}, has_touch=True)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{server}/kiosk/ticket/{ticket['id']}")
    page.clock.fast_forward(31_000)
    page.wait_for_url(server + "/kiosk/")
    page.clock.fast_forward(91_000)
    page.wait_for_url("**/kiosk/info")
    shot(page, "kiosk-info-800x480")
    page.tap(".kiosk-attract")
    page.wait_for_url(server + "/kiosk/")
    context.close()


def test_phone_signs_in_to_the_wifi_and_the_console_lists_it(browser, server, balai):
    """The sign-in page as the popup shows it (no JavaScript, no cookies kept): terms and one
    button; without internet it says so. After accepting, the status page; the console lists the
    phone and can revoke it."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(server + "/wifi")
    assert "Internet sedang tidak tersedia" in page.inner_text("main")
    shot(page, "phone-wifi")
    balai.captive.record_uplink(True)
    context.clear_cookies()
    page.click("button:has-text('Setuju dan lanjut')")
    page.wait_for_url("**/wifi")
    assert "Anda terhubung ke internet" in page.inner_text("main")
    shot(page, "phone-wifi-connected")
    context.close()
    desk, console = signed_in(browser, server, "operator")
    console.click("text=Hotspot")
    assert "1 ponsel mendapat akses" in console.inner_text("main")
    shot(console, "console-hotspot")
    console.click("button:has-text('Cabut akses')")
    assert "tidak lagi diberi akses" in console.inner_text("main")
    desk.close()


def test_phone_reads_the_budget_sends_a_complaint_and_votes(browser, server, tmp_path):
    """The village's information on a 360×640 phone without JavaScript: the budget's charts, a
    complaint with a photo answered by a tracking code, and a vote on the demo's proposals."""
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(server + "/")
    page.click("nav.menu a[href='/budget']")
    assert page.locator("svg[role=img]").count() >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "phone-budget")
    page.goto(server + "/services")
    shot(page, "phone-services")
    page.goto(server + "/complaints")
    page.locator("label:has(input[name=category])").first.click()
    page.fill("textarea[name=text]", "Jembatan bambu di Dusun II rusak, anak sekolah harus memutar jauh.")
    photo = tmp_path / "jembatan.jpg"
    Image.new("RGB", (800, 600), (120, 90, 60)).save(photo, "JPEG")
    page.set_input_files("input[name=photo]", str(photo))
    shot(page, "phone-complaint")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/complaints/PGD-*")
    assert page.locator("text=PGD-").count() >= 1
    shot(page, "phone-complaint-sent")
    page.goto(server + "/polls")
    page.locator("main a").filter(has_text="Usulan prioritas").first.click()
    page.locator("label.option").first.click()
    page.click("form button[type=submit]")
    page.wait_for_url("**/polls/*")
    assert "1 · 100%" in page.inner_text("main")  # the vote counted, and the results are public
    shot(page, "phone-poll")
    context.close()


def test_editor_publishes_an_announcement_everyone_sees(browser, server):
    """An editor writes an announcement in the console; the phone home page shows it, and the
    display board's running text and the kiosk's attract loop, both already on their screens,
    pick it up without a reload."""
    title = "Vaksinasi gratis Jumat ini"
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    tv.goto(server + "/display")
    hall = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True).new_page()
    hall.clock.install()  # the kiosk's 90 s idle and 30 s refresh, fast-forwarded
    hall.goto(server + "/kiosk/")
    hall.clock.fast_forward(91_000)
    hall.wait_for_url("**/kiosk/info")  # left alone, the kiosk shows its attract loop
    for screen in (tv, hall):
        screen.evaluate("window.__same_page = true")
        assert title not in screen.inner_text("body")
    desk, console = signed_in(browser, server, "editor")
    console.click("nav a[href='/admin/content/']")
    shot(console, "console-content")
    console.click("main a[href='/admin/content/announcement/']")
    console.click("main a[href='/admin/content/announcement/new']")
    console.fill("input[name=title]", title)
    console.fill("textarea[name=body]", "Puskesmas keliling di Balai Desa pukul 09.00.")
    shot(console, "console-announcement-edit")
    console.click("form.content-form button[type=submit]")
    assert title in console.inner_text("main")  # back on the list
    console.goto(server + "/admin/budget/")
    shot(console, "console-budget")
    console.goto(server + "/admin/complaints")
    console.locator("main a[href*='/admin/complaints/']").first.click()
    shot(console, "console-complaint")
    desk.close()
    phone = browser.new_context(**PHONE).new_page()
    phone.goto(server + "/")
    assert title in phone.inner_text("main")
    phone.context.close()
    shows = "(title) => document.querySelector('{}').innerText.includes(title)"
    tv.wait_for_function(shows.format(".ticker"), arg=title, timeout=10_000)  # the board polls every 2 s
    shot(tv, "board-announcement", full_page=False)
    hall.clock.fast_forward(31_000)  # the attract loop refreshes every 30 s
    hall.wait_for_function(shows.format(".kiosk-attract"), arg=title, timeout=10_000)
    shot(hall, "kiosk-info-announcement", full_page=False)
    for screen in (tv, hall):
        assert screen.evaluate("window.__same_page") is True  # updated in place, not reloaded
        screen.context.close()


def test_district_reads_the_village_and_sends_an_announcement_residents_see(
    browser, request, overrides, clock, tmp_path
):
    """The village syncs with a real hub; a district admin signs in to the dashboard, reads the
    village's figures, sends an announcement; after the next sync the phone shows it, marked as
    from the district, and the village console shows the sync's state."""
    hub_app = create_hub(overrides={"BALAI_HUB_DATA_DIR": str(tmp_path / "hub"), "BALAI_HUB_SECURE_COOKIES": "off"})
    store = hub_app.extensions["hub"].store
    store.migrate()
    now = hub_app.extensions["hub"].clock.now()
    with store.write() as session:
        village, key = hub_villages.add(session, demo.CODE, "Sukamaju", now)
        hub_users.add(session, "dinas", "rahasia-kabupaten", "admin", now)
    with serving(hub_app) as hub_url:
        overrides.update(BALAI_UPSTREAM_URL=hub_url, BALAI_UPSTREAM_KEY=key)
        server = request.getfixturevalue("server")
        balai = request.getfixturevalue("balai")
        # Today on both ends (the hub's dashboard shows today's queue by the real date).
        clock.set(datetime.now(UTC) - timedelta(minutes=40))
        for service in ("surat", "surat", "kependudukan", "surat"):
            balai.queue.issue(service)
            clock.advance(minutes=4)
        for _ in range(2):
            clock.advance(minutes=6)
            balai.queue.call_next(1)
            clock.advance(minutes=5)
            balai.queue.complete(1)
        assert sync_round(balai, force=True)["sync"] == "ok"

        desk = browser.new_context(viewport={"width": 1280, "height": 800})
        dashboard = desk.new_page()
        dashboard.goto(hub_url + "/")
        dashboard.fill("input[name=username]", "dinas")
        dashboard.fill("input[name=password]", "rahasia-kabupaten")
        dashboard.click("button[type=submit]")
        assert "Sukamaju" in dashboard.inner_text("main")
        shot(dashboard, "hub-overview")
        dashboard.click(f"main a[href='/villages/{village.code}']")
        assert "Surat" in dashboard.inner_text("main") or "3" in dashboard.inner_text("main")
        shot(dashboard, "hub-village")
        dashboard.goto(hub_url + "/notices/new")
        dashboard.check("input[name=kind][value=announcement]")
        dashboard.fill("input[name=title]", "Vaksinasi polio serentak")
        dashboard.fill("textarea[name=body]", "Semua balita di Posyandu terdekat, Senin pukul 08.00.")
        dashboard.check(f"input[name=village][value='{village.code}']")
        dashboard.click("form[action='/notices/new'] button[type=submit]")
        assert "Vaksinasi polio serentak" in dashboard.inner_text("main")
        desk.close()

        assert sync_round(balai, force=True)["notices_applied"] == 1
        phone = browser.new_context(**PHONE).new_page()
        phone.goto(server + "/")
        district = phone.locator(".badge.district").first
        assert "Vaksinasi polio serentak" in phone.inner_text("main") and district.is_visible()
        phone.evaluate("window.scrollTo(0, 0)")
        district.evaluate("badge => window.scrollBy(0, badge.getBoundingClientRect().top - 120)")
        shot(phone, "phone-district", full_page=False)
        phone.context.close()
        desk, console = signed_in(browser, server, "admin")
        console.goto(server + "/admin/sync")
        assert "Vaksinasi" not in console.inner_text("main")  # announcements are not messages
        shot(console, "console-sync")
        desk.close()
    store.dispose()


def test_first_run_setup_in_a_browser(browser, tmp_path, clock):
    """A technician's first visit to a freshly installed Pi: the wizard opens, the village's details
    and the first admin are entered with a mouse and keyboard, and the console greets the admin."""
    data_dir = tmp_path / "fresh"
    env = {**os.environ, "BALAI_DATA_DIR": str(data_dir), "BALAI_CONFIG": str(data_dir / "balai.conf")}
    for command in (["migrate"], ["village", "init", "Desa Mekarsari"]):
        subprocess.run([sys.executable, "-m", "portal", *command], cwd=ROOT, env=env, check=True, timeout=120)
    fresh = create_portal(overrides=settings_for(data_dir), clock=clock)
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    try:
        with serving(fresh) as url:
            page.goto(url + "/admin/")
            assert "/admin/setup" in page.url
            page.fill("input[name=kecamatan]", "Cibeber")
            page.fill("input[name=kabupaten]", "Cianjur")
            shot(page, "console-setup")
            page.click("main button[type=submit]")
            page.fill("input[name=wifi_name]", "Wifi Balai Mekarsari")
            page.click("main button[type=submit]")
            page.click("main button[type=submit]")  # the common services and counters, as offered
            page.click("form[action$='/setup/printer'] button")  # no kiosk yet: the printer test is skipped
            page.fill("input[name=username]", "siti")
            page.fill("input[name=password]", "sukamaju-2026")
            page.fill("input[name=password2]", "sukamaju-2026")
            page.click("main button[type=submit]")
            assert page.url.rstrip("/").endswith("/admin") and "siti" in page.inner_text("nav")
    finally:
        desk.close()
        fresh.extensions["balai"].db.dispose()


def test_admin_tours_the_console(browser, server, queue, clock):
    """The admin's pages at a desk: today at a glance, statistics with their chart, the officials,
    the printers, the backups; and when the Pi's clock falls behind, the banner on every page."""
    for service in ("surat", "surat", "kependudukan"):
        queue.issue(service)
    desk, page = signed_in(browser, server, "admin")
    try:
        for path, name in (
            ("/admin/", "console-dashboard"),
            ("/admin/stats", "console-stats"),
            ("/admin/users", "console-users"),
            ("/admin/printers", "console-printers"),
            ("/admin/backups", "console-backups"),
        ):
            page.goto(server + path)
            assert page.locator("nav.console-nav").is_visible(), path
            shot(page, name)
        assert page.locator(".clock-banner").count() == 0
        clock.set(clock.now() - timedelta(hours=3))  # a Pi without a battery clock, after a power cut
        page.goto(server + "/admin/")
        banner = page.locator(".clock-banner")
        assert banner.is_visible()
        shot(page, "console-clock", full_page=False)
    finally:
        desk.close()


def fill_letter(page):
    """Answer the common letter questions (name, NIK, address, purpose) and tick the papers box."""
    page.fill("input[name=nama]", "Siti Aminah")
    page.fill("input[name=nik]", "3203015708900001")
    page.fill("input[name=alamat__rt]", "2")
    page.fill("input[name=alamat__rw]", "1")
    page.fill("input[name=alamat__dusun]", "Dusun I")
    page.fill("textarea[name=keperluan]", "Melamar pekerjaan")
    page.check("input[name=bring_papers]")


def pdf_text(data):
    """Every page's text of a PDF (pypdfium2)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_phone_requests_a_letter_the_office_issues_it(browser, server):
    """A resident asks for a surat keterangan domisili from a phone without JavaScript, with a
    queue ticket; an operator opens the request from the counter's call, issues the letter and
    prints it; the phone's status page then says "Siap diambil" with the letter's number."""
    phone = browser.new_context(java_script_enabled=False, **PHONE)
    page = phone.new_page()
    page.goto(server + "/")
    page.click("a[href='/letters']")
    page.click("a[href='/letters/new/domisili']")
    fill_letter(page)
    page.fill("input[name=nik]", "3203 0157 0890 0001")  # typed as the KTP groups it
    assert page.locator("input[type=file]").count() == 0  # nothing is uploaded from a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "phone-letter-form")
    page.click("form.letter-form button[type=submit]")
    page.wait_for_url("**/letters/status/SRT-*")
    code = page.locator("p.code").inner_text()
    assert page.locator("ol.steps li.now").inner_text() == "Diterima"
    html = page.content()
    assert "3203015708900001" not in html and "Siti Aminah" not in html and "S*** A*****" in html
    shot(page, "phone-letter-sent")

    desk, console = signed_in(browser, server, "operator")
    console.goto(server + "/admin/counter/1")
    console.locator("form[action$='/call-next'] button").first.click()
    console.click(f"text={code}")  # "Buka permohonan surat SRT-…" on the called ticket
    console.wait_for_url("**/admin/letters/*")
    assert console.locator("input[name=nik]").input_value() == "3203015708900001"  # pre-filled, in full
    shot(console, "console-letter-request")
    console.locator("button[formaction$='/issue']").click()
    console.wait_for_selector(".flash.ok")
    number = console.locator("article.reply b").first.inner_text()
    assert "/DS-SKM/" in number
    shot(console, "console-letter-issued")
    # The print button opens the PDF in a new tab; fetched here with the official's session.
    form = console.locator("form[target=_blank][action$='.pdf']").first
    token = form.locator("input[name=csrf_token]").input_value()
    pdf = console.request.post(server + form.get_attribute("action"), form={"csrf_token": token})
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert number in text and "Siti Aminah" in text
    desk.close()

    page.reload()
    assert page.locator("ol.steps li.now").inner_text() == "Siap diambil"
    assert number in page.inner_text("main")
    shot(page, "phone-letter-ready")
    phone.close()
