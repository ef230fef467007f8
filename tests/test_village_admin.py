"""The console's village page: after setup, admins change the village's identity, the Wi-Fi name
residents see and the logo; every change is audited, bad input changes nothing, and a new logo
reaches the kiosks' receipts without restarting their agents."""

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from portal.models import AuditEntry, Village
from tests.conftest import HOTSPOT_ADDRESS, bearer, login
from tests.fake_printer import FakePrinter
from tests.processes import start_agent, stop, wait_for
from tests.test_kiosk_devices import agent_poll
from tests.test_services_admin import assert_only_admins, form_fields

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
FIELDS = ("name", "code", "kecamatan", "kabupaten", "province", "timezone", "wifi_name")
CHANGED = {
    "name": "Desa Sukamaju Makmur",
    "code": "3203112006",
    "kecamatan": "Cibeber Utara",
    "kabupaten": "Cianjur",
    "province": "Jawa Barat",
    "timezone": "Asia/Makassar",
    "wifi_name": "Balai Sukamaju",
}


def page(client, path="/admin/village"):
    response = client.get(path, query_string={"lang": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def picture(size, colour=(0, 0, 0), kind="PNG"):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def submit(client, change=None, logo=None):
    """Post the page's form as a browser would: its fields as shown, changed by ``change``, and a
    logo file when given."""
    fields = form_fields(page(client))
    for key, value in (change or {}).items():
        fields[key] = value
    data = fields.to_dict()
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), "logo.png")
    return client.post("/admin/village", data=data, query_string={"lang": "en"}, content_type="multipart/form-data")


def stored(balai, data_dir):
    """The village's identity as saved, and the logo's bytes (None without one)."""
    with balai.db.read() as session:
        village = session.get(Village, 1)
        values = {name: getattr(village, name) for name in FIELDS}
    logo = data_dir / "logo.png"
    return values, logo.read_bytes() if logo.exists() else None


def entries(balai):
    with balai.db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "village.update").order_by(AuditEntry.id))
        return [(e.username, e.target, json.loads(e.detail)) for e in rows]


def logo_url(client, kiosk):
    """The logo address the kiosk agent is given with its next receipt."""
    token = kiosk[1]
    client.post("/api/v1/tickets", json={"service": "surat"}, headers=bearer(token))
    return agent_poll(client, token).get_json()["jobs"][-1]["receipt"]["logo_url"]


@pytest.fixture(autouse=True)
def answers(overrides, tmp_path):
    """Where the installer's answers would be (tests write the file when they need one)."""
    path = tmp_path / "install.answers"
    overrides["BALAI_INSTALL_ANSWERS"] = str(path)
    return path


@pytest.fixture
def unnamed(balai):
    """The demo village without a Wi-Fi name, like an appliance set up before it was asked for."""
    with balai.db.write() as session:
        session.get(Village, 1).wifi_name = ""


@pytest.fixture
def admin(app):
    browser = app.test_client()
    assert login(browser, "admin").status_code == 303
    return browser


def test_only_admins_may_open_the_page(client):
    assert_only_admins(client, "/admin/village")
    fields = form_fields(page(client))
    assert {name: fields[name] for name in FIELDS} == {
        "name": "Desa Sukamaju",
        "code": "32.03.11.2005",
        "kecamatan": "Cibeber",
        "kabupaten": "Cianjur",
        "province": "Jawa Barat",
        "timezone": "Asia/Jakarta",
        "wifi_name": "Wifi Balai Sukamaju",
    }


def test_the_hotspot_gets_404(admin):
    fields = form_fields(page(admin))
    assert admin.get("/admin/village", environ_base=HOTSPOT).status_code == 404
    assert admin.post("/admin/village", data=fields, environ_base=HOTSPOT).status_code == 404


def test_the_page_warns_that_the_time_zone_changes_the_day(admin):
    assert "Changing the time zone changes which day it is for the queue." in page(admin)


def test_edits_are_saved_and_audited(app, admin, balai, data_dir):
    response = submit(admin, CHANGED)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/village"
    values, logo = stored(balai, data_dir)
    assert values == {**CHANGED, "code": "32.03.11.2006"} and logo is None
    assert entries(balai) == [
        (
            "admin",
            "village",
            {
                "name": ["Desa Sukamaju", "Desa Sukamaju Makmur"],
                "code": ["32.03.11.2005", "32.03.11.2006"],
                "kecamatan": ["Cibeber", "Cibeber Utara"],
                "timezone": ["Asia/Jakarta", "Asia/Makassar"],
                "wifi_name": ["Wifi Balai Sukamaju", "Balai Sukamaju"],
            },
        )
    ]
    html = page(admin)
    assert "The village&#39;s details were saved." in html and 'value="Cibeber Utara"' in html
    assert "Desa Sukamaju Makmur" in app.test_client().get("/").get_data(as_text=True)  # residents see it at once
    audit_page = page(admin, "/admin/content/audit")
    assert "Changed the village&#39;s details" in audit_page and "Wi-Fi name" in audit_page


def test_a_village_without_a_wifi_name_is_asked_for_one(admin, balai, data_dir, unnamed):
    before = stored(balai, data_dir)
    response = submit(admin)
    assert response.status_code == 400 and "Please fill this in." in response.get_data(as_text=True)
    assert stored(balai, data_dir) == before


def test_the_installers_wifi_name_is_offered_when_none_is_saved(admin, answers, unnamed):
    answers.write_text('SSID="Wifi Balai Sukamaju"\n')
    assert form_fields(page(admin))["wifi_name"] == "Wifi Balai Sukamaju"


def test_posting_the_form_unchanged_changes_nothing(admin, balai, data_dir):
    before = stored(balai, data_dir)
    assert submit(admin).status_code == 303
    assert stored(balai, data_dir) == before and entries(balai) == []
    assert "Nothing was changed." in page(admin)


@pytest.mark.parametrize(
    "change,field,expected",
    [
        ({"name": "  "}, "name", "Please fill this in."),
        ({"code": "32.03.11"}, "code", "A Kemendagri code has 10 digits"),
        ({"kecamatan": ""}, "kecamatan", "Please fill this in."),
        ({"timezone": "Europe/Paris"}, "timezone", "Please choose one of the options."),
        ({"wifi_name": "W" * 33}, "wifi_name", "Too long: at most 32 characters."),
        ({"wifi_name": ""}, "wifi_name", "Please fill this in."),
    ],
)
def test_bad_input_changes_nothing_and_says_why(admin, balai, data_dir, change, field, expected):
    """A wrong field refuses the whole form, the good changes and the new logo with it."""
    before = stored(balai, data_dir)
    response = submit(admin, {**CHANGED, **change}, logo=picture((300, 300)))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert expected in html and "nothing was saved" in html
    assert f'name="{field}"' in html.split('class="field invalid"', 1)[1].split("</div>", 1)[0]
    assert field == "kecamatan" or 'value="Cibeber Utara"' in html  # shown again as typed
    assert stored(balai, data_dir) == before and entries(balai) == []


def test_a_logo_that_is_not_a_picture_changes_nothing(admin, balai, data_dir):
    before = stored(balai, data_dir)
    response = submit(admin, CHANGED, logo=b"GIF89a not really")
    assert response.status_code == 400
    assert "The logo must be a PNG or JPEG picture." in response.get_data(as_text=True)
    assert stored(balai, data_dir) == before and entries(balai) == []


def test_a_new_logo_changes_the_address_the_kiosk_fetches(admin, client, kiosk, balai, data_dir):
    assert logo_url(client, kiosk) is None
    assert submit(admin, logo=picture((300, 300), kind="JPEG")).status_code == 303
    first = logo_url(client, kiosk)
    assert first.startswith("http://localhost/village/logo.png?v=")
    assert "kiosk receipts from the next one on" in page(admin)
    assert submit(admin, logo=picture((600, 200), (0, 0, 120))).status_code == 303
    second = logo_url(client, kiosk)
    assert second != first and second.startswith("http://localhost/village/logo.png?v=")
    with client.get(second) as response:
        assert response.status_code == 200 and response.data == (data_dir / "logo.png").read_bytes()
    old, new = (url.rsplit("=", 1)[1] for url in (first, second))
    assert [detail for _, _, detail in entries(balai)] == [{"logo": [None, old]}, {"logo": [old, new]}]
    # The same picture again is no change.
    assert submit(admin, logo=picture((600, 200), (0, 0, 120))).status_code == 303
    assert logo_url(client, kiosk) == second and len(entries(balai)) == 2


def test_a_running_agent_prints_the_new_logo_without_a_restart(server, app, admin, kiosk, tmp_path):
    """The real kiosk agent (``python -m kiosk``) keeps each logo it fetched: the new one has a new
    address, so the next receipt carries it."""
    printer = FakePrinter()
    agent = start_agent(server, kiosk[1], f"tcp://127.0.0.1:{printer.address[1]}", tmp_path / "agent")
    try:
        screen = app.test_client()
        screen.post(f"/kiosk/pair/{kiosk[2]}")
        assert submit(admin, logo=picture((300, 300))).status_code == 303  # square
        screen.post("/kiosk/take", data={"service": "surat"})
        wait_for(lambda: printer.paper().cuts == 1, what="the first receipt")
        assert submit(admin, logo=picture((600, 200))).status_code == 303  # wide: a third as high
        screen.post("/kiosk/take", data={"service": "surat"})
        wait_for(lambda: printer.paper().cuts == 2, what="the second receipt")
        # Each receipt: the logo (centred on the paper's width, at most 160 dots high), then its QR code.
        first_logo, _, second_logo, _ = printer.paper().images
        assert first_logo.height == 160 and second_logo.height < 60
    finally:
        stop(agent)
        printer.close()
