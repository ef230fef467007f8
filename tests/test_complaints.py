"""Complaints and aspirations: the resident's form and status page, the API, and the console."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal import create_app
from portal.config import media_dir
from portal.domain import codes, complaints, demo
from portal.models import AuditEntry, Complaint, ComplaintUpdate, User
from tests.conftest import HOTSPOT_ADDRESS, csrf_from, login, settings_for

HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
PHONE = {"REMOTE_ADDR": "10.42.0.77"}
TEXT = "Jalan di depan SD Negeri 1 berlubang besar sejak musim hujan."
CODE_FORMAT = re.compile(r"^PGD-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}$")
SCRIPT = "<script>alert(1)</script>"


def jpeg_with_gps():
    """A small real JPEG carrying EXIF with the camera make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 49.0, 12.5)}
    out = BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really has GPS
    return data


def png():
    out = BytesIO()
    Image.new("RGBA", (40, 30), (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def send(client, photo=None, filename="foto.jpg", environ_base=None, path="/complaints", **fields):
    """Post the complaint form (multipart, like a phone's browser)."""
    data = {"category": "infrastructure", "text": TEXT, **fields}
    if photo is not None:
        data["photo"] = FileStorage(BytesIO(photo), filename)
    # Encoded in memory: the test client would spool a big body to a temporary file it never closes.
    boundary, body = encode_multipart(data)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(path, data=body, content_type=content_type, environ_base=environ_base or PHONE)


def code_of(response):
    """The display code from the redirect to the status page."""
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.match(r"^/complaints/(PGD-[0-9A-Z-]+)\?sent=1$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def row(balai, code):
    with balai.db.read() as session:
        return complaints.find(session, code)


def count(balai):
    with balai.db.read() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def stored_files(balai):
    path = Path(media_dir(balai.settings))
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def add_update(client, complaint_id, **form):
    page = client.get(f"/admin/complaints/{complaint_id}")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "public": "1", **form}
    return client.post(f"/admin/complaints/{complaint_id}/update", data=data)


# The resident's form and status page.


def test_form_page_works_without_javascript(client):
    html = client.get("/complaints").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'accept="image/*"' in html
    assert html.count('type="radio" name="category"') == len(complaints.CATEGORIES)
    assert 'name="name"' in html and 'name="contact"' in html and "<textarea" in html
    assert 'action="/complaints/track"' in html
    assert "<script" not in html and "style=" not in html
    english = client.get("/complaints?lang=en").get_data(as_text=True)
    assert "Only village officials see them" in english


def test_send_with_photo_strips_metadata(client, balai):
    before = stored_files(balai)
    response = send(client, photo=jpeg_with_gps(), name="Pak Budi", contact="0812-1111-2222", environ_base=HOTSPOT)
    code = code_of(response)
    assert CODE_FORMAT.match(code)
    page = client.get(response.headers["Location"] + "&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and code in html
    assert "screenshot" in html and "Your complaint was sent" in html
    complaint = row(balai, code)
    assert complaint.status == "received" and complaint.client == HOTSPOT_ADDRESS
    assert complaint.name == "Pak Budi" and complaint.contact == "0812-1111-2222"
    assert f"/media/{complaint.photo.replace('.jpg', '-s.jpg')}" in html
    new_files = sorted(set(stored_files(balai)) - set(before))
    assert new_files == sorted([complaint.photo, complaint.photo.replace(".jpg", "-s.jpg")])
    for name in new_files:
        with client.get(f"/media/{name}") as served:
            data = served.data
        image = Image.open(BytesIO(data))
        assert image.format == "JPEG"
        assert not image.getexif() and "exif" not in image.info
        assert b"Exif" not in data and b"PhoneCam" not in data


def test_png_is_accepted_and_reencoded(client, balai):
    complaint = row(balai, code_of(send(client, photo=png(), filename="peta.png")))
    with open(f"{media_dir(balai.settings)}/{complaint.photo}", "rb") as f:
        assert Image.open(f).format == "JPEG"


@pytest.mark.parametrize("overrides", [{"BALAI_PHOTO_MAX_MB": 1}])
def test_oversize_photo_is_refused_and_nothing_stored(client, balai):
    before = stored_files(balai)
    big = jpeg_with_gps() + b"\0" * (1536 * 1024)  # 1.5 MB
    response = send(client, photo=big)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "1 MB" in html and 'name="category"' in html  # the form, with the reason
    just_over = jpeg_with_gps() + b"\0" * (1024 * 1024 + 10)  # under the body limit, over the photo limit
    refused = send(client, photo=just_over)
    assert refused.status_code == 400 and "1 MB" in refused.get_data(as_text=True)
    assert count(balai) == 2 and stored_files(balai) == before  # only the demo's complaints


@pytest.mark.parametrize(
    "data",
    [b"This is just a text file, not a picture at all.\n" * 20, b"<!doctype html><html><script>alert(1)</script>"],
    ids=["text", "html"],
)
def test_a_file_that_is_not_a_photo_is_refused(client, balai, data):
    before = stored_files(balai)
    response = send(client, photo=data, filename="foto.jpg", name="Pak Budi")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "Pak Budi" in html  # what was typed is kept
    assert TEXT in html
    assert count(balai) == 2 and stored_files(balai) == before


def test_fields_are_checked_and_stripped(client, balai):
    short = send(client, text="   pendek   ")
    assert short.status_code == 400 and "10" in short.get_data(as_text=True)
    assert send(client, text="x" * 4001).status_code == 400
    assert send(client, name="n" * 121).status_code == 400
    assert send(client, category="ufo").status_code == 400
    assert count(balai) == 2
    code = code_of(send(client, text=f"  {TEXT}\n ", name="  Bu Ani ", contact=" 0813 "))
    complaint = row(balai, code)
    assert (complaint.text, complaint.name, complaint.contact) == (TEXT, "Bu Ani", "0813")


def test_tracking_codes_are_random_and_typeable(monkeypatch):
    fresh = {complaints.new_code() for _ in range(200)}
    assert len(fresh) == 200
    assert all(len(c) == 10 and set(c) <= set(codes.ALPHABET) for c in fresh)
    assert all(CODE_FORMAT.match(complaints.display_code(c)) for c in fresh)
    # They come from the secrets module (the OS's random source), nothing seeded or guessable.
    monkeypatch.setattr(codes.secrets, "choice", lambda alphabet: alphabet[-1])
    assert complaints.new_code() == "Z" * 10
    stored = "PGD7KQ2MX9"  # a stored code may itself start with the prefix's letters
    for typed in ("PGD-PGD7K-Q2MX9", "pgd pgd7k q2mx9", "pgd7kq2mx9", "PGD-7KQ2M-X9", "pgdpgd7kq2mx9"):
        assert complaints.normalise_code(typed) == stored, typed
    for typed in ("", "PGD-7KQ2M", "PGD-7KQ2M-X9TRO", "0" * 10, "PGD-7KQ2M-X9TRAA"):
        assert complaints.normalise_code(typed) is None, typed


def test_code_collision_is_retried(balai, monkeypatch):
    with balai.db.read() as session:
        existing = session.scalar(select(Complaint.code).limit(1))
    fresh = iter([existing, existing, "ABCDEFGHJK"])
    monkeypatch.setattr(complaints, "new_code", lambda: next(fresh))
    with balai.db.write() as session:
        complaint = complaints.submit(session, "health", TEXT, now=balai.clock.now())
        assert complaint.code == "ABCDEFGHJK"


def test_unknown_or_altered_code_is_a_friendly_404(client):
    code = code_of(send(client))
    last = code[-1]
    altered = code[:-1] + ("2" if last != "2" else "3")
    response = client.get(f"/complaints/{altered}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'action="/complaints/track"' in html and altered in html and TEXT not in html
    assert client.get("/complaints/nonsense").status_code == 404
    assert client.get("/api/v1/complaints/" + altered).status_code == 404


def test_track_box_accepts_the_code_as_typed(client):
    code = code_of(send(client))
    typed = code.lower().replace("-", " ")
    response = client.get("/complaints/track", query_string={"code": typed})
    assert response.status_code == 303 and response.headers["Location"] == f"/complaints/{code}"
    assert client.get(f"/complaints/{code.replace('-', '').lower()}").status_code == 200
    wrong = client.get("/complaints/track", query_string={"code": "hello"})
    assert wrong.status_code == 404 and "hello" in wrong.get_data(as_text=True)


# Officials answer; what the resident sees.


def test_status_page_shows_public_replies_only(client, balai):
    code = code_of(send(client, name="Pak Budi Santoso", contact="0812-9999-0000"))
    complaint_id = row(balai, code).id
    login(client, "editor")
    assert (
        add_update(client, complaint_id, status="in_progress", body="Petugas akan datang hari Rabu.").status_code == 303
    )
    internal = add_update(client, complaint_id, body="Catatan: minta anggaran ke Kaur Keuangan.", public="")
    assert internal.status_code == 303
    client.post("/admin/logout", data={"csrf_token": csrf_from(client.get("/admin/").get_data(as_text=True))})
    html = client.get(f"/complaints/{code}?lang=en").get_data(as_text=True)
    assert "Petugas akan datang hari Rabu." in html and "Village official" in html
    assert "Kaur Keuangan" not in html
    assert "Pak Budi Santoso" not in html and "0812-9999-0000" not in html and "editor" not in html
    assert 'class="now">In progress' in html
    api = client.get(f"/api/v1/complaints/{code}").get_data(as_text=True)
    assert "Petugas akan datang" in api
    for secret in ("Kaur Keuangan", "Pak Budi", "0812-9999", "editor", PHONE["REMOTE_ADDR"]):
        assert secret not in api


def test_correction_is_appended_and_original_kept(client, balai):
    code = code_of(send(client))
    complaint_id = row(balai, code).id
    login(client, "editor")
    add_update(client, complaint_id, status="answered", body="Perbaikan dijadwalkan tanggal 5 Desember.")
    with balai.db.read() as session:
        original = session.scalar(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint_id))
    fixed = add_update(client, complaint_id, body="Ralat: tanggal 12 Desember.", corrects=str(original.id))
    assert fixed.status_code == 303
    html = client.get(f"/complaints/{code}?lang=en").get_data(as_text=True)
    assert "Perbaikan dijadwalkan tanggal 5 Desember." in html and "Ralat: tanggal 12 Desember." in html
    assert html.index("5 Desember") < html.index("Correction") < html.index("12 Desember")
    with balai.db.read() as session:
        assert session.get(ComplaintUpdate, original.id).body == "Perbaikan dijadwalkan tanggal 5 Desember."
        correction = session.scalar(select(ComplaintUpdate).where(ComplaintUpdate.corrects_id == original.id))
    updates = client.get(f"/api/v1/complaints/{code}").get_json()["updates"]
    assert [(u["number"], u["corrects"]) for u in updates] == [(1, None), (2, 1)]
    # A correction is a public reply with text, of a published reply of this complaint, not of a correction.
    other = row(balai, code_of(send(client, environ_base={"REMOTE_ADDR": "10.42.0.99"}))).id
    add_update(client, complaint_id, body="Catatan internal.", public="")
    with balai.db.read() as session:
        note_id = session.scalar(select(ComplaintUpdate.id).where(ComplaintUpdate.public.is_(False)))
    before = updates_count(balai)
    for corrects, public in ((note_id, "1"), (correction.id, "1"), (original.id, "")):
        response = add_update(client, complaint_id, body="Ralat lagi.", corrects=str(corrects), public=public)
        assert response.status_code == 303
    add_update(client, other, body="Ralat salah tempat.", corrects=str(original.id))
    assert updates_count(balai) == before
    page = client.get(f"/admin/complaints/{complaint_id}?lang=en").get_data(as_text=True)
    assert "A correction must be a public reply" in page


def updates_count(balai):
    with balai.db.read() as session:
        return session.scalar(select(func.count()).select_from(ComplaintUpdate))


def test_published_replies_cannot_be_edited_or_deleted(app):
    """There is no route that changes or removes an update: only appending ones."""
    rules = [r for r in app.url_map.iter_rules() if "complaint" in r.rule]
    writes = {(r.rule, m) for r in rules for m in r.methods - {"GET", "HEAD", "OPTIONS"}}
    assert writes == {
        ("/complaints", "POST"),
        ("/api/v1/complaints", "POST"),
        ("/admin/complaints/<int:complaint_id>/update", "POST"),
        ("/admin/complaints/<int:complaint_id>/assign", "POST"),
    }


# The rate limit.


def test_rate_limit_per_address_and_rolling_hour(app, client, balai, clock, data_dir):
    limit = balai.settings["BALAI_COMPLAINTS_PER_HOUR"]
    assert limit == 5
    for _ in range(limit):
        code_of(send(client))
        clock.advance(minutes=5)
    before, files = count(balai), stored_files(balai)
    refused = send(client, photo=jpeg_with_gps())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 60 * 60 - 25 * 60
    assert 'role="alert"' in refused.get_data(as_text=True)
    assert count(balai) == before and stored_files(balai) == files
    code_of(send(client, environ_base={"REMOTE_ADDR": "10.42.0.80"}))  # another phone is fine
    # Counted in the database: a restarted portal still refuses.
    restarted = create_app(overrides=settings_for(data_dir), clock=clock)
    assert send(restarted.test_client()).status_code == 429
    restarted.extensions["balai"].db.dispose()
    clock.advance(minutes=35)  # the first one left the window
    code_of(send(client))
    assert send(client).status_code == 429


@pytest.mark.parametrize("overrides", [{"BALAI_COMPLAINTS_PER_HOUR": 1}])
def test_rate_limit_message_is_readable(client):
    code_of(send(client))
    english = send(client, path="/complaints?lang=en")
    assert english.status_code == 429 and english.headers["Retry-After"] == "3600"
    assert "at most 1 per hour" in english.get_data(as_text=True)
    assert "60 minutes" in english.get_data(as_text=True)


# The API.


@pytest.mark.parametrize("overrides", [{"BALAI_PUBLIC_URL": "http://balai.desa"}])
def test_api_send_and_follow(client, balai):
    response = client.post(
        "/api/v1/complaints",
        json={"category": "health", "text": TEXT, "name": "Bu Ani", "contact": "0813"},
        environ_base=HOTSPOT,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"tracking_code", "status_url"}
    assert CODE_FORMAT.match(body["tracking_code"])
    assert body["status_url"] == f"http://balai.desa/complaints/{body['tracking_code']}"
    assert row(balai, body["tracking_code"]).name == "Bu Ani"
    followed = client.get(response.headers["Location"]).get_json()
    assert followed == {
        "tracking_code": body["tracking_code"],
        "category": "health",
        "status": "received",
        "created_at": balai.clock.now().isoformat(),
        "text": TEXT,
        "updates": [],
    }
    lower = client.get(f"/api/v1/complaints/{body['tracking_code'].lower().replace('-', '')}")
    assert lower.status_code == 200


def test_api_status_url_without_public_url_is_absolute(client):
    body = client.post("/api/v1/complaints", json={"category": "other", "text": TEXT}).get_json()
    assert body["status_url"] == f"http://localhost/complaints/{body['tracking_code']}"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"category": "ufo", "text": TEXT}, "complaint_bad_category"),
        ({"category": "health", "text": "pendek"}, "complaint_text_length"),
        ({"category": "health"}, "complaint_text_length"),
        ({"category": "health", "text": TEXT, "name": 12}, "bad_field"),
        ({"category": "health", "text": TEXT, "contact": "c" * 121}, "complaint_name_too_long"),
        (["not", "an", "object"], "bad_json"),
    ],
)
def test_api_refuses_bad_input(client, balai, payload, code):
    response = client.post("/api/v1/complaints", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"] == code and response.get_json()["message"]
    assert count(balai) == 2


def test_api_rate_limit(client, balai, clock):
    for _ in range(5):
        assert client.post("/api/v1/complaints", json={"category": "other", "text": TEXT}).status_code == 201
    refused = client.post("/api/v1/complaints?lang=en", json={"category": "other", "text": TEXT})
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "complaint_too_often"
    assert "at most 5 per hour" in refused.get_json()["message"]
    assert refused.headers["Retry-After"] == "3600"
    assert count(balai) == 2 + 5
    clock.advance(hours=1)
    assert client.post("/api/v1/complaints", json={"category": "other", "text": TEXT}).status_code == 201


# The console.


def test_console_lists_per_status_and_answers(client, balai):
    code = code_of(send(client, name="Pak Budi", contact="0812-1234"))
    complaint_id = row(balai, code).id
    login(client, "editor")
    listing = client.get("/admin/complaints?lang=en").get_data(as_text=True)
    assert "Received (2)" in listing and "Answered (1)" in listing and "All (3)" in listing
    assert listing.index(TEXT[:40]) < listing.index("Lampu jalan")  # open ones before answered ones
    received = client.get("/admin/complaints?status=received").get_data(as_text=True)
    assert TEXT[:40] in received and "Lampu jalan" not in received
    page = client.get(f"/admin/complaints/{complaint_id}").get_data(as_text=True)
    assert "Pak Budi" in page and "0812-1234" in page and code in page
    response = add_update(client, complaint_id, status="answered", body="Sudah kami tambal kemarin.")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/complaints/{complaint_id}")
    complaint = row(balai, code)
    assert complaint.status == "answered" and complaint.updated_at == balai.clock.now()
    assert add_update(client, complaint_id, status="", body="").status_code == 303
    assert "Write a reply" in client.get(f"/admin/complaints/{complaint_id}?lang=en").get_data(as_text=True)
    assert updates_count_for(balai, complaint_id) == 1


def updates_count_for(balai, complaint_id):
    with balai.db.read() as session:
        return session.scalar(
            select(func.count()).select_from(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint_id)
        )


def test_console_routes_to_an_official(client, balai):
    code = code_of(send(client))
    complaint_id = row(balai, code).id
    login(client, "editor")
    page = client.get(f"/admin/complaints/{complaint_id}").get_data(as_text=True)
    assert ">operator (" not in page and ">editor (editor)<" in page and ">admin (admin)<" in page
    with balai.db.read() as session:
        editor = next(u for u in complaints.officials(session) if u.username == "editor")
        operator_id = session.scalar(select(User.id).where(User.username == "operator"))
    token = csrf_from(page)
    refused = client.post(
        f"/admin/complaints/{complaint_id}/assign", data={"csrf_token": token, "official": operator_id}
    )
    assert refused.status_code == 303 and row(balai, code).assigned_to is None
    response = client.post(
        f"/admin/complaints/{complaint_id}/assign?lang=en", data={"csrf_token": token, "official": editor.id}
    )
    assert response.status_code == 303
    complaint = row(balai, code)
    assert complaint.assigned_to == editor.id
    with balai.db.read() as session:
        note = session.scalar(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint_id))
    assert note.public is False and note.body == "Routed to editor."
    assert "Routed to" not in client.get(f"/complaints/{code}?lang=en").get_data(as_text=True)


def test_console_permissions(client, balai):
    code = code_of(send(client))
    complaint_id = row(balai, code).id
    assert client.get("/admin/complaints").status_code == 302  # not signed in: to the sign-in page
    login(client, "operator")
    assert client.get("/admin/complaints").status_code == 403
    assert client.get(f"/admin/complaints/{complaint_id}").status_code == 403
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    refused = client.post(f"/admin/complaints/{complaint_id}/update", data={"csrf_token": token, "body": "x"})
    assert refused.status_code == 403 and updates_count_for(balai, complaint_id) == 0
    assert "/admin/complaints" not in client.get("/admin/").get_data(as_text=True)
    login(client, "editor")
    assert "/admin/complaints" in client.get("/admin/").get_data(as_text=True)
    hotspot = client.get("/admin/complaints", environ_base=HOTSPOT)
    assert hotspot.status_code == 404
    assert client.get(f"/admin/complaints/{complaint_id}", environ_base=HOTSPOT).status_code == 404


def test_everything_typed_is_escaped(client, balai):
    code = code_of(send(client, text=f"Tolong {SCRIPT} jalan rusak", name=SCRIPT, contact=SCRIPT))
    complaint_id = row(balai, code).id
    login(client, "editor")
    add_update(client, complaint_id, body=f"Balasan {SCRIPT}")
    add_update(client, complaint_id, body=f"Catatan {SCRIPT}", public="")
    pages = [
        client.get(f"/complaints/{code}").get_data(as_text=True),
        client.get(f"/admin/complaints/{complaint_id}").get_data(as_text=True),
        client.get("/admin/complaints").get_data(as_text=True),
    ]
    for html in pages:
        assert SCRIPT not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0] and pages[1].count("&lt;script&gt;") >= 5
    refused = send(client, text="x", name=SCRIPT)
    assert refused.status_code == 400 and SCRIPT not in refused.get_data(as_text=True)
    assert client.get(f"/complaints/{SCRIPT}").status_code == 404
    assert SCRIPT not in client.get("/complaints/track", query_string={"code": SCRIPT}).get_data(as_text=True)


def test_console_writes_are_audited(client, balai):
    code = code_of(send(client))
    complaint_id = row(balai, code).id
    login(client, "editor")
    add_update(client, complaint_id, status="in_progress", body="Sedang dicek.")
    page = client.get(f"/admin/complaints/{complaint_id}").get_data(as_text=True)
    with balai.db.read() as session:
        admin_id = next(u.id for u in complaints.officials(session) if u.username == "admin")
    client.post(f"/admin/complaints/{complaint_id}/assign", data={"csrf_token": csrf_from(page), "official": admin_id})
    with balai.db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.target == f"complaint:{complaint_id}").order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.username, e.address) for e in entries] == [
        ("complaint.update", "editor", "127.0.0.1"),
        ("complaint.assign", "editor", "127.0.0.1"),
    ]
    assert '"status": ["received", "in_progress"]' in entries[0].detail
    assert f'"assigned_to": [null, {admin_id}]' in entries[1].detail


def test_demo_has_an_answered_and_a_received_complaint(client, balai):
    with balai.db.read() as session:
        rows = session.scalars(select(Complaint).order_by(Complaint.created_at)).all()
        assert [c.status for c in rows] == ["answered", "received"]
        answered = complaints.public_view(session, rows[0])
    assert len(demo.COMPLAINTS) == 2 and answered["updates"][-1]["status"] == "answered"
    html = client.get(f"/complaints/{answered['code']}").get_data(as_text=True)
    assert "Lampu sudah diganti" in html


def test_console_list_pages_through_every_complaint(client, balai, clock):
    with balai.db.write() as session:
        for n in range(complaints.PAGE + 5):
            complaints.submit(session, "other", f"Keluhan nomor {n} dari warga desa.", now=clock.now())
    login(client, "editor")
    first = client.get("/admin/complaints").get_data(as_text=True)
    assert first.count("/admin/complaints/") >= complaints.PAGE and "page=1" in first
    second = client.get("/admin/complaints?page=1").get_data(as_text=True)
    assert "Keluhan nomor 0 dari" in second and "page=0" in second
    assert client.get("/admin/complaints?page=99999999999999999999999").status_code == 200
