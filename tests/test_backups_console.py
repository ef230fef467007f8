"""The console's backups page: the Pi's backups listed, made and downloaded; a restore checked,
confirmed and handed to the root restore service (deploy/raspberrypi/bin/balai-restore), whose
checks and whose report to the console are tested here on real files too."""

import io
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from portal import backup, config
from portal.domain.village import get_village
from portal.models import AuditEntry
from tests.conftest import HOTSPOT_ADDRESS, MONDAY_9AM, csrf_from, login, settings_for
from tests.test_backup import mounted

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "deploy" / "raspberrypi" / "bin" / "balai-restore"
HOTSPOT = {"REMOTE_ADDR": HOTSPOT_ADDRESS}
PASSPHRASE = "kopi tubruk di balai desa"


def page(client, path="/admin/backups", status=200, **query):
    """A console page in English."""
    response = client.get(path, query_string={"lang": "en", **query})
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def made(balai, passphrase=None, minutes=0, settings=None):
    """A real backup of the test's data (or of ``settings``' data), made ``minutes`` after 09:00."""
    return backup.create(settings or balai.settings, MONDAY_9AM + timedelta(minutes=minutes), passphrase).path


def audited(balai, action):
    """The audit entries of ``action``, oldest first."""
    with balai.db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        return [(row.username, row.address, row.target, row.detail) for row in rows]


def restore_folder(balai):
    return Path(config.restore_dir(balai.settings))


def staged_files(balai):
    folder = restore_folder(balai)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def check(client, data, status=200):
    """Post the restore form (an upload is ``(bytes, filename)`` under "backup"); the page's text."""
    token = csrf_from(page(client, "/admin/backups/restore"))
    if "backup" in data:
        content, filename = data["backup"]
        data = {**data, "backup": (io.BytesIO(content), filename)}
    response = client.post(
        "/admin/backups/restore",
        data={**data, "csrf_token": token},
        content_type="multipart/form-data",
        query_string={"lang": "en"},
    )
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def confirm(client, html):
    """Press "Restore this backup now" on a confirmation page; the response."""
    action = re.search(r'action="(/admin/backups/restore/[0-9a-f]{16}/confirm)"', html).group(1)
    return client.post(action, data={"csrf_token": csrf_from(html)}, query_string={"lang": "en"})


def test_only_admins_reach_the_page_and_the_hotspot_never(client, balai):
    name = made(balai).name
    paths = ["/admin/backups", f"/admin/backups/download/{name}", "/admin/backups/restore"]
    assert client.get("/admin/backups").headers["Location"].endswith("/admin/login")
    for username in ("operator", "editor"):
        login(client, username)
        token = csrf_from(page(client, "/admin/"))
        assert 'href="/admin/backups"' not in page(client, "/admin/")
        for path in paths:
            assert client.get(path).status_code == 403, path
        assert client.post("/admin/backups/make", data={"csrf_token": token}).status_code == 403
    login(client, "admin")
    assert 'href="/admin/backups"' in page(client, "/admin/")
    token = csrf_from(page(client))
    for path in paths:
        assert client.get(path, environ_base=HOTSPOT).status_code == 404, path
    assert client.post("/admin/backups/make", data={"csrf_token": token}, environ_base=HOTSPOT).status_code == 404
    assert [p.name for p in backup.backups_in(Path(config.backup_dir(balai.settings)))] == [name]  # none made


def test_the_list_shows_each_backup_and_one_downloads_with_an_audit_entry(client, balai):
    plain, secret = made(balai), made(balai, PASSPHRASE, minutes=5)
    login(client, "admin")
    html = page(client)
    assert "2 backups on the Pi" in html
    # Names are UTC; the village reads its own time (WIB, 09:00 and 09:05).
    assert "Monday, 23 November 2026 09.00" in html and "Monday, 23 November 2026 09.05" in html
    assert html.index("09.05") < html.index("09.00")  # the newest first
    assert "Backups are NOT encrypted" in html  # no passphrase file: the nightly backups are plain
    response = client.get(f"/admin/backups/download/{secret.name}")
    assert response.status_code == 200 and response.data == secret.read_bytes()
    assert response.headers["Content-Disposition"] == f"attachment; filename={secret.name}"
    assert response.headers["Cache-Control"] == "no-store"
    response.close()
    assert audited(balai, "backup.download") == [("admin", "127.0.0.1", f"backup:{secret.name}", "{}")]
    for name in ("balai-20200101-000000.balai-backup", "..%2Fbalai.db", "x", plain.name + ".tmp"):
        assert client.get(f"/admin/backups/download/{name}").status_code == 404, name


def test_make_a_backup_now(client, balai, data_dir):
    login(client, "admin")
    token = csrf_from(page(client))
    assert client.post("/admin/backups/make", data={}).status_code == 400  # no CSRF token: refused
    assert not (data_dir / "backups").exists()
    html = client.post("/admin/backups/make", data={"csrf_token": token}, follow_redirects=True).get_data(True)
    assert "A backup was made" in html and "It is not encrypted" in html
    (path,) = backup.backups_in(data_dir / "backups")
    assert backup.encrypted(path) is False
    (data_dir / "backup-passphrase").write_text(PASSPHRASE + "\n")
    balai.clock.advance(minutes=1)
    html = client.post("/admin/backups/make", data={"csrf_token": token}, follow_redirects=True).get_data(True)
    assert "Backups are encrypted with the appliance's passphrase" in html and "It is not encrypted" not in html
    assert backup.encrypted(backup.backups_in(data_dir / "backups")[-1]) is True
    assert [entry[:3] for entry in audited(balai, "backup.create")] == [
        ("admin", "127.0.0.1", f"backup:{p.name}") for p in backup.backups_in(data_dir / "backups")
    ]
    (data_dir / "backup-passphrase").write_text("short\n")
    html = client.post("/admin/backups/make", data={"csrf_token": token}, follow_redirects=True).get_data(True)
    assert "The passphrase file cannot be used" in html and "shorter than 12 characters" in html


def test_a_full_disk_says_so_and_keeps_the_backups(client, balai, data_dir):
    login(client, "admin")
    token = csrf_from(page(client))
    with mounted(data_dir / "backups", 64):
        html = client.post("/admin/backups/make", data={"csrf_token": token}, follow_redirects=True).get_data(True)
        assert "The Pi&#39;s disk is full" in html and "A backup was made" not in html
        assert backup.backups_in(data_dir / "backups") == []
    assert audited(balai, "backup.create") == []


def too_new_backup(tmp_path, template_db):
    """A backup from a Balai whose schema this one does not know."""
    other = tmp_path / "newer"
    other.mkdir()
    shutil.copy(template_db, other / "balai.db")
    with closing(sqlite3.connect(other / "balai.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    return made(None, settings=config.load(environ={}, overrides=settings_for(other)))


def test_a_backup_that_fails_its_check_changes_nothing(client, balai, tmp_path, template_db):
    """Garbage, a wrong or missing passphrase, a damaged file, a backup from a newer Balai: each
    gets its own plain message, and nothing is left staged."""
    good = made(balai, PASSPHRASE).read_bytes()
    login(client, "admin")
    cases = [
        ({"backup": (b"PK\x03\x04 not a backup at all", "photos.zip")}, "is not a Balai backup"),
        ({"backup": (good, "b.balai-backup"), "passphrase": "wrong passphrase!"}, "The passphrase is wrong"),
        ({"backup": (good, "b.balai-backup")}, "This backup is encrypted: type its passphrase"),
        ({"backup": (good[:-200], "b.balai-backup"), "passphrase": PASSPHRASE}, "This backup is damaged"),
        ({"backup": (too_new_backup(tmp_path, template_db).read_bytes(), "new.balai-backup")}, "a newer version"),
        ({}, "Choose a backup file"),
        ({"name": "balai-20200101-000000.balai-backup"}, "There is no such backup on the Pi"),
    ]
    for data, words in cases:
        assert words in check(client, data, status=400), words
        assert staged_files(balai) == [], words
    assert "balai-20200101" not in page(client)


@pytest.mark.parametrize("overrides", [{"BALAI_BACKUP_UPLOAD_MAX_MB": "1"}])
def test_a_file_over_the_upload_limit_is_refused_with_the_limit(server, balai):
    """Through waitress, as a browser sends it: the whole body arrives, and the answer is the form
    again with the limit, not an error page."""
    browser = requests.Session()
    token = csrf_from(browser.get(f"{server}/admin/login", timeout=10).text)
    signed_in = {"username": "admin", "password": "demo-admin", "csrf_token": token}
    assert browser.post(f"{server}/admin/login", data=signed_in, timeout=10).ok
    token = csrf_from(browser.get(f"{server}/admin/backups/restore", timeout=10).text)
    upload = {"backup": ("big.balai-backup", os.urandom(1_200_000))}
    response = browser.post(
        f"{server}/admin/backups/restore?lang=en", data={"csrf_token": token}, files=upload, timeout=30
    )
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.text and 'name="backup"' in response.text
    assert staged_files(balai) == []


def test_no_big_upload_is_read_before_an_admin_signed_in(client, balai):
    """Anyone on the office network, not signed in (or an operator), gets the app's 64 KB limit,
    not the gigabyte a backup may have: nothing that large is read for them."""
    upload = {"backup": (io.BytesIO(os.urandom(200_000)), "big.balai-backup"), "csrf_token": "x"}
    assert client.post("/admin/backups/restore", data=upload).status_code == 413
    login(client, "operator")
    upload = {"backup": (io.BytesIO(os.urandom(200_000)), "big.balai-backup"), "csrf_token": "x"}
    assert client.post("/admin/backups/restore", data=upload).status_code == 413
    assert staged_files(balai) == []


def test_a_checked_backup_is_confirmed_and_handed_to_the_restore_service(client, balai):
    path = made(balai, PASSPHRASE)
    with balai.db.read() as session:
        village_name = get_village(session).name
    login(client, "admin")
    html = check(client, {"backup": (path.read_bytes(), "from-the-stick.balai-backup"), "passphrase": PASSPHRASE})
    assert "The backup is complete and can be restored" in html
    for fact in ("from-the-stick.balai-backup", "Monday, 23 November 2026 09.00", village_name, "Complaints"):
        assert fact in html, fact
    assert "Balai stops and starts again" in html and "kept aside" in html
    (ident,) = {name.split(".")[0] for name in staged_files(balai)}
    folder = restore_folder(balai)
    assert staged_files(balai) == [f"{ident}.balai-backup", f"{ident}.json", f"{ident}.passphrase"]
    for name in staged_files(balai):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert (folder / f"{ident}.passphrase").read_text() == PASSPHRASE + "\n"
    assert (folder / f"{ident}.balai-backup").read_bytes() == path.read_bytes()
    assert audited(balai, "backup.restore_request") == []  # a check asks for nothing

    assert client.post(f"/admin/backups/restore/{ident}/confirm", data={}).status_code == 400  # no CSRF token
    assert not (folder / "request").exists()
    waiting = confirm(client, html)
    assert waiting.status_code == 200
    assert "The restore of from-the-stick.balai-backup has been asked for" in waiting.get_data(True)
    request = folder / "request"
    assert stat.S_IMODE(request.stat().st_mode) == 0o600
    assert request.read_text() == f"backup={ident}.balai-backup\npassphrase={ident}.passphrase\n"
    command = f"python -m portal restore {folder}/{ident}.balai-backup --passphrase-file {folder}/{ident}.passphrase"
    assert command in waiting.get_data(True)
    ((who, address, target, detail),) = audited(balai, "backup.restore_request")
    assert (who, address, target) == ("admin", "127.0.0.1", f"restore:{ident}")
    assert "from-the-stick.balai-backup" in detail
    assert client.get(f"/admin/backups/restore/{ident}/state").json == {"pending": True, "finished": False}

    index = page(client)
    assert "A restore of from-the-stick.balai-backup is waiting to start" in index and command in index
    assert "A restore is already waiting" in check(client, {"name": path.name}, status=409)
    html = client.post("/admin/backups/restore/cancel", data={"csrf_token": csrf_from(index)}, follow_redirects=True)
    assert "The restore was cancelled" in html.get_data(True)
    assert staged_files(balai) == []
    assert [entry[2] for entry in audited(balai, "backup.restore_cancel")] == [f"restore:{ident}"]


def test_one_of_the_pis_backups_is_staged_without_a_copy(client, balai, data_dir):
    """A backup from the list needs no passphrase typed (the Pi's own is used) and is staged as a
    hard link: no second copy on the SD card, and rotation cannot take it away."""
    (data_dir / "backup-passphrase").write_text(PASSPHRASE)
    path = made(balai, PASSPHRASE)
    login(client, "admin")
    form = page(client, "/admin/backups/restore", name=path.name)
    assert "The Pi's backup of Monday, 23 November 2026 09.00" in form and 'type="file"' not in form
    html = check(client, {"name": path.name})
    (ident,) = {name.split(".")[0] for name in staged_files(balai)}
    staged = restore_folder(balai) / f"{ident}.balai-backup"
    assert staged.stat().st_ino == path.stat().st_ino
    assert not (restore_folder(balai) / f"{ident}.passphrase").exists()  # the configured one does
    confirm(client, html)
    assert (restore_folder(balai) / "request").read_text() == f"backup={ident}.balai-backup\n"


def run_helper(folder, tmp_path, helper=HELPER):
    """Run the restore helper on ``folder`` with a ``systemctl`` that only notes how it was called;
    returns the finished process and those calls."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    calls = tmp_path / "systemctl-calls"
    calls.unlink(missing_ok=True)
    systemctl = stubs / "systemctl"
    systemctl.write_text(f'#!/bin/sh\necho "$*" >>{calls}\n[ "$1" != is-active ]\n')
    systemctl.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    done = subprocess.run([helper, folder], capture_output=True, text=True, timeout=120, env=env, check=False)
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_the_restore_helper_refuses_anything_but_plain_names_of_staged_files(tmp_path):
    """Does the root helper refuse (and remove) a request that is not one or two plain names of
    files in its folder, ignore a link planted in place of the request or of a file, report the
    refusal to the console, and never touch a service before the request passed?"""
    folder = tmp_path / "restore"
    folder.mkdir()
    (folder / "a.balai-backup").write_bytes(b"staged")
    (folder / "a.passphrase").write_text(PASSPHRASE)
    (tmp_path / "elsewhere.balai-backup").write_bytes(b"not staged")
    (folder / "link.balai-backup").symlink_to(tmp_path / "elsewhere.balai-backup")
    for text in (
        "",
        "backup=../elsewhere.balai-backup",
        f"backup={tmp_path}/elsewhere.balai-backup",
        "backup=a.balai-backup; reboot",
        "backup=.a.balai-backup",
        "backup=a.balai-backup\nbackup=a.balai-backup",
        "backup=a.balai-backup\nreboot=now",
        "passphrase=a.passphrase",
        "backup=a.balai-backup\npassphrase=a.balai-backup",
        "backup=missing.balai-backup",
        "backup=link.balai-backup",
        "backup=a.balai-backup\r",
    ):
        (folder / "request").write_text(text)
        done, calls = run_helper(folder, tmp_path)
        assert done.returncode == 1 and "refused" in done.stderr, text
        assert calls == [] and not (folder / "request").exists(), text
        head, _, said = (folder / "result").read_text().partition("\n\n")
        assert "outcome=failed" in head.splitlines() and "refused" in said, text
    assert (folder / "a.balai-backup").read_bytes() == b"staged" and (folder / "a.passphrase").exists()
    assert (tmp_path / "elsewhere.balai-backup").read_bytes() == b"not staged"

    (folder / "request").symlink_to(tmp_path / "elsewhere.balai-backup")
    done, calls = run_helper(folder, tmp_path)
    assert done.returncode == 1 and calls == [] and not (folder / "request").is_symlink()
    assert (tmp_path / "elsewhere.balai-backup").exists()
    (tmp_path / "linked").symlink_to(folder)
    done, calls = run_helper(tmp_path / "linked", tmp_path)
    assert done.returncode == 1 and "not a folder" in done.stderr and calls == []
    (folder / "result").unlink()
    done, calls = run_helper(folder, tmp_path)  # no request: the path unit fired for nothing
    assert done.returncode == 0 and calls == [] and not (folder / "result").exists()


def test_the_restore_helper_starts_balai_again_when_the_restore_fails(tmp_path):
    """A valid request stops the services, and a restore that fails (here: no balai user to run it
    as) still starts them again, removes the staged passphrase and reports the failure."""
    folder = tmp_path / "restore"
    folder.mkdir()
    (folder / "a.balai-backup").write_bytes(b"staged")
    (folder / "a.passphrase").write_text(PASSPHRASE)
    (folder / "request").write_text("backup=a.balai-backup\npassphrase=a.passphrase\n")
    done, calls = run_helper(folder, tmp_path)
    assert done.returncode == 0, done.stderr
    assert calls == [
        "is-active --quiet balai-kiosk-agent.service",
        "stop balai-portal.service balai-worker.service balai-kiosk-agent.service",
        "start balai-portal.service balai-worker.service",
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["result"]
    head, _, said = (folder / "result").read_text().partition("\n\n")
    assert head.splitlines()[:2] == ["outcome=failed", "backup=a.balai-backup"] and said.strip()


def test_the_restore_service_restores_and_the_console_reports_it(client, balai, app, data_dir, tmp_path):
    """The whole way on real files: the console asks, the helper (with this checkout's
    ``python -m portal`` in place of the Pi's ``balai`` wrapper, and Balai "stopped") restores, and
    the console's next visit shows the result and records it in the restored database's audit log."""
    path = made(balai, PASSPHRASE)
    login(client, "admin")
    confirm(client, check(client, {"backup": (path.read_bytes(), "tonight.balai-backup"), "passphrase": PASSPHRASE}))
    (ident,) = {name.split(".")[0] for name in staged_files(balai) if name != "request"}
    with balai.db.write() as session:  # made after the backup: the restore takes it away
        get_village(session).name = "Desa Setelah Backup"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(HELPER, bin_dir / "balai-restore")
    wrapper = bin_dir / "balai"
    wrapper.write_text(f'#!/bin/sh\ncd {ROOT}\nBALAI_DATA_DIR={data_dir} exec {sys.executable} -m portal "$@"\n')
    wrapper.chmod(0o755)
    balai.db.dispose()  # what stopping the portal does to its connections
    done, calls = run_helper(restore_folder(balai), tmp_path, helper=bin_dir / "balai-restore")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
    assert calls[-1] == "start balai-portal.service balai-worker.service"
    assert staged_files(balai) == [f"{ident}.json", "result"]  # the backup and passphrase are gone
    assert list(data_dir.glob("before-restore-*"))

    html = page(client)
    assert "The backup was restored" in html and "asked for by admin" in html
    with balai.db.read() as session:
        assert get_village(session).name != "Desa Setelah Backup"
    ((who, _, target, detail),) = audited(balai, "backup.restored")
    assert (who, target) == ("system", f"restore:{ident}") and "tonight.balai-backup" in detail
    page(client)
    assert len(audited(balai, "backup.restored")) == 1  # once, however often the page is shown
    client.post("/admin/backups/restore/result/dismiss", data={"csrf_token": csrf_from(html)})
    assert "The backup was restored" not in page(client) and staged_files(balai) == []
