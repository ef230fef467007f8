"""The first-run setup wizard: on a fresh appliance (a village, nobody who can sign in) the console
leads to it, from the office only; each step is saved when posted, refuses bad input with a clear
message and changes nothing then, resumes at the right step after a restart, and the first admin
is created once, after which the wizard is gone."""

import io
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import delete, func, select

from portal import create_app
from portal.domain import kiosks, setup
from portal.models import AuditEntry, Counter, Service, User, Village
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, serving, settings_for
from tests.test_services_admin import form_fields

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
ROOT = Path(__file__).resolve().parent.parent
IDENTITY = {
    "name": "Desa Mekarsari",
    "code": "3201012001",
    "kecamatan": "Ciawi",
    "kabupaten": "Bogor",
    "province": "Jawa Barat",
    "timezone": "Asia/Jakarta",
}
ADMIN = {"username": "kades", "password": "sawah-hijau-2026", "password2": "sawah-hijau-2026"}


@pytest.fixture(scope="session")
def installed_db(tmp_path_factory):
    """A database as the Pi installer leaves it (the same commands): migrated, with the village's
    name, nothing else."""
    data_dir = tmp_path_factory.mktemp("installed")
    env = {**os.environ, "BALAI_DATA_DIR": str(data_dir), "BALAI_CONFIG": str(data_dir / "balai.conf")}
    for command in (["migrate"], ["village", "init", "Desa Mekarsari"]):
        subprocess.run([sys.executable, "-m", "portal", *command], cwd=ROOT, env=env, check=True, timeout=120)
    return data_dir / "balai.db"


@pytest.fixture
def fresh_dir(tmp_path, installed_db):
    directory = tmp_path / "fresh"
    directory.mkdir()
    shutil.copy(installed_db, directory / "balai.db")
    return directory


@pytest.fixture
def answers(tmp_path):
    """Where the installer's answers file would be (tests write it when they need one)."""
    return tmp_path / "install.answers"


def new_app(fresh_dir, clock, answers):
    app = create_app(overrides=settings_for(fresh_dir, BALAI_INSTALL_ANSWERS=str(answers)), clock=clock)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def wizard_app(fresh_dir, clock, answers):
    app = new_app(fresh_dir, clock, answers)
    yield app
    app.extensions["balai"].db.dispose()


@pytest.fixture
def wizard(wizard_app):
    """A browser in the office, on the fresh appliance."""
    return wizard_app.test_client()


@pytest.fixture
def fresh(wizard_app):
    return wizard_app.extensions["balai"]


def get(client, path, status=200):
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def submit(client, path, data=None, **kwargs):
    """Post a step's form as a browser would (its current fields, changed by ``data``)."""
    fields = form_fields(get(client, path))
    for key, value in (data or {}).items():
        fields.poplist(key)
        fields[key] = value
    return client.post(path, data=fields, query_string={"lang": "en"}, **kwargs)


def walk(client, until):
    """Save every step before ``until`` with good answers."""
    for step in setup.STEPS[: setup.STEPS.index(until)]:
        data = {"village": IDENTITY, "hotspot": {"wifi_name": "Balai Desa Mekarsari"}}.get(step, {})
        response = submit(client, f"/admin/setup/{step}", data)
        assert response.status_code == 303, (step, response.get_data(as_text=True))


def saved(balai):
    """What the wizard has stored: the village, the services' codes, the counters, the users and
    the setup steps in the audit log."""
    with balai.db.read() as session:
        village = session.get(Village, 1)
        return {
            "village": {k: getattr(village, k) for k in (*IDENTITY, "wifi_name")} if village else None,
            "services": sorted(session.scalars(select(Service.code))),
            "counters": sorted(session.scalars(select(Counter.name))),
            "users": sorted(session.scalars(select(User.username))),
            "steps": sorted(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("setup.%")))),
        }


def picture(kind, size=(900, 600)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


def test_the_console_leads_to_the_wizard_while_nobody_can_sign_in(wizard):
    for path in ("/admin/", "/admin/login"):
        response = wizard.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/admin/setup/"
    assert wizard.get("/admin/setup/").headers["Location"] == "/admin/setup/village"
    html = get(wizard, "/admin/setup/village")
    assert "Step 1 of 5" in html and 'value="Desa Mekarsari"' in html
    response = wizard.post("/admin/login", data={"csrf_token": csrf_from(html), "username": "x", "password": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/setup/"


def test_the_hotspot_never_sees_the_wizard(wizard):
    token = csrf_from(get(wizard, "/admin/setup/village"))
    for path in ("/admin/", "/admin/login", "/admin/setup/", "/admin/setup/village", "/admin/setup/admin"):
        assert wizard.get(path, environ_base=HOTSPOT).status_code == 404, path
    response = wizard.post("/admin/setup/admin", data={"csrf_token": token, **ADMIN}, environ_base=HOTSPOT)
    assert response.status_code == 404


def test_a_village_with_officials_has_no_wizard(client):
    """The demo village has officials: the wizard is gone and the console asks to sign in."""
    for path in ("/admin/setup", "/admin/setup/", "/admin/setup/village", "/admin/setup/admin"):
        assert client.get(path).status_code == 404, path
    assert client.get("/admin/").headers["Location"] == "/admin/login"
    assert client.get("/admin/login").status_code == 200


def test_the_whole_wizard_signs_the_first_admin_in(wizard, fresh):
    walk(wizard, "admin")
    html = get(wizard, "/admin/setup/admin")
    assert "Step 5 of 5" in html and 'href="/admin/setup/printer"' in html  # the back link
    response = submit(wizard, "/admin/setup/admin", ADMIN)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    home = get(wizard, "/admin/")
    assert "kades (admin)" in home and "Loket 1" in home and "Loket 2" in home
    stored = saved(fresh)
    assert stored["village"] == {**IDENTITY, "code": "32.01.01.2001", "wifi_name": "Balai Desa Mekarsari"}
    assert stored["services"] == ["bansos", "kependudukan", "nikah", "surat", "umum"]
    assert stored["counters"] == ["Loket 1", "Loket 2"]
    assert stored["users"] == ["kades"]
    assert stored["steps"] == sorted(f"setup.{step}" for step in setup.STEPS)
    with fresh.db.read() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "setup.village"))
        assert (entry.username, entry.address) == ("setup", "127.0.0.1")
    # Residents see the services at once.
    assert "Administrasi Kependudukan (KTP/KK/Akta)" in get(wizard, "/queue")
    # The wizard is gone for good, and the admin lands on the console.
    assert wizard.get("/admin/setup/village").status_code == 404
    assert submit(wizard, "/admin/services").status_code == 303


def test_a_step_ahead_leads_back_to_the_current_one(wizard):
    assert wizard.get("/admin/setup/services").headers["Location"] == "/admin/setup/village"
    walk(wizard, "services")
    response = wizard.post("/admin/setup/admin", data={"csrf_token": csrf_from(get(wizard, "/admin/setup/services"))})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/setup/services"
    html = get(wizard, "/admin/setup/services")
    assert "Step 3 of 5" in html
    assert 'href="/admin/setup/village"' in html and 'href="/admin/setup/admin"' not in html


def test_after_a_restart_the_wizard_resumes_at_the_right_step(wizard_app, wizard, fresh_dir, clock, answers):
    walk(wizard, "services")
    wizard_app.extensions["balai"].db.dispose()  # the power goes
    restarted = new_app(fresh_dir, clock, answers)
    try:
        browser = restarted.test_client()
        assert browser.get("/admin/").headers["Location"] == "/admin/setup/"
        assert browser.get("/admin/setup/").headers["Location"] == "/admin/setup/services"
        # The earlier steps show what was saved, for corrections.
        html = get(browser, "/admin/setup/village")
        assert 'value="Ciawi"' in html and 'value="32.01.01.2001"' in html
        assert 'value="Balai Desa Mekarsari"' in get(browser, "/admin/setup/hotspot")
        walk(browser, "printer")
        assert browser.get("/admin/setup/").headers["Location"] == "/admin/setup/printer"
    finally:
        restarted.extensions["balai"].db.dispose()


def test_the_installers_answers_prefill_the_wizard(wizard, fresh, answers):
    answers.write_text(
        "# The answers of the last run of deploy/raspberrypi/install.sh (re-used by --upgrade).\r\n"
        'VILLAGE_NAME="Desa Dari Installer"\n'
        "SSID='Wifi Balai Desa'\n"
        "  LAYOUT = builtin  \n"
        "PRINTER=$(touch /tmp/balai-never-run)\n"
        "not an answer\n"
    )
    html = get(wizard, "/admin/setup/village")
    assert 'value="Desa Mekarsari"' in html  # the village the installer created is the one saved
    walk(wizard, "hotspot")
    assert 'value="Wifi Balai Desa"' in get(wizard, "/admin/setup/hotspot")
    with fresh.db.write() as session:  # a database without a village (restored from an old backup, say)
        session.execute(delete(AuditEntry))
        session.execute(delete(Village))
    assert 'value="Desa Dari Installer"' in get(wizard, "/admin/setup/village")


def test_answers_are_read_as_text_and_never_run(tmp_path):
    path = tmp_path / "install.answers"
    marker = tmp_path / "ran"
    path.write_text(f'# comment\nSSID="Balai Desa"\nPRINTER=$(touch {marker})\nKIOSK=on # not a comment\n\nbad line\n')
    assert setup.read_answers(path) == {
        "SSID": "Balai Desa",
        "PRINTER": f"$(touch {marker})",
        "KIOSK": "on # not a comment",
    }
    assert not marker.exists()
    assert setup.read_answers(tmp_path / "missing") == {}
    assert setup.read_answers(tmp_path) == {}  # a directory: unreadable, no pre-fill


def test_without_an_answers_file_nothing_is_prefilled(wizard):
    walk(wizard, "hotspot")
    assert 'name="wifi_name" value=""' in get(wizard, "/admin/setup/hotspot")


@pytest.mark.parametrize(
    "change,field,expected",
    [
        ({"name": ""}, "name", "Please fill this in."),
        ({"code": "32.01.01"}, "code", "A Kemendagri code has 10 digits"),
        ({"kabupaten": "   "}, "kabupaten", "Please fill this in."),
        ({"timezone": "Europe/Paris"}, "timezone", "Please choose one of the options."),
        ({"name": "x" * 121}, "name", "Too long: at most 120 characters."),
    ],
)
def test_a_wrong_village_identity_is_refused_and_nothing_changes(wizard, fresh, change, field, expected):
    before = saved(fresh)
    response = submit(wizard, "/admin/setup/village", {**IDENTITY, **change})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert expected in html and "nothing was saved" in html and 'class="field invalid"' in html
    assert saved(fresh) == before


@pytest.mark.parametrize("name,expected", [("", "Please fill this in."), ("W" * 33, "at most 32 characters")])
def test_a_wrong_wifi_name_is_refused_and_nothing_changes(wizard, fresh, name, expected):
    walk(wizard, "hotspot")
    before = saved(fresh)
    response = submit(wizard, "/admin/setup/hotspot", {"wifi_name": name})
    assert response.status_code == 400 and expected in response.get_data(as_text=True)
    assert saved(fresh) == before


def test_the_services_step_starts_from_the_common_ones_and_refuses_bad_rows(wizard, fresh):
    walk(wizard, "services")
    fields = form_fields(get(wizard, "/admin/setup/services"))
    assert [fields[f"s{i}-name"] for i in range(2)] == [
        "Administrasi Kependudukan (KTP/KK/Akta)",
        "Surat Keterangan & Pengantar",
    ]
    assert fields.getlist("c0-serves") == ["0", "1", "2"]
    before = saved(fresh)
    fields["s1-prefix"] = "A"
    response = wizard.post("/admin/setup/services", data=fields, query_string={"lang": "en"})
    assert response.status_code == 400 and "Another entry already uses this." in response.get_data(as_text=True)
    assert saved(fresh) == before and before["services"] == []
    # Dropping some of the common ones, renaming one and adding another.
    fields["s1-prefix"] = "B"
    for i in (2, 3):
        fields.poplist(f"s{i}-keep")
    fields["s0-name"] = "Kependudukan"
    fields["s5-name"], fields["s5-prefix"], fields["s5-code"] = "Legalisir", "L", "legalisir"
    fields.add("c1-serves", "5")
    assert wizard.post("/admin/setup/services", data=fields).status_code == 303
    with fresh.db.read() as session:
        names = session.scalars(select(Service.name).order_by(Service.position)).all()
        loket2 = session.scalar(select(Counter).where(Counter.name == "Loket 2"))
        assert names == ["Kependudukan", "Surat Keterangan & Pengantar", "Layanan Umum & Pengaduan", "Legalisir"]
        assert sorted(s.code for s in loket2.services) == ["legalisir", "surat", "umum"]
        kependudukan = session.scalar(select(Service).where(Service.code == "kependudukan"))
        assert "Fotokopi Kartu Keluarga" in kependudukan.requirements  # the common service's details


@pytest.mark.parametrize(
    "change,expected",
    [
        ({"password": "pendek", "password2": "pendek"}, "The password must have at least 8 characters."),
        ({"password2": "sawah-hijau-2027"}, "The two new passwords are not the same."),
        ({"username": "  "}, "The username is empty or too long."),
    ],
)
def test_a_wrong_admin_account_is_refused_and_nothing_changes(wizard, fresh, change, expected):
    walk(wizard, "admin")
    before = saved(fresh)
    response = submit(wizard, "/admin/setup/admin", {**ADMIN, **change})
    assert response.status_code == 400 and expected in response.get_data(as_text=True)
    assert saved(fresh) == before and before["users"] == []
    assert wizard.get("/admin/").headers["Location"] == "/admin/setup/"  # nobody is signed in


def test_a_second_first_admin_gets_404(wizard_app, wizard, fresh):
    walk(wizard, "admin")
    other = wizard_app.test_client()
    token = csrf_from(get(other, "/admin/setup/admin"))
    assert submit(wizard, "/admin/setup/admin", ADMIN).status_code == 303
    response = other.post("/admin/setup/admin", data={"csrf_token": token, **ADMIN, "username": "sekdes"})
    assert response.status_code == 404
    assert saved(fresh)["users"] == ["kades"]


def test_two_browsers_finishing_at_once_create_one_admin(wizard_app, wizard, fresh):
    """Both pass the "nobody exists yet" check at the door; the write transaction lets one in."""
    walk(wizard, "admin")
    with serving(wizard_app) as base:
        browsers = []
        for name in ("kades", "sekdes"):
            browser = requests.Session()
            token = csrf_from(browser.get(f"{base}/admin/setup/admin", timeout=10).text)
            browsers.append((browser, {"csrf_token": token, **ADMIN, "username": name}))
        start, answers = threading.Barrier(len(browsers)), []

        def finish(browser, data):
            start.wait(timeout=10)
            answers.append(browser.post(f"{base}/admin/setup/admin", data=data, allow_redirects=False, timeout=30))

        threads = [threading.Thread(target=finish, args=pair) for pair in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(answer.status_code for answer in answers) == [303, 404]
    with fresh.db.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_the_logo_must_be_a_picture(wizard, fresh):
    logo = Path(fresh.settings["BALAI_DATA_DIR"]) / "logo.png"
    before = saved(fresh)
    data = {
        **IDENTITY,
        "kecamatan": "Megamendung",
        "logo": (io.BytesIO(b"<html><script>x</script></html>"), "logo.png"),
    }
    response = submit(wizard, "/admin/setup/village", data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "The logo must be a PNG or JPEG picture." in response.get_data(as_text=True)
    assert saved(fresh) == before and not logo.exists()
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    data["logo"] = (io.BytesIO(gif.getvalue()), "logo.gif")
    assert submit(wizard, "/admin/setup/village", data, content_type="multipart/form-data").status_code == 400


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_logo_is_reencoded_as_a_small_png(wizard, fresh, kind):
    data = {**IDENTITY, "logo": (io.BytesIO(picture(kind)), f"logo.{kind.lower()}")}
    assert submit(wizard, "/admin/setup/village", data, content_type="multipart/form-data").status_code == 303
    with Image.open(fresh.settings["BALAI_DATA_DIR"] + "/logo.png") as stored:
        assert stored.format == "PNG" and max(stored.size) == 400 and not stored.info.get("exif")
    with wizard.get("/village/logo.png") as served:
        assert served.status_code == 200 and served.mimetype == "image/png"
    assert "The current logo" in get(wizard, "/admin/setup/village")


def test_without_a_kiosk_the_printer_step_explains_how_to_register_one(wizard):
    walk(wizard, "printer")
    html = get(wizard, "/admin/setup/printer")
    assert "Step 4 of 5" in html and "python -m portal kiosk add" in html and "Skip this step" in html
    assert submit(wizard, "/admin/setup/printer").headers["Location"] == "/admin/setup/admin"


def test_the_printer_step_prints_a_test_receipt_and_shows_how_it_went(wizard, fresh):
    with fresh.db.write() as session:
        kiosk, device_token, _ = kiosks.add_kiosk(session, "Kiosk Aula", fresh.clock.now())
        kiosk_id = kiosk.id
    walk(wizard, "printer")
    html = get(wizard, "/admin/setup/printer")
    assert "Kiosk Aula" in html and "Print a test receipt" in html
    token = csrf_from(html)
    response = wizard.post("/admin/setup/printer/test", data={"csrf_token": token, "kiosk": kiosk_id})
    assert response.status_code == 303
    html = get(wizard, "/admin/setup/printer")
    assert "A test receipt is on its way to Kiosk Aula." in html
    assert "waiting for it to print" in html and 'http-equiv="refresh"' in html
    # The kiosk's agent takes the job over its API and reports it printed.
    agent = {"Authorization": f"Bearer {device_token}"}
    poll = {"agent": "test-agent", "printer": {"state": "ok", "detail": ""}, "wait": 0}
    jobs = wizard.post("/api/v1/kiosk/poll", json=poll, headers=agent).get_json()["jobs"]
    assert [job["reason"] for job in jobs] == ["test"]
    assert jobs[0]["receipt"]["village"] == "Desa Mekarsari"
    finished = wizard.post(f"/api/v1/kiosk/jobs/{jobs[0]['id']}", json={"outcome": "printed"}, headers=agent)
    assert finished.status_code == 200
    html = get(wizard, "/admin/setup/printer")
    assert "Printed. Check that the receipt came out" in html and 'http-equiv="refresh"' not in html
    assert submit(wizard, "/admin/setup/printer").status_code == 303
    with fresh.db.read() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "setup.printer"))
        assert "Kiosk Aula" in entry.detail and "printed" in entry.detail
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "printer.test"))
        assert (entry.username, entry.target) == ("setup", f"kiosk:{kiosk_id}")


def test_a_test_print_on_an_unknown_kiosk_says_so(wizard):
    walk(wizard, "printer")
    token = csrf_from(get(wizard, "/admin/setup/printer"))
    response = wizard.post("/admin/setup/printer/test", data={"csrf_token": token, "kiosk": "12345"})
    assert response.status_code == 303
    assert "There is no kiosk" in get(wizard, "/admin/setup/printer")


def test_every_step_page_has_the_indicator_and_needs_the_csrf_token(wizard):
    walk(wizard, "admin")
    for number, step in enumerate(setup.STEPS, 1):
        assert f"Step {number} of 5" in get(wizard, f"/admin/setup/{step}")
        assert wizard.post(f"/admin/setup/{step}", data={}).status_code == 400
