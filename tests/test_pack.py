"""Content packs: a village's whole content exported, and set up on a fresh appliance in one step."""

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from portal import make_balai
from portal.cli import DEMO_LOGO
from portal.config import load, media_dir
from portal.domain import audit, district, pack
from portal.domain.errors import DomainError
from portal.models import Announcement, Business, Document, LetterType, Service, Village
from tests.conftest import csrf_from, login, settings_for

ROOT = Path(__file__).resolve().parent.parent


def run_cli(data_dir, *args):
    env = {**os.environ, "BALAI_DATA_DIR": str(data_dir), "BALAI_CONFIG": str(data_dir / "none.conf")}
    return subprocess.run(
        [sys.executable, "-m", "portal", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def counts(balai):
    with balai.db.read() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Village, Service, LetterType, Announcement, Document, Business)
        }


def test_export_then_import_on_a_fresh_appliance(data_dir, balai, tmp_path):
    """The demo's content, exported from one Pi, sets up an empty one: same content, same files."""
    shutil.copy(DEMO_LOGO, data_dir / "logo.png")
    target = tmp_path / "pack.zip"
    result = run_cli(data_dir, "content", "export", str(target))
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "fresh"
    assert run_cli(fresh, "migrate").returncode == 0
    result = run_cli(fresh, "content", "import", str(target))
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout
    other = make_balai(load(overrides=settings_for(fresh)))
    assert counts(other) == counts(balai)
    with other.db.read() as session:
        business = session.scalar(select(Business).where(Business.name == "Sambal Teh Euis"))
        document = session.scalar(select(Document).where(Document.kind == "perdes"))
        assert session.get(Village, 1).profile.startswith("Desa Sukamaju terletak")
    assert (fresh / "media" / business.photo).is_file() and (fresh / "media" / document.file).is_file()
    assert (fresh / "logo.png").read_bytes() == DEMO_LOGO.read_bytes()
    other.db.dispose()
    again = run_cli(fresh, "content", "import", str(target))
    assert again.returncode != 0 and "--replace" in again.stderr  # never over a village by accident
    assert run_cli(fresh, "content", "import", "--replace", str(target)).returncode == 0


def broken(source_dir, change):
    """The demo pack as zip bytes, with ``change(doc, files)`` applied."""
    doc = yaml.safe_load((source_dir / "content.yaml").read_text())
    blobs = {f"files/{p.name}": p.read_bytes() for p in (source_dir / "files").iterdir()}
    change(doc, blobs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("content.yaml", yaml.safe_dump(doc, allow_unicode=True))
        for name, data in blobs.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "change",
    [
        lambda doc, blobs: doc["contacts"].append({"label": "x", "phone": "call me maybe"}),
        lambda doc, blobs: blobs.pop("files/sambal.jpg"),
        lambda doc, blobs: blobs.__setitem__("files/rpjmdes.pdf", b"<html><script>alert(1)</script></html>"),
        lambda doc, blobs: doc["counters"].append({"name": "Loket 9", "services": ["nope"]}),
        lambda doc, blobs: doc["budget"].append({"year": 2026, "lines": [{"kind": "x", "category": "a", "name": "b"}]}),
        lambda doc, blobs: doc.update(format="something-else"),
        lambda doc, blobs: doc["services"][0].update(daily_cap="lots"),
        lambda doc, blobs: doc["services"][0].update(opens_at="8:00"),
        lambda doc, blobs: doc["services"][0].update(typical_minutes="15 menit"),
        lambda doc, blobs: doc["counters"].append({"services": []}),  # no name
        lambda doc, blobs: doc["letter_types"].append(doc["letter_types"][0]),  # the same code twice
        lambda doc, blobs: doc["officers"].append("just a string"),
        lambda doc, blobs: doc["budget"].append(
            {"year": 2030, "lines": [{"kind": "income", "category": "a", "name": "b", "budget": 10**30}]}
        ),
        lambda doc, blobs: doc["village"].update(timezone="Mars/Olympus"),
        lambda doc, blobs: blobs.__setitem__("files/logo.png", b"GIF89a not a png"),
    ],
)
def test_a_bad_pack_changes_nothing(balai, change, clock):
    data = broken(ROOT / "portal" / "demo", change)
    before = counts(balai)
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        session.execute(Announcement.__table__.delete())  # would be undone with the rest
        pack.load(session, data, balai.settings["BALAI_DATA_DIR"] + "/media", "/nonexistent/logo.png",
                  audit.SYSTEM, clock.now())  # fmt: skip
    assert caught.value.code in ("bad_pack", "pdf_bad_type", "photo_bad_type")
    assert counts(balai) == before


def test_not_a_zip_is_refused(balai, clock):
    with pytest.raises(DomainError), balai.db.write() as session:
        pack.load(session, b"PK\x03\x04 not really", "/tmp", "/tmp/logo.png", audit.SYSTEM, clock.now())


def test_console_download_and_admin_only_import(client, balai):
    login(client, "editor")
    download = client.get("/admin/content/pack.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    data = download.data
    assert "content.yaml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    token = csrf_from(client.get("/admin/content/").get_data(as_text=True))
    form = {"csrf_token": token, "confirm": "1", "pack": (io.BytesIO(data), "pack.zip")}
    assert client.post("/admin/content/pack", data=form, content_type="multipart/form-data").status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    login(client, "admin")
    token = csrf_from(client.get("/admin/content/").get_data(as_text=True))
    unconfirmed = {"csrf_token": token, "pack": (io.BytesIO(data), "pack.zip")}
    client.post("/admin/content/pack", data=unconfirmed, content_type="multipart/form-data")
    form = {"csrf_token": token, "confirm": "1", "pack": (io.BytesIO(data), "pack.zip")}
    response = client.post("/admin/content/pack", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    assert "Mengimpor paket konten" in client.get("/admin/content/audit").get_data(as_text=True)
    assert client.get("/admin/content/audit", environ_base={"REMOTE_ADDR": "10.42.0.23"}).status_code == 404


def test_a_refused_pack_leaves_the_logo_alone(balai, clock, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"the old logo")
    data = broken(ROOT / "portal" / "demo", lambda doc, blobs: doc["contacts"].append({"label": "x", "phone": "?"}))
    with pytest.raises(DomainError), balai.db.write() as session:
        pack.load(session, data, str(tmp_path / "media"), str(logo), audit.SYSTEM, clock.now())
    assert logo.read_bytes() == b"the old logo"


def test_yaml_aliases_and_oversized_files_are_refused(balai, clock, tmp_path):
    bomb = "format: balai-content-pack\nversion: 1\na: &a [x, x, x, x, x, x, x, x, x]\nb: [*a, *a, *a, *a]\n"
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        pack.load(session, zip_of({"content.yaml": bomb}), str(tmp_path), str(tmp_path / "l.png"), audit.SYSTEM,
                  clock.now())  # fmt: skip
    assert "aliases" in caught.value.details["problem"]
    doc = yaml.safe_load((ROOT / "portal" / "demo" / "content.yaml").read_text())
    big = {"content.yaml": yaml.safe_dump(doc), "files/balai-desa.jpg": b"\xff\xd8" + b"\0" * (2 * 1024 * 1024)}
    with pytest.raises(DomainError) as caught, balai.db.write() as session:
        pack.load(session, zip_of(big), str(tmp_path), str(tmp_path / "l.png"), audit.SYSTEM, clock.now(),
                  photo_mb=1, pdf_mb=1)  # fmt: skip
    assert "larger than 1 MB" in caught.value.details["problem"]


def test_missing_flags_take_their_defaults(balai, clock, tmp_path):
    def drop_flags(doc, blobs):
        for item in doc["documents"] + doc["businesses"]:
            item.pop("published")

    data = broken(ROOT / "portal" / "demo", drop_flags)
    with balai.db.write() as session:
        pack.load(session, data, str(tmp_path / "media"), str(tmp_path / "logo.png"), audit.SYSTEM, clock.now())
    with balai.db.read() as session:
        assert all(d.published and d.size > 0 for d in session.scalars(select(Document)))
        assert all(b.published for b in session.scalars(select(Business)))


def zip_of(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_districts_announcements_stay_out_of_packs(balai, clock, tmp_path):
    """Does a pack carry or wipe the district's announcements? Neither: they belong to the sync."""
    notice = {"id": 7, "kind": "announcement", "title": "Vaksinasi", "body": "", "sent_at": clock.now().isoformat()}
    with balai.db.write() as session:
        district.apply_notices(session, [notice], 7, clock.now())
        doc, files = pack.export(session, media_dir(balai.settings), tmp_path / "logo.png", clock.now())
    assert "Vaksinasi" not in [a["title"] for a in doc["announcements"]]
    source = tmp_path / "pack.zip"
    source.write_bytes(pack.write_zip(doc, files))
    with balai.db.write() as session:
        pack.load(session, source, media_dir(balai.settings), tmp_path / "logo.png", audit.SYSTEM, clock.now())
        assert session.scalar(select(Announcement).where(Announcement.district_id == 7)).title == "Vaksinasi"
