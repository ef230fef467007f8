"""The village's content: edited in the console, shown to residents, recorded in the audit log."""

import json
import re
from datetime import timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from portal.domain import content
from portal.models import Announcement, AuditEntry, Business, Document
from tests.conftest import csrf_from, login

HOTSPOT = {"REMOTE_ADDR": "10.42.0.23"}
SCRIPT = "<script>alert(1)</script>"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def editor(client):
    login(client, "editor")
    return client


def post_form(client, path, data, files=None):
    """Post a console form with its CSRF token (multipart when it has files)."""
    token = csrf_from(client.get("/admin/content/").get_data(as_text=True))
    data = {"csrf_token": token, **data}
    for name, (filename, blob) in (files or {}).items():
        data[name] = (BytesIO(blob), filename)
    return client.post(path, data=data, content_type="multipart/form-data" if files else None)


def local(moment):
    """A UTC time as the village's datetime-local form value."""
    return (moment + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")


def test_public_pages_show_the_demo_village(client):
    pages = {
        "/news": "Posyandu Balita bulan ini",
        "/agenda": "Musyawarah Desa RKPDes",
        "/documents": "Peraturan Desa tentang APBDes",
        "/services": "Surat Keterangan Tidak Mampu (SKTM)",
        "/services/letters/sktm": "Fotokopi Kartu Keluarga",
        "/profile": "kaki Gunung Gede",
        "/officials": "Sekretaris Desa",
        "/umkm": "Sambal Teh Euis",
    }
    for path, text in pages.items():
        response = client.get(path, environ_base=HOTSPOT)
        assert response.status_code == 200, path
        assert text in response.get_data(as_text=True), path


def test_home_has_profile_agenda_emergency_numbers_and_a_menu(client):
    html = client.get("/", environ_base=HOTSPOT).get_data(as_text=True)
    for text in (
        "kaki Gunung Gede",
        "Musyawarah Desa RKPDes",
        "Ambulans Desa",
        'href="tel:0812-2000-1199"'.replace("-", ""),
    ):
        assert text in html
    for path in ("/services", "/complaints", "/budget", "/polls", "/agenda", "/documents", "/umkm", "/officials"):
        assert f'href="{path}"' in html


def test_letter_catalogue_links_to_the_queue_of_its_service(client):
    html = client.get("/services/letters/kelahiran").get_data(as_text=True)
    assert "Nama bayi" in html  # the fields a request will ask for
    assert "/queue#service-kependudukan" in html
    assert client.get("/services/letters/nope").status_code == 404


def test_announcement_scheduled_published_expired_and_hidden(editor, client, clock):
    now = clock.now()
    response = post_form(
        editor,
        "/admin/content/announcement/new",
        {
            "title": "Pembagian beras",
            "body": "Di balai desa.",
            "publish_at": local(now + timedelta(hours=2)),
            "expire_at": local(now + timedelta(days=1)),
            "pinned": "1",
        },
    )
    assert response.status_code == 303
    assert "Pembagian beras" not in client.get("/news").get_data(as_text=True)  # scheduled
    clock.advance(hours=3)
    home = client.get("/").get_data(as_text=True)
    assert home.index("Pembagian beras") < home.index("Posyandu Balita")  # pinned and newest first
    assert "Pembagian beras" in client.get("/display").get_data(as_text=True)
    clock.advance(days=1)
    assert "Pembagian beras" not in client.get("/news").get_data(as_text=True)  # expired


def test_unpublish_hides_an_announcement_everywhere(editor, client, balai):
    with balai.db.read() as session:
        item = session.scalar(select(Announcement).where(Announcement.title == "Pelayanan KTP-el keliling"))
    assert client.get(f"/news/{item.id}").status_code == 200
    token = csrf_from(editor.get("/admin/content/announcement/").get_data(as_text=True))
    assert (
        editor.post(f"/admin/content/announcement/{item.id}/unpublish", data={"csrf_token": token}).status_code == 303
    )
    assert client.get(f"/news/{item.id}").status_code == 404
    assert "Pelayanan KTP-el" not in client.get("/").get_data(as_text=True)


def test_bad_fields_are_all_reported_and_nothing_is_saved(editor, balai, clock):
    now = clock.now()
    response = post_form(
        editor,
        "/admin/content/announcement/new",
        {"title": "  ", "publish_at": local(now), "expire_at": "tomorrow-ish"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Isi bagian ini." in html or "Please fill this in." in html
    assert html.count('class="error-text"') == 2
    with balai.db.read() as session:
        assert session.scalar(select(Announcement).where(Announcement.title == "")) is None
    expired_first = post_form(
        editor,
        "/admin/content/announcement/new",
        {"title": "x", "publish_at": local(now), "expire_at": local(now - timedelta(hours=1))},
    )
    assert expired_first.status_code == 400


def test_document_upload_download_and_a_fake_pdf(editor, client, balai):
    response = post_form(
        editor,
        "/admin/content/document/new",
        {"title": "Perdes Pungutan Desa", "kind": "perdes", "year": "2026", "published": "1"},
        {"file": ("perdes.pdf", PDF)},
    )
    assert response.status_code == 303
    with balai.db.read() as session:
        doc = session.scalar(select(Document).where(Document.title == "Perdes Pungutan Desa"))
    download = client.get(f"/documents/{doc.id}.pdf")
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert "perdes-pungutan-desa-2026.pdf" in download.headers["Content-Disposition"]
    download.close()
    fake = post_form(
        editor,
        "/admin/content/document/new",
        {"title": "Not a PDF", "kind": "perdes", "year": "2026", "published": "1"},
        {"file": ("evil.pdf", b"<html><script>alert(1)</script></html>")},
    )
    assert fake.status_code == 400
    assert "bukan dokumen PDF" in fake.get_data(as_text=True) or "not a PDF" in fake.get_data(as_text=True)
    with balai.db.read() as session:
        assert session.scalar(select(Document).where(Document.title == "Not a PDF")) is None


def test_oversize_upload_is_refused(editor, balai):
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n"
    balai.settings["BALAI_DOCUMENT_MAX_MB"] = 1
    response = post_form(
        editor,
        "/admin/content/document/new",
        {"title": "Too big", "kind": "laporan", "year": "2026"},
        {"file": ("big.pdf", big)},
    )
    assert response.status_code in (400, 413)
    with balai.db.read() as session:
        assert session.scalar(select(Document).where(Document.title == "Too big")) is None
    response.request.environ["wsgi.input"].close()  # the test client's spooled body, left open when refused


def test_business_photo_is_cleaned_and_shown_small(editor, client, balai):
    out = BytesIO()
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    Image.new("RGB", (900, 600), "red").save(out, "JPEG", exif=exif)
    response = post_form(
        editor,
        "/admin/content/business/new",
        {"name": "Kopi Gunung", "category": "Minuman", "whatsapp": "0812-1111-2222", "published": "1"},
        {"photo": ("kopi.jpg", out.getvalue())},
    )
    assert response.status_code == 303
    with balai.db.read() as session:
        row = session.scalar(select(Business).where(Business.name == "Kopi Gunung"))
    html = client.get("/umkm").get_data(as_text=True)
    assert f"/media/{row.photo.replace('.jpg', '-s.jpg')}" in html
    assert "whatsapp://send?phone=6281211112222" in html and "https://" not in html
    photo = client.get(f"/media/{row.photo}")
    assert photo.mimetype == "image/jpeg" and b"Phone X" not in photo.data
    photo.close()


def fill_every_text_field(kind):
    """A form for ``kind`` with SCRIPT in every text field and valid values elsewhere."""
    values = {}
    for number, f in enumerate(kind.fields):
        if f.kind in ("text", "textarea", "lines"):
            values[f.name] = SCRIPT[: f.max_length]
        elif f.kind == "datetime":
            values[f.name] = f"2026-11-{10 + number}T09:00"  # each later than the one before
        elif f.kind == "choice":
            values[f.name] = f.choices[0][0]
        elif f.kind in ("int",):
            values[f.name] = "1"
        elif f.kind == "year":
            values[f.name] = "2026"
        elif f.kind == "bool":
            values[f.name] = "1"
        elif f.kind == "phone":
            values[f.name] = "0812 000"
    if kind.name == "letter":
        values["code"] = "surat-uji"
    if kind.name == "event":
        values["ends_at"] = ""
    return values


def test_script_in_every_text_field_is_shown_escaped(editor, client):
    public = ["/", "/news", "/agenda", "/documents", "/services", "/services/letters/surat-uji", "/profile"]
    public += ["/officials", "/umkm"]
    for name, kind in content.KINDS.items():
        files = {"file": ("a.pdf", PDF)} if name == "document" else None
        values = fill_every_text_field(kind)
        if name == "letter":
            values.pop("service_id", None)
        path = f"/admin/content/{name}/new" if kind.creatable else f"/admin/content/{name}/1"
        response = post_form(editor, path, values, files)
        assert response.status_code == 303, (name, response.get_data(as_text=True)[:2000])
    for path in public + [f"/admin/content/{name}/" for name in content.KINDS]:
        html = editor.get(path, follow_redirects=True).get_data(as_text=True)
        assert "<script>alert" not in html, path
    assert "&lt;script&gt;alert(1)" in client.get("/officials").get_data(as_text=True)


def test_console_content_is_for_editors_and_admins_only(client):
    login(client, "operator")
    assert client.get("/admin/content/").status_code == 403
    assert client.get("/admin/content/announcement/new").status_code == 403
    client.post("/admin/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    login(client, "editor")
    assert client.get("/admin/content/", environ_base=HOTSPOT).status_code == 404
    assert client.get("/admin/content/nope/").status_code == 404
    assert client.post("/admin/content/service/new", data={}).status_code in (400, 403)


def test_every_change_is_in_the_audit_log(editor, balai, clock):
    post_form(editor, "/admin/content/contact/new", {"label": "Bidan Desa", "phone": "0812 3333 4444"})
    with balai.db.read() as session:
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (row.action, row.username, row.address) == ("contact.create", "editor", "127.0.0.1")
        assert json.loads(row.detail)["label"] == "Bidan Desa"
        target = row.target
    contact_id = int(target.split(":")[1])
    post_form(editor, f"/admin/content/contact/{contact_id}", {"label": "Bidan Desa", "phone": "0812 3333 5555"})
    token = csrf_from(editor.get(f"/admin/content/contact/{contact_id}").get_data(as_text=True))
    editor.post(f"/admin/content/contact/{contact_id}/delete", data={"csrf_token": token, "confirm": "1"})
    with balai.db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["contact.create", "contact.update", "contact.delete"]
    assert json.loads(rows[1].detail) == {"phone": ["0812 3333 4444", "0812 3333 5555"]}


def queue_version(balai):
    return balai.db.rows("SELECT version FROM queue_state WHERE id = 1")[0][0]


def test_editing_a_service_changes_the_catalogue_and_the_queue_version(editor, client, balai):
    before = queue_version(balai)
    response = post_form(
        editor,
        "/admin/content/service/1",
        {"name": "Surat Pengantar & Keterangan", "description": "x", "requirements": "KTP", "fee": "Rp 5.000",
         "typical_minutes": "12"},
    )  # fmt: skip
    assert response.status_code == 303
    html = client.get("/services").get_data(as_text=True)
    assert "Rp 5.000" in html and re.search(r"sekitar 12 menit|about 12 minutes", html)
    assert queue_version(balai) > before


def test_announcements_api_lists_what_is_published(client, clock):
    items = client.get("/api/v1/announcements").get_json()
    assert items[0]["title"] == "Posyandu Balita bulan ini" and items[0]["pinned"] is True
    assert {"id", "title", "body", "publish_at", "expire_at", "url"} <= set(items[0])
    assert client.get(items[0]["url"]).status_code == 200
    assert "/api/v1/announcements" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_unpublished_documents_and_businesses_are_hidden(editor, client, balai):
    post_form(
        editor,
        "/admin/content/document/new",
        {"title": "Draf Perdes", "kind": "perdes", "year": "2026"},  # "published" left unticked
        {"file": ("draf.pdf", PDF)},
    )
    post_form(editor, "/admin/content/business/new", {"name": "Warung Rahasia"})
    with balai.db.read() as session:
        doc = session.scalar(select(Document).where(Document.title == "Draf Perdes"))
        shop = session.scalar(select(Business).where(Business.name == "Warung Rahasia"))
    assert not doc.published and not shop.published
    assert "Draf Perdes" not in client.get("/documents").get_data(as_text=True)
    assert client.get(f"/documents/{doc.id}.pdf").status_code == 404
    assert "Warung Rahasia" not in client.get("/umkm").get_data(as_text=True)
    assert client.get(f"/umkm/{shop.id}").status_code == 404
    post_form(editor, f"/admin/content/business/{shop.id}", {"name": "Warung Rahasia", "published": "1"})
    assert client.get(f"/umkm/{shop.id}").status_code == 200


def test_agenda_moves_past_events_down_and_marks_cancelled_ones(editor, client, clock):
    start = clock.now() + timedelta(days=2)
    post_form(
        editor,
        "/admin/content/event/new",
        {"title": "Lomba 17-an", "starts_at": local(start), "place": "Lapangan", "cancelled": "1"},
    )
    html = client.get("/agenda").get_data(as_text=True)
    upcoming = html.partition('<h2 id="past">')[0]
    assert "Lomba 17-an" in upcoming and 'class="tag"' in upcoming
    clock.advance(days=3)
    html = client.get("/agenda").get_data(as_text=True)
    assert "Lomba 17-an" in html.partition('<h2 id="past">')[2]  # under "this past month"
    clock.advance(days=40)
    assert "Lomba 17-an" not in client.get("/agenda").get_data(as_text=True)


def test_documents_filter_by_type_and_year(client):
    html = client.get("/documents?kind=rpjmdes").get_data(as_text=True)
    assert "RPJMDes Sukamaju" in html and "Peraturan Desa tentang APBDes" not in html
    html = client.get("/documents?kind=nope&year=abc").get_data(as_text=True)
    assert "RPJMDes Sukamaju" in html and "Peraturan Desa tentang APBDes" in html


def test_an_event_that_ended_early_is_listed_as_past(editor, client, clock):
    start = clock.now() - timedelta(hours=3)
    post_form(
        editor,
        "/admin/content/event/new",
        {"title": "Rapat singkat", "starts_at": local(start), "ends_at": local(start + timedelta(hours=2))},
    )
    past = client.get("/agenda").get_data(as_text=True).partition("<h2>")[2]
    assert "Rapat singkat" in past


def test_the_worker_refreshes_the_screens_when_a_scheduled_announcement_comes_due(editor, balai, clock):
    from portal.housekeeping import run_once

    post_form(
        editor,
        "/admin/content/announcement/new",
        {"title": "Nanti", "publish_at": local(clock.now() + timedelta(seconds=90))},
    )
    before = queue_version(balai)
    run_once(balai.db, clock, interval=60)
    assert queue_version(balai) == before  # nothing came due yet
    clock.advance(seconds=120)
    run_once(balai.db, clock, interval=60)
    assert queue_version(balai) == before + 1


BIG = "9" * 25


def test_numbers_too_big_for_the_database_are_bad_input_not_errors(client):
    for path in (
        f"/news/{BIG}",
        f"/umkm/{BIG}",
        f"/polls/{BIG}",
        f"/budget/{BIG}",
        f"/documents/{BIG}.pdf",
        f"/documents?year={BIG}",
    ):
        assert client.get(path).status_code in (400, 404), path
    login(client, "admin")
    for path in (
        f"/admin/complaints/{BIG}",
        f"/admin/content/announcement/{BIG}",
        f"/admin/content/audit?before={BIG}",
        f"/admin/polls/{BIG}",
        f"/admin/budget/{BIG}",
    ):
        assert client.get(path).status_code in (400, 404), path


def test_the_cached_home_page_follows_every_change(editor, client, clock):
    """The home page is rendered once per change, not per phone: a content edit, a ticket and the
    clock passing an agenda item each show at once."""
    assert "Ambulans Desa" in client.get("/").get_data(as_text=True)
    post_form(editor, "/admin/content/contact/new", {"label": "Bidan Yuli", "phone": "0812 9999 0000"})
    assert "Bidan Yuli" in client.get("/").get_data(as_text=True)
    before = client.get("/").get_data(as_text=True)
    client.post("/queue", data={"service": "surat"})
    assert client.get("/").get_data(as_text=True) != before  # one more waiting
    assert "Bidan Yuli" in client.get("/?lang=en").get_data(as_text=True)
    assert "Emergency numbers" in client.get("/?lang=en").get_data(as_text=True)
    assert "Nomor darurat" in client.get("/?lang=id").get_data(as_text=True)
