"""Restore requests: how the console has the appliance restore a backup.

A restore cannot run inside the portal: the portal, the worker and the kiosk agent hold the
database open (``portal.backup.refuse_if_in_use``). So the console checks the backup, stages it
in the restore folder (BALAI_RESTORE_DIR, ``<data dir>/restore``) and writes a request there. On
the Pi, ``balai-restore.path`` notices the request and ``balai-restore.service`` (root, see
``deploy/raspberrypi/bin/balai-restore``) stops those services, runs ``python -m portal restore``
as balai, starts them again and leaves a result file that the console reads on its next visit.
Without that service (development) the request waits, and the console shows the command that
does the same. This module does not import Flask.

The folder (0700) holds, every file 0600:

- ``<id>.balai-backup``: a checked backup (a hard link when it is one of ``<data dir>/backups``);
- ``<id>.passphrase``: the passphrase typed for it, if one was (else the configured one is used);
- ``<id>.json``: what the console showed about it and who asked (the root service never reads it);
- ``request``: ``backup=<id>.balai-backup`` and perhaps ``passphrase=<id>.passphrase``, written
  last and whole, so the service never sees half a request;
- ``result``: the service's report: ``outcome=ok|failed``, ``backup=<id>.balai-backup`` and
  ``finished=<UTC time>`` lines, a blank line, then what the restore said.
"""

import json
import os
import re
import secrets
import shlex
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from portal import config
from portal.backup import SUFFIX, disk_error, sync_folder

REQUEST, RESULT = "request", "result"
IDENT = re.compile(r"^[0-9a-f]{16}$")
STALE_S = 3600  # a checked backup nobody confirmed in an hour goes: it may be large, and has a passphrase
READ_LIMIT = 16 * 1024  # a request or result is a few lines; the restore's own words a few more
COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Staged:
    """One staged backup in the restore folder, and the files that go with it."""

    folder: Path
    ident: str

    @property
    def backup(self):
        """The checked backup file."""
        return self.folder / f"{self.ident}{SUFFIX}"

    @property
    def passphrase(self):
        """The passphrase typed for it (the file exists only when one was typed)."""
        return self.folder / f"{self.ident}.passphrase"

    @property
    def about_path(self):
        """What the console recorded about it."""
        return self.folder / f"{self.ident}.json"

    def about(self):
        """What the console recorded about it ({} once that is gone)."""
        try:
            return json.loads(self.about_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def remove(self):
        """Delete its files (those still there)."""
        for path in (self.backup, self.passphrase, self.about_path):
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Result:
    """The restore service's report on a request."""

    staged: Staged | None
    ok: bool
    finished: datetime | None
    said: str

    def reason(self):
        """The line that says why the restore failed (the command's ``Error:`` line), else ""."""
        lines = [line.strip() for line in self.said.splitlines() if line.strip()]
        errors = [line.removeprefix("Error:").strip() for line in lines if line.startswith("Error:")]
        return (errors or lines or [""])[-1]


def folder(settings):
    """The restore folder, made (0700) when it is missing."""
    path = Path(config.restore_dir(settings))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_whole(path, text):
    """Write ``text`` to ``path`` (0600) through a temporary name, synced, then renamed into place:
    a reader sees the old file or the whole new one."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        sync_folder(path.parent)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise disk_error(exc, path.parent) from None


def read_head(path):
    """The ``key=value`` lines at the start of a request or result file (up to a blank line) and
    the text after them; None when there is no such file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(READ_LIMIT)
    except (FileNotFoundError, IsADirectoryError):
        return None
    head, _, rest = text.partition("\n\n")
    fields = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    return fields, rest


def staged_named(settings, name):
    """The staged backup a request or result names (``<id>.balai-backup``), or None."""
    name = name or ""
    ident = name.removesuffix(SUFFIX)
    return Staged(folder(settings), ident) if name.endswith(SUFFIX) and IDENT.match(ident) else None


def find(settings, ident):
    """The checked backup ``ident`` while it is staged (None: no such id, or removed since)."""
    if not IDENT.match(ident or ""):
        return None
    staged = Staged(folder(settings), ident)
    return staged if staged.backup.is_file() and staged.about_path.is_file() else None


def pending(settings):
    """The staged backup of the request waiting for the restore service, or None."""
    found = read_head(folder(settings) / REQUEST)
    return staged_named(settings, found[0].get("backup")) if found else None


def result(settings):
    """The restore service's last report (until an official dismisses it), or None."""
    found = read_head(folder(settings) / RESULT)
    if found is None:
        return None
    fields, said = found
    try:
        finished = datetime.fromisoformat(fields.get("finished", ""))
    except ValueError:
        finished = None
    return Result(staged_named(settings, fields.get("backup")), fields.get("outcome") == "ok", finished, said)


def tidy(settings, older_than=None):
    """Remove checked backups that no request or result names (only those staged more than
    ``older_than`` seconds ago, when given), and what a power cut left half-written."""
    place = folder(settings)
    named = {s.ident for s in (pending(settings), getattr(result(settings), "staged", None)) if s}
    deadline = time.time() - older_than if older_than is not None else None
    for path in place.iterdir():
        ident = path.name.split(".")[0]
        leftover = path.name.startswith(".") and path.name.endswith(".partial")
        if leftover or (IDENT.match(ident) and ident not in named):
            try:
                if deadline is None or path.stat().st_mtime < deadline:
                    path.unlink()
            except FileNotFoundError:
                pass  # a second tidy at the same moment took it


def new(settings):
    """A new, empty staging for a backup to check; unconfirmed ones left for a while are removed
    first (not younger ones: another admin may be on the confirmation page)."""
    tidy(settings, older_than=STALE_S)
    return Staged(folder(settings), secrets.token_hex(8))


def save_upload(staged, source):
    """Write the uploaded file object ``source`` as the staged backup; BackupError when the disk fails."""
    try:
        fd = os.open(staged.backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, COPY_CHUNK)
    except OSError as exc:
        staged.backup.unlink(missing_ok=True)
        raise disk_error(exc, staged.folder) from None


def stage_existing(staged, source):
    """Stage the backup file ``source`` (one of the Pi's): a hard link, which takes no room and
    survives rotation, or a copy where the folders are on different file systems."""
    try:
        os.link(source, staged.backup)
    except OSError:
        with open(source, "rb") as f:
            save_upload(staged, f)


def keep(staged, passphrase, about):
    """Keep what goes with a checked backup: the passphrase typed for it (None: none to keep) and
    ``about``, what the console shows about it."""
    if passphrase is not None:
        write_whole(staged.passphrase, passphrase + "\n")
    write_whole(staged.about_path, json.dumps(about, ensure_ascii=False, default=str))


def submit(staged, about):
    """Ask for the restore of ``staged``: record ``about`` (who asked), then write the request."""
    keep(staged, None, about)
    lines = [f"backup={staged.backup.name}"]
    if staged.passphrase.is_file():
        lines.append(f"passphrase={staged.passphrase.name}")
    write_whole(staged.folder / REQUEST, "\n".join(lines) + "\n")


def cancel(settings):
    """Withdraw the waiting request and remove every staged backup no result names."""
    (folder(settings) / REQUEST).unlink(missing_ok=True)
    tidy(settings)


def dismiss(settings):
    """Forget the restore service's last report (and what the console kept about its request)."""
    done = result(settings)
    (folder(settings) / RESULT).unlink(missing_ok=True)
    if done and done.staged and done.staged != pending(settings):
        done.staged.remove()


def command(staged):
    """The command that does what the restore service would (a machine without it: development)."""
    words = ["python", "-m", "portal", "restore", str(staged.backup)]
    if staged.passphrase.is_file():
        words += ["--passphrase-file", str(staged.passphrase)]
    return shlex.join(words)
