"""Backups and restores, on real files: made while the portal writes, encrypted, rotated, copied to
a "USB stick" folder, and refused whole when anything about them is wrong."""

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from portal import backup, config, health, make_balai
from portal.cli import DEMO_LOGO
from portal.db import alembic_config
from tests.conftest import MONDAY_9AM, need, settings_for

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "kopi tubruk di balai desa"
HEAD = ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def settings_of(data_dir, **extra):
    """Balai's settings for a data directory (and extra BALAI_* overrides)."""
    return config.load(environ={}, overrides=settings_for(data_dir, **extra))


def snapshot(folder):
    """Every file and folder under ``folder`` with its content's SHA-256: "nothing changed" is equality.

    Not SQLite's shared-memory index (``-shm``): opening the database to see whether the portal
    holds it updates that, and it holds no data."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
        if not p.name.endswith("-shm")
    }


def ticket_ids(database):
    """The ids of every ticket in a database file."""
    with closing(sqlite3.connect(database)) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM tickets")}


def make_backup(data_dir, passphrase=None, minutes=0, **extra):
    """A backup of ``data_dir`` stamped ``minutes`` after Monday 09:00."""
    return backup.create(settings_of(data_dir, **extra), MONDAY_9AM + timedelta(minutes=minutes), passphrase)


def fake_backups(folder, *stamps):
    """Files named like old backups (their content does not matter to rotation)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stamp in stamps:
        (folder / f"balai-{stamp}{backup.SUFFIX}").write_bytes(b"old")


def run_cli(data_dir, *args, stdin="", env=None, file_limit=None):
    """Run ``python -m portal ARGS`` on ``data_dir``; ``file_limit`` caps the size of any file it
    writes (as a full disk would, and it binds root too)."""

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        env={**os.environ, "BALAI_DATA_DIR": str(data_dir), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit if file_limit else None,
    )


def test_a_backup_taken_while_tickets_are_issued_restores_whole(balai, data_dir, tmp_path):
    """Does a backup made while residents take tickets restore into a fresh Pi with the tickets
    issued before it, the photos and documents, the logo and the session key?"""
    shutil.copy(DEMO_LOGO, data_dir / "logo.png")
    stop, issued = threading.Event(), []

    def take_tickets():
        deadline = time.monotonic() + 30
        while not stop.is_set() and len(issued) < 5000 and time.monotonic() < deadline:
            issued.append(balai.queue.issue("surat")["id"])

    writer = threading.Thread(target=take_tickets)
    writer.start()
    try:
        for _ in range(500):  # until the writer is under way (bounded)
            if len(issued) >= 3:
                break
            time.sleep(0.01)
        before = ticket_ids(data_dir / "balai.db")
        made = backup.create(balai.settings, MONDAY_9AM, PASSPHRASE)
        during = len(issued)
        for _ in range(500):  # and keeps writing after it
            if len(issued) >= during + 3:
                break
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert made.encrypted and made.path.parent == data_dir / "backups"
    assert made.path.name == "balai-20261123-020000.balai-backup"
    assert made.path.stat().st_mode & 0o777 == 0o600

    fresh = tmp_path / "fresh-pi"
    manifest, aside = backup.restore(settings_of(fresh), made.path, PASSPHRASE, MONDAY_9AM)
    assert aside is None  # nothing was there to keep
    restored = ticket_ids(fresh / "balai.db")
    assert before <= restored <= ticket_ids(data_dir / "balai.db")
    assert len(restored) < len(ticket_ids(data_dir / "balai.db"))  # the tickets after it are not in it
    assert backup.schema_revision(fresh / "balai.db") == HEAD == manifest["schema_revision"]
    assert manifest["balai_version"] == health.version()
    for name in ("secret_key", "logo.png"):
        assert (fresh / name).read_bytes() == (data_dir / name).read_bytes()
    assert (fresh / "secret_key").stat().st_mode & 0o777 == 0o600
    assert snapshot(fresh / "media") == snapshot(data_dir / "media") != {}
    assert not list(fresh.glob(".restore-*"))


def test_an_encrypted_backup_needs_its_passphrase(balai, data_dir, tmp_path):
    """Is an encrypted backup unreadable without the passphrase, and does a wrong one change nothing?"""
    made = backup.create(balai.settings, MONDAY_9AM, PASSPHRASE)
    content = made.path.read_bytes()
    assert content.startswith(b"BALAIBAK\x01\x01")

    before = snapshot(data_dir)
    with pytest.raises(backup.BackupError, match="Wrong passphrase"):
        backup.restore(balai.settings, made.path, "kopi susu di balai desa", MONDAY_9AM)
    with pytest.raises(backup.BackupError, match="is encrypted"):
        backup.restore(balai.settings, made.path, None, MONDAY_9AM)
    assert snapshot(data_dir) == before

    paths = {entry["path"] for entry in backup.check(settings_of(tmp_path / "other"), made.path, PASSPHRASE)["files"]}
    assert {"balai.db", "secret_key"} <= paths and any(path.startswith("media/") for path in paths)


@pytest.mark.parametrize("passphrase", [PASSPHRASE, None], ids=["encrypted", "plain"])
@pytest.mark.parametrize("damage", ["flip a middle byte", "flip the last byte", "cut the end off"])
def test_a_damaged_backup_is_refused(data_dir, tmp_path, passphrase, damage):
    """Is a backup with one byte changed, or cut short, refused before anything is touched?"""
    made = make_backup(data_dir, passphrase)
    content = bytearray(made.path.read_bytes())
    if damage == "cut the end off":
        del content[-100:]
    else:
        content[len(content) // 2 if "middle" in damage else -1] ^= 0x01
    made.path.write_bytes(bytes(content))
    before = snapshot(data_dir)
    with pytest.raises(backup.BackupError, match=r"damaged|altered"):
        backup.restore(settings_of(data_dir), made.path, passphrase, MONDAY_9AM)
    assert snapshot(data_dir) == before


def test_rotation_keeps_the_newest(data_dir):
    """Are only the newest BALAI_BACKUP_KEEP backups kept, never the one just made, and nothing else touched?"""
    folder = data_dir / "backups"
    fake_backups(folder, "20201101-020000", "20201102-020000", "20201103-020000", "20990101-000000")
    (folder / "notes.txt").write_text("the technician's notes")
    made = make_backup(data_dir, BALAI_BACKUP_KEEP="3")
    # A clock that went back named the new one older than the 2099 one: it is kept all the same.
    assert [p.name for p in backup.backups_in(folder)] == [
        "balai-20201103-020000.balai-backup",
        made.path.name,
        "balai-20990101-000000.balai-backup",
    ]
    assert [p.name for p in made.removed] == [
        "balai-20201101-020000.balai-backup",
        "balai-20201102-020000.balai-backup",
    ]
    assert (folder / "notes.txt").exists()
    assert health.last_backup(settings_of(data_dir)) is not None


def test_a_failed_backup_leaves_nothing_and_deletes_nothing(data_dir):
    """When the database cannot be read whole, is the backup refused, with no partial file and every
    older backup still there?"""
    make_backup(data_dir, BALAI_BACKUP_KEEP="1")
    before = snapshot(data_dir / "backups")
    with open(data_dir / "balai.db", "r+b") as f:  # a damaged SD card: garbage over the schema page
        f.seek(100)
        f.write(os.urandom(3000))
    with pytest.raises(backup.BackupError, match="database"):
        make_backup(data_dir, minutes=1, BALAI_BACKUP_KEEP="1")
    assert snapshot(data_dir / "backups") == before


def test_a_backup_cut_short_by_a_full_disk_leaves_nothing(data_dir):
    """When the disk fills up mid-way, does the command fail clearly and leave no partial file?"""
    assert run_cli(data_dir, "backup", env={"BALAI_BACKUP_KEEP": "1"}).returncode == 0
    before = snapshot(data_dir / "backups")
    result = run_cli(data_dir, "backup", env={"BALAI_BACKUP_KEEP": "1"}, file_limit=64 * 1024)
    assert result.returncode == 1
    assert "full" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(data_dir / "backups") == before


def test_copy_to_a_usb_stick(data_dir, tmp_path):
    """Does --copy-to put a checked copy on the stick, keep only the newest there, leave the stick's
    other files alone, and say clearly when the stick is missing or too small?"""
    stick = tmp_path / "usb"
    fake_backups(stick, "20201101-020000", "20201102-020000", "20201103-020000")
    (stick / "foto-keluarga.jpg").write_bytes(b"not ours")
    env = {"BALAI_BACKUP_KEEP": "2"}
    result = run_cli(data_dir, "backup", "--copy-to", str(stick), env=env)
    assert result.returncode == 0, result.stderr
    assert "NOT encrypted" in result.stderr and "checked" in result.stdout
    (made,) = backup.backups_in(data_dir / "backups")
    assert [p.name for p in backup.backups_in(stick)] == ["balai-20201103-020000.balai-backup", made.name]
    assert (stick / made.name).read_bytes() == made.read_bytes()
    assert (stick / "foto-keluarga.jpg").exists() and not list(stick.glob(".*"))

    again = run_cli(data_dir, "backup", "--copy-to", str(stick), "--latest-only", env=env)
    assert again.returncode == 0 and "already there" in again.stdout

    (stick / made.name).unlink()
    before = snapshot(stick)
    too_small = run_cli(data_dir, "backup", "--copy-to", str(stick), "--latest-only", env=env, file_limit=4096)
    assert too_small.returncode == 1 and "too big" in too_small.stderr
    assert snapshot(stick) == before

    missing = run_cli(data_dir, "backup", "--copy-to", str(tmp_path / "not-mounted"), "--latest-only")
    assert missing.returncode == 1 and "USB stick plugged in" in missing.stderr
    assert run_cli(data_dir, "backup", "--latest-only").returncode == 2


@contextmanager
def mounted(path, size_kb):
    """A tmpfs of ``size_kb`` mounted at ``path`` while the block runs: a real USB stick's file system."""
    need(os.geteuid() == 0, "mounting a tmpfs as a USB stick needs root (tests/setup-system.sh runs as root)")
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    need(done.returncode == 0, f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True, timeout=30)


def test_a_usb_stick_that_is_fresh_read_only_or_full(data_dir, tmp_path):
    """On mounted file systems: is the backup folder made on a fresh stick, and does a read-only or
    full stick fail with a clear message and nothing written?"""
    assert run_cli(data_dir, "backup").returncode == 0
    with mounted(tmp_path / "usb", 1024) as stick:
        fresh = run_cli(data_dir, "backup", "--copy-to", str(stick / "balai-backups"), "--latest-only")
        assert fresh.returncode == 0, fresh.stderr
        (copied,) = backup.backups_in(stick / "balai-backups")
        subprocess.run(["mount", "-o", "remount,ro", str(stick)], check=True, timeout=30)
        read_only = run_cli(data_dir, "backup", "--copy-to", str(stick / "balai-backups"))
        assert read_only.returncode == 1 and "read-only" in read_only.stderr, read_only.stderr
        assert backup.backups_in(stick / "balai-backups") == [copied]
    with mounted(tmp_path / "small", 16) as stick:
        full = run_cli(data_dir, "backup", "--copy-to", str(stick), "--latest-only")
        assert full.returncode == 1 and "is full" in full.stderr
        assert snapshot(stick) == {}
    unmounted = run_cli(data_dir, "backup", "--copy-to", str(tmp_path / "small" / "balai-backups"), "--latest-only")
    assert unmounted.returncode == 1 and "plugged in" in unmounted.stderr  # not made on the Pi's own disk


def test_restore_refuses_a_backup_from_a_newer_schema(data_dir, tmp_path):
    """Does an older Balai refuse a backup whose schema it does not know, instead of breaking it?"""
    with closing(sqlite3.connect(data_dir / "balai.db")) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    made = make_backup(data_dir)
    fresh = tmp_path / "fresh-pi"
    with pytest.raises(backup.BackupError, match="newer Balai"):
        backup.restore(settings_of(fresh), made.path, None, MONDAY_9AM)
    assert snapshot(fresh) == {}


def test_an_older_backup_is_upgraded_on_restore(tmp_path):
    """Is a backup from an older schema migrated to this Balai's when restored?"""
    old = tmp_path / "old"
    balai = make_balai(settings_of(old))
    previous = ScriptDirectory.from_config(alembic_config(None)).get_revision(HEAD).down_revision
    command.upgrade(alembic_config(balai.db.engine), previous)
    balai.db.dispose()
    made = make_backup(old)
    fresh = tmp_path / "fresh"
    manifest, _ = backup.restore(settings_of(fresh), made.path, None, MONDAY_9AM)
    assert manifest["schema_revision"] == previous
    assert backup.schema_revision(fresh / "balai.db") == HEAD


def test_restore_waits_for_the_portal_to_stop_and_keeps_the_old_data(balai, data_dir):
    """Is a restore refused while the portal has the database open, and afterwards is the data the
    backup's, with the data it replaced kept aside?"""
    made = backup.create(balai.settings, MONDAY_9AM, None)
    later = balai.queue.issue("surat")["id"]  # open the portal's connections, and a ticket after the backup
    before = snapshot(data_dir)
    with pytest.raises(backup.BackupError, match="in use"):
        backup.restore(balai.settings, made.path, None, MONDAY_9AM)
    assert snapshot(data_dir) == before

    balai.db.dispose()  # the portal stops
    _, aside = backup.restore(balai.settings, made.path, None, MONDAY_9AM)
    assert aside == data_dir / "before-restore-20261123-020000"
    assert later in ticket_ids(aside / "balai.db") and later not in ticket_ids(data_dir / "balai.db")
    assert (aside / "secret_key").exists() and (aside / "media").is_dir()


def test_restore_replaces_a_damaged_database(data_dir, tmp_path):
    """Can a Pi whose database no longer opens be restored (the reason for most restores)?"""
    made = make_backup(data_dir)
    (data_dir / "balai.db").write_bytes(b"this is not a database any more" * 100)
    _, aside = backup.restore(settings_of(data_dir), made.path, None, MONDAY_9AM)
    assert backup.schema_revision(data_dir / "balai.db") == HEAD
    assert (aside / "balai.db").read_bytes().startswith(b"this is not")


def test_the_commands_with_a_passphrase(data_dir, tmp_path):
    """Run as a technician would: the passphrase from a file for the backup, typed for the restore."""
    secret = tmp_path / "backup-passphrase"
    secret.write_text("pendek\n")
    env = {"BALAI_BACKUP_PASSPHRASE_FILE": str(secret)}
    short = run_cli(data_dir, "backup", env=env)
    assert short.returncode == 1 and "shorter than 12" in short.stderr
    assert not (data_dir / "backups").exists() or backup.backups_in(data_dir / "backups") == []
    secret.unlink()  # not written yet: the backup is made, but says loudly that it is not encrypted
    unset = run_cli(data_dir, "backup", env=env)
    assert unset.returncode == 0 and "NOT encrypted: anyone with the file" in unset.stderr
    assert str(secret) in unset.stderr
    (plain,) = backup.backups_in(data_dir / "backups")
    plain.unlink()

    secret.write_text(PASSPHRASE + "\n")
    made = run_cli(data_dir, "backup", env=env)
    assert made.returncode == 0 and "encrypted" in made.stdout and "WARNING" not in made.stderr
    (path,) = backup.backups_in(data_dir / "backups")

    fresh = tmp_path / "fresh-pi"
    wrong = run_cli(fresh, "restore", str(path), "--passphrase-file", "-", stdin="salah sekali\n")
    assert wrong.returncode == 1 and "Wrong passphrase" in wrong.stderr
    checked = run_cli(fresh, "restore", str(path), "--check", "--passphrase-file", str(secret))
    assert checked.returncode == 0 and "good backup" in checked.stdout
    assert not (fresh / "balai.db").exists()
    restored = run_cli(fresh, "restore", str(path), "--passphrase-file", "-", stdin=PASSPHRASE + "\n")
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout
    assert ticket_ids(fresh / "balai.db") == ticket_ids(data_dir / "balai.db")
