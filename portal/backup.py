"""Backups of the village's data: made while the portal runs, rotated, copied to a USB stick, restored.

A backup holds what cannot be made again: the database (copied with SQLite's online backup API, a
consistent snapshot that does not stop the portal writing), the uploaded photos and documents, the
logo and the session key, plus a manifest; ``portal.backup_format`` writes and reads the file.

Files appear only whole (written to a temporary name, synced, renamed), so a power cut leaves the
old backups and no half-written one; old backups are deleted only after a new one is complete.
A restore checks everything before it moves anything, and moves the current data aside instead of
deleting it. This module does not import Flask: the CLI and the installer's timers call it.
"""

import errno
import fcntl
import os
import re
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from portal import config
from portal.backup_format import (
    DB_NAME,
    ENCRYPTED,
    FORMAT,
    LOGO,
    MAGIC,
    MEDIA,
    SECRET,
    BackupError,
    pump,
    read_backup,
    write_backup,
)
from portal.db import Database, migration_parents, schema_revision
from portal.health import version

SUFFIX = ".balai-backup"
BACKUP_NAME = re.compile(r"^balai-\d{8}-\d{6}\.balai-backup$")
MIN_PASSPHRASE = 12
PUT_BACK = (DB_NAME, MEDIA, LOGO, SECRET)  # what a restore replaces in the data directory, in this order
LOCK_WAIT_S = 900  # a nightly backup of a large media folder takes minutes; a USB copy waits for it
BUSY_TIMEOUT_S = 10
DISK_ERRORS = (10, 13)  # SQLITE_IOERR, SQLITE_FULL: the disk, not the database, is the trouble


@dataclass
class Made:
    """A finished backup: where it is, whether it is encrypted, and the old ones rotation removed."""

    path: Path
    encrypted: bool
    removed: list = field(default_factory=list)


@dataclass
class Copied:
    """A backup copied to another folder (the USB stick), and the old copies rotation removed there."""

    path: Path
    already_there: bool
    removed: list = field(default_factory=list)


def passphrase_path(settings):
    """The passphrase file: BALAI_BACKUP_PASSPHRASE_FILE, else ``<data dir>/backup-passphrase``."""
    return Path(settings["BALAI_BACKUP_PASSPHRASE_FILE"] or Path(settings["BALAI_DATA_DIR"]) / "backup-passphrase")


def configured_passphrase(settings, strict=True):
    """The passphrase in the passphrase file, or None while there is no such file (backups are then
    written unencrypted, and the CLI says so). A file that is there must be readable and long enough."""
    path = passphrase_path(settings)
    try:
        path.stat()
    except FileNotFoundError:
        return None
    except OSError:
        pass  # read_passphrase says what is wrong with it
    return read_passphrase(path, strict)


def read_passphrase(path, strict=True):
    """The passphrase in the file at ``path`` (surrounding blanks and the final newline dropped).

    ``strict`` (making a backup) also refuses a short one; a restore takes what it is given."""
    try:
        passphrase = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise BackupError(f"The passphrase file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"Cannot read the passphrase file {path}: {exc}") from None
    if not passphrase or (strict and len(passphrase) < MIN_PASSPHRASE):
        raise BackupError(
            f"The passphrase in {path} is shorter than {MIN_PASSPHRASE} characters: write a longer one "
            "(a few words) into it. No backup was made."
        )
    return passphrase


def check_database(path):
    """Raise BackupError unless SQLite's integrity check passes on the database at ``path``."""
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise BackupError(f"The database fails SQLite's integrity check: {problems[0]}")


def disk_error(exc, where):
    """A BackupError saying in plain words why writing to ``where`` failed."""
    reasons = {
        errno.ENOSPC: f"{where} is full",
        errno.EROFS: f"{where} is read-only (a USB stick with its lock switch on, or a damaged file system)",
        errno.EFBIG: f"The file is too big for {where} (a FAT-formatted stick holds files up to 4 GB)",
        errno.EACCES: f"Balai may not write to {where} (check its owner and permissions)",
        errno.EPERM: f"Balai may not write to {where} (check its owner and permissions)",
        errno.ENOENT: f"{where} disappeared (was the USB stick pulled out?)",
        errno.EIO: f"{where} reports an input/output error (a failing SD card or USB stick?)",
    }
    reason = reasons.get(exc.errno, f"Cannot write to {where}: {exc.strerror or exc}")
    return BackupError(f"{reason}. Nothing was deleted.")


def sync_folder(folder):
    """fsync a folder, so a rename in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def own_like(path, reference):
    """When root runs the command, give ``path`` (a tree) the owner of ``reference``, so the portal's
    own user can still read and rotate what root made."""
    if os.geteuid() != 0:
        return
    stat = Path(reference).stat()
    for item in [Path(path), *(Path(path).rglob("*") if Path(path).is_dir() else [])]:
        os.chown(item, stat.st_uid, stat.st_gid, follow_symlinks=False)


@contextmanager
def locked(folder):
    """Hold the backup folder's lock: one backup, copy or rotation at a time (waits up to LOCK_WAIT_S)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BackupError(
                        f"Another backup in {folder} has been running too long; try again later."
                    ) from None
                time.sleep(1)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def backups_in(folder):
    """The backups in ``folder``, oldest first (their names sort by time); other files are ignored."""
    return sorted(p for p in Path(folder).glob(f"balai-*{SUFFIX}") if BACKUP_NAME.match(p.name) and p.is_file())


def rotate(folder, keep, newest):
    """Delete all but the newest ``keep`` backups in ``folder``; never ``newest``, the one just made
    (even when a clock that went back named it older than the rest). Returns the deleted paths."""
    others = [p for p in backups_in(folder) if p != newest]
    doomed = others[: max(0, len(others) - (keep - 1))]
    for path in doomed:
        path.unlink()
    return doomed


def sha256_of(path):
    """The SHA-256 of a file."""
    with open(path, "rb") as f:
        return pump(f)


def backup_name(now):
    """The file name of a backup made at ``now`` (UTC): ``balai-YYYYmmdd-HHMMSS.balai-backup``."""
    return now.astimezone(UTC).strftime("balai-%Y%m%d-%H%M%S") + SUFFIX


def backup_time(name):
    """When the backup called ``name`` was made (UTC), read back from its name (see ``backup_name``);
    None for a name that only looks like one (a copied file named balai-20261399-...)."""
    try:
        return datetime.strptime(name[: -len(SUFFIX)], "balai-%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def encrypted(path):
    """Whether the backup file at ``path`` is encrypted (None: it does not start like a Balai backup)."""
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + 2)
    return head[-1] == ENCRYPTED if len(head) == len(MAGIC) + 2 and head.startswith(MAGIC) else None


def copy_database(source, target):
    """Copy the live database to ``target`` with SQLite's online backup API (one step: a consistent
    snapshot, while the portal keeps writing to the WAL), check it and return its schema revision."""
    try:
        with closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check_database(target)
    except sqlite3.Error as exc:
        hint = " (is the disk full or failing?)" if getattr(exc, "sqlite_errorcode", 0) & 0xFF in DISK_ERRORS else ""
        raise BackupError(f"Cannot copy the database {source}: {exc}{hint}. The older backups were kept.") from None
    except BackupError as exc:
        raise BackupError(f"{exc}. The database needs repair; the older backups were kept.") from None
    return schema_revision(target)


def members_of(data_dir, database_copy):
    """What goes into a backup: the database copy, every media file, the logo and the secret key."""
    members = [(DB_NAME, database_copy)]
    media = data_dir / MEDIA
    if media.is_dir():
        files = sorted(p for p in media.rglob("*") if p.is_file() and not p.name.startswith("."))
        members += [(f"{MEDIA}/{p.relative_to(media).as_posix()}", p) for p in files]
    return members + [(name, data_dir / name) for name in (LOGO, SECRET) if (data_dir / name).is_file()]


def create(settings, now, passphrase=None):
    """Back up the data directory into ``<data dir>/backups`` and rotate; return a ``Made``.

    Safe while the portal and the worker run. Encrypted when ``passphrase`` is given. On failure
    nothing is left behind and no older backup is deleted."""
    data_dir = Path(settings["BALAI_DATA_DIR"])
    folder = Path(config.backup_dir(settings))
    database = Path(config.database_path(settings))
    keep = settings["BALAI_BACKUP_KEEP"]
    if keep < 1:
        raise BackupError(f"BALAI_BACKUP_KEEP must be at least 1, not {keep}.")
    if not database.is_file():
        raise BackupError(f"There is no database at {database}: nothing to back up.")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        own_like(folder, data_dir)
    except OSError as exc:
        raise disk_error(exc, folder) from None
    with locked(folder):
        for leftover in folder.glob(".tmp-*"):  # from a backup a power cut interrupted
            shutil.rmtree(leftover, ignore_errors=True)
        target = folder / backup_name(now)  # one made in the same second is replaced by this later snapshot
        work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        try:
            copy = work / DB_NAME
            revision = copy_database(database, copy)
            about = {
                "format": FORMAT,
                "balai_version": version(),
                "schema_revision": revision,
                "created": now.astimezone(UTC).isoformat(),
            }
            partial = work / target.name
            write_backup(partial, members_of(data_dir, copy), about, passphrase)
            own_like(partial, data_dir)
            os.replace(partial, target)
            sync_folder(folder)
        except OSError as exc:
            raise disk_error(exc, folder) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return Made(target, passphrase is not None, rotate(folder, keep, target))


def copy_verified(source, target):
    """Copy ``source`` to ``target`` through a temporary name, read the copy back from the device
    (not the page cache) and compare checksums before renaming it into place."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)  # from a copy interrupted by pulling the stick out
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
            digest = pump(src, out)
            out.flush()
            os.fsync(out.fileno())
            os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        if sha256_of(partial) != digest:
            raise BackupError(f"The copy on {target.parent} differs from the backup: the stick may be failing.")
        os.replace(partial, target)
        sync_folder(target.parent)
    except OSError as exc:
        raise disk_error(exc, target.parent) from None
    finally:
        with suppress(OSError):  # a stick pulled out or read-only: the error above says so already
            partial.unlink(missing_ok=True)


def copy_to(settings, folder, made=None):
    """Copy a backup (``made``, else the newest in ``<data dir>/backups``) into ``folder`` (the USB
    stick), verify the copy and keep the newest BALAI_BACKUP_KEEP there; return a ``Copied``.

    ``folder`` must exist, or be a new folder right under a mount point (it is then made): never a
    folder on the Pi's own disk where an unmounted stick's mount point stands empty."""
    backups = Path(config.backup_dir(settings))
    folder = Path(folder)
    if not folder.exists() and os.path.ismount(folder.parent):  # a folder of its own on a fresh stick
        try:
            folder.mkdir()
        except OSError as exc:
            raise disk_error(exc, folder.parent) from None
    if not folder.is_dir():
        raise BackupError(f"{folder} is not there or is not a folder: is the USB stick plugged in and mounted?")
    if not backups.is_dir():
        raise BackupError(f"There is no backup yet in {backups}: run python -m portal backup first.")
    with locked(backups):
        newest = made or (backups_in(backups) or [None])[-1]
        if newest is None:
            raise BackupError(f"There is no backup yet in {backups}: run python -m portal backup first.")
        target = folder / newest.name
        size = newest.stat().st_size
        already = target.is_file() and target.stat().st_size == size and sha256_of(target) == sha256_of(newest)
        if not already:
            free = shutil.disk_usage(folder).free
            if free < size:
                raise BackupError(
                    f"{folder} is full: the backup needs {size / 2**20:.1f} MB, {free / 2**20:.1f} MB are free. "
                    "Nothing was deleted."
                )
            copy_verified(newest, target)
        try:
            removed = rotate(folder, settings["BALAI_BACKUP_KEEP"], target)
        except OSError as exc:
            raise disk_error(exc, folder) from None
        return Copied(target, already, removed)


def verify(source, passphrase, staging):
    """Decrypt and unpack the backup file ``source`` into ``staging`` and check everything: the
    manifest's checksums, SQLite's integrity check, and that this Balai knows the schema revision.
    Returns the manifest; raises BackupError (``staging`` then holds nothing worth keeping)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no file {source}.")
    if not os.access(source, os.R_OK):
        raise BackupError(f"Balai may not read {source} (check its owner and permissions).")
    try:
        manifest = read_backup(source, passphrase, staging)
    except OSError as exc:
        raise disk_error(exc, staging.parent) from None
    check_database(staging / DB_NAME)
    revision = schema_revision(staging / DB_NAME)
    if revision != manifest.get("schema_revision"):
        raise BackupError(f"{source} is damaged: its database and its manifest disagree on the schema.")
    if revision is not None and revision not in migration_parents():
        raise BackupError(
            f"{source} comes from a newer Balai ({manifest.get('balai_version')}, schema {revision}) than this "
            "one knows: upgrade Balai first, then restore. Nothing was changed."
        )
    return manifest


def refuse_if_in_use(database):
    """Raise BackupError when another process has the database open (the portal or the worker).

    Leaving WAL mode needs the only connection to the file: if it fails as locked, someone else
    holds one. A damaged database (the reason for many restores) is not in use and may be replaced."""
    if not database.exists():
        return
    try:
        with closing(sqlite3.connect(database, timeout=0)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(
                "The database is in use: stop the portal and the worker first (on the Pi: sudo systemctl stop "
                "balai-portal balai-worker), then restore again. Nothing was changed."
            ) from None
    except sqlite3.DatabaseError:
        pass


def put_in_place(data_dir, staging, aside):
    """Move the current data into ``aside`` and the verified backup from ``staging`` into its place,
    then migrate; return ``aside`` (None when there was no data to move). On any failure the current
    data goes back where it was."""
    aside.mkdir(mode=0o700)
    moved, placed = [], []
    try:
        for name in (*PUT_BACK, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            if os.path.lexists(data_dir / name):
                os.replace(data_dir / name, aside / name)
                moved.append(name)
        for name in PUT_BACK:
            if (staging / name).exists():
                os.replace(staging / name, data_dir / name)
                placed.append(name)
                own_like(data_dir / name, data_dir)
        if (data_dir / SECRET).exists():
            os.chmod(data_dir / SECRET, 0o600)
        database = Database(str(data_dir / DB_NAME))
        try:
            database.migrate()
        finally:
            database.dispose()
    except BaseException:
        for name in placed:
            shutil.rmtree(data_dir / name) if (data_dir / name).is_dir() else (data_dir / name).unlink()
        for name in moved:
            os.replace(aside / name, data_dir / name)
        aside.rmdir()
        raise
    if not moved:
        aside.rmdir()  # a fresh data directory: there was nothing to keep
    sync_folder(data_dir)
    return aside if moved else None


def restore(settings, source, passphrase, now):
    """Restore the backup file ``source`` into the data directory; return (manifest, folder where
    the previous data was moved, or None when there was none). The portal and the worker must be
    stopped. Everything is verified first; on any failure nothing is changed."""
    data_dir = Path(settings["BALAI_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))  # same file system: renames
    backups = Path(config.backup_dir(settings))
    try:
        manifest = verify(source, passphrase, staging)
        with locked(backups) if backups.is_dir() else nullcontext():  # no nightly backup half-way through
            refuse_if_in_use(Path(config.database_path(settings)))
            aside = data_dir / now.astimezone(UTC).strftime("before-restore-%Y%m%d-%H%M%S")
            try:
                return manifest, put_in_place(data_dir, staging, aside)
            except FileExistsError:
                raise BackupError(f"{aside} exists already; restore again in a second. Nothing was changed.") from None
            except OSError as exc:
                raise disk_error(exc, data_dir) from None
            except Exception as exc:  # the migration: its message is the clue, and the old data is back
                raise BackupError(f"The restore failed ({exc}); the previous data was put back.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


HOLDINGS = {  # what a person recognises a village's data by, and the table it is counted in
    "tickets": "tickets",
    "complaints": "complaints",
    "announcements": "announcements",
    "officials": "users",
}


def holdings(database):
    """What the database file ``database`` holds, for someone deciding whether to restore it: the
    village's name (``village``) and the counts of HOLDINGS. What cannot be read (a database from
    before the village had a name) is left out."""
    queries = {"village": "SELECT name FROM village LIMIT 1"}
    queries |= {key: f"SELECT COUNT(*) FROM {table}" for key, table in HOLDINGS.items()}
    found = {}
    with closing(sqlite3.connect(database, timeout=BUSY_TIMEOUT_S)) as connection:
        for key, query in queries.items():
            try:
                row = connection.execute(query).fetchone()
            except sqlite3.Error:
                continue
            if row is not None:
                found[key] = row[0]
    return found


def check(settings, source, passphrase):
    """Verify a backup file as a restore would, changing nothing; return its manifest, with what
    its database holds (``holdings``) added as ``holds``."""
    data_dir = Path(settings["BALAI_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as staging:
        manifest = verify(source, passphrase, Path(staging))
        return {**manifest, "holds": holdings(Path(staging) / DB_NAME)}
