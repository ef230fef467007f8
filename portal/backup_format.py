"""The backup file: a gzipped tar with a manifest, encrypted with a passphrase (``docs/backup.md``
describes it byte by byte).

Encryption is AES-256-GCM from the ``cryptography`` library, in 1 MiB chunks so memory stays small
however big the media folder is, under a key derived from the passphrase by scrypt with a new salt
per file. The archive ends with a manifest listing every file's size and SHA-256, checked when it
is unpacked. This module knows the format only; ``portal.backup`` decides what goes in and where.
"""

import gzip
import hashlib
import json
import os
import secrets
import tarfile
import time
import zlib
from io import BytesIO
from pathlib import PurePosixPath

MAGIC = b"BALAIBAK"
FORMAT = 1
PLAIN, ENCRYPTED = 0, 1  # the byte after the format: no encryption, or scrypt + AES-256-GCM
CHUNK = 1 << 20  # plaintext bytes per AES-GCM chunk
TAG = 16
CHECK_NONCE = b"\xff" * 12  # the passphrase check's nonce; a chunk's nonce ends in 0 or 1, never 0xff
# OWASP's recommended scrypt cost (2^17, r=8, p=1): 128 MiB and about a second on a Raspberry Pi 4.
SCRYPT = (17, 8, 1)
SCRYPT_LIMITS = (18, 8, 2)  # a file asking for more (256 MiB) is refused rather than allowed to exhaust memory
DB_NAME, MEDIA, LOGO, SECRET, MANIFEST = "balai.db", "media", "logo.png", "secret_key", "manifest.json"
DAMAGE = (tarfile.TarError, zlib.error, EOFError, gzip.BadGzipFile, ValueError, KeyError, TypeError, AttributeError)


class BackupError(RuntimeError):
    """A backup, copy or restore could not be done; the message says why and what to do."""


def derive_key(passphrase, salt, cost=SCRYPT):
    """The 32-byte AES key for ``passphrase`` and ``salt`` (scrypt with cost (log2 N, r, p))."""
    log2_n, r, p = cost
    n = 1 << log2_n
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n, dklen=32)


def aes_gcm(key):
    """AES-GCM with ``key``."""
    # imported here: cryptography's Rust core is 7 MB the server does not need until it makes or reads a backup
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def decrypt(aead, nonce, sealed, associated, failure):
    """``sealed`` decrypted by ``aead``; BackupError ``failure`` when its tag fails (damage or a wrong key)."""
    from cryptography.exceptions import InvalidTag  # imported here: see aes_gcm, which made ``aead``

    try:
        return aead.decrypt(nonce, sealed, associated)
    except (InvalidTag, ValueError):
        raise BackupError(failure) from None


class Sealer:
    """A write-only file object that encrypts what it is given, chunk by chunk, onto ``out``.

    Chunk ``i`` is AES-GCM with nonce ``i`` (11 bytes) plus a final flag (1 byte) and the file's
    header as associated data: chunks cannot be reordered, dropped, cut short or moved to another
    file without the tag failing. The key is new for every file (a fresh salt), so nonces never repeat.
    """

    def __init__(self, out, key, header):
        self.out, self.aead, self.header = out, aes_gcm(key), header
        self.buffer = bytearray()
        self.index = 0

    def _seal(self, data, final):
        nonce = self.index.to_bytes(11, "big") + bytes([final])
        self.out.write(self.aead.encrypt(nonce, bytes(data), self.header))
        self.index += 1

    def write(self, data):
        """Take ``data``; full chunks are encrypted and written at once."""
        self.buffer += data
        while len(self.buffer) >= CHUNK:
            self._seal(self.buffer[:CHUNK], final=False)
            del self.buffer[:CHUNK]
        return len(data)

    def finish(self):
        """Write the final chunk (shorter than CHUNK, perhaps empty)."""
        self._seal(self.buffer, final=True)
        self.buffer.clear()


class Opener:
    """A read-only file object giving back what a Sealer wrote; BackupError on any altered byte."""

    def __init__(self, source, key, header):
        self.source, self.aead, self.header = source, aes_gcm(key), header
        self.pending = bytearray()
        self.index = 0
        self.done = False

    def _next(self):
        sealed = self.source.read(CHUNK + TAG)
        final = len(sealed) < CHUNK + TAG  # only the last chunk is short
        nonce = self.index.to_bytes(11, "big") + bytes([final])
        failure = "The backup is damaged or was altered (a chunk fails its check)."
        self.pending += decrypt(self.aead, nonce, sealed, self.header, failure)
        self.index += 1
        self.done = final

    def read(self, size=-1):
        """Up to ``size`` decrypted bytes (all that is left when ``size`` is negative)."""
        while not self.done and (size < 0 or len(self.pending) < size):
            self._next()
        size = len(self.pending) if size < 0 else min(size, len(self.pending))
        data = bytes(self.pending[:size])
        del self.pending[:size]
        return data


def new_header(passphrase):
    """The header of a new encrypted file and its key: magic, format, mode, scrypt cost, salt and
    a 16-byte passphrase check (the GCM tag of nothing), so a wrong passphrase is told from damage."""
    salt = secrets.token_bytes(16)
    prefix = MAGIC + bytes([FORMAT, ENCRYPTED, *SCRYPT]) + salt
    key = derive_key(passphrase, salt)
    return prefix, aes_gcm(key).encrypt(CHECK_NONCE, b"", prefix), key


def open_stream(f, name, passphrase):
    """The archive stream inside an open backup file (decrypting it when it is encrypted)."""
    head = f.read(len(MAGIC) + 2)
    if len(head) < len(MAGIC) + 2 or not head.startswith(MAGIC):
        raise BackupError(f"{name} is not a Balai backup.")
    if head[len(MAGIC)] != FORMAT or head[-1] not in (PLAIN, ENCRYPTED):
        raise BackupError(f"{name} was made by a newer Balai (backup format {head[len(MAGIC)]}); upgrade Balai first.")
    if head[-1] == PLAIN:
        return f
    rest = f.read(3 + 16)
    cost, salt, check = tuple(rest[:3]), rest[3:], f.read(TAG)
    if len(check) != TAG or any(value > limit for value, limit in zip(cost, SCRYPT_LIMITS, strict=True)):
        raise BackupError(f"{name} is damaged (its header is cut short or wrong).")
    if passphrase is None:
        raise BackupError(f"{name} is encrypted: give its passphrase with --passphrase-file FILE (or - to type it).")
    prefix = head + rest
    key = derive_key(passphrase, salt, cost)
    decrypt(aes_gcm(key), CHECK_NONCE, check, prefix, f"Wrong passphrase for {name}. Nothing was changed.")
    return Opener(f, key, prefix)


class Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, f):
        self.f, self.sha256 = f, hashlib.sha256()

    def read(self, size=-1):
        """Read from the underlying file, hashing the bytes."""
        data = self.f.read(size)
        self.sha256.update(data)
        return data


def add_file(tar, arcname, f):
    """Add the open file ``f`` to ``tar`` as ``arcname``; return its manifest entry (size, SHA-256)."""
    stat = os.fstat(f.fileno())
    info = tarfile.TarInfo(arcname)
    info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
    hashing = Hashing(f)
    tar.addfile(info, hashing)
    return {"path": arcname, "size": stat.st_size, "sha256": hashing.sha256.hexdigest()}


def write_archive(out, members, about):
    """Write a gzipped tar of ``members`` ((name in the archive, path) pairs) to ``out``, ending
    with the manifest: ``about`` plus every file's size and SHA-256, hashed as it is read."""
    files = []
    with (
        gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w|") as tar,
    ):
        for arcname, path in members:
            try:
                with open(path, "rb") as f:
                    files.append(add_file(tar, arcname, f))
            except FileNotFoundError:
                continue  # a media file deleted since the listing: it is gone from the village too
        manifest = json.dumps({**about, "files": files}, indent=1).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(manifest), int(time.time()), 0o600
        tar.addfile(info, BytesIO(manifest))


def allowed(name):
    """Whether an archive entry may be unpacked: our own names only, never outside the folder."""
    path = PurePosixPath(name)
    if name in (DB_NAME, LOGO, SECRET, MANIFEST):
        return True
    return path.parts[0] == MEDIA and len(path.parts) > 1 and not ({"", ".", ".."} & set(path.parts))


def unpack(stream, staging):
    """Unpack the archive from ``stream`` into ``staging`` and check it against its manifest.

    Returns the manifest. Raises BackupError when anything is missing, extra or different."""
    seen, manifest = {}, None
    with gzip.GzipFile(fileobj=stream, mode="rb") as gz:
        with tarfile.open(fileobj=gz, mode="r|") as tar:
            for info in tar:
                if manifest is not None or not info.isfile() or not allowed(info.name):
                    raise BackupError(f"The backup holds an unexpected entry {info.name!r}; it was not restored.")
                source = tar.extractfile(info)
                if info.name == MANIFEST:
                    manifest = json.loads(source.read())
                    continue
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as out:
                    seen[info.name] = {"path": info.name, "size": info.size, "sha256": pump(source, out)}
        while gz.read(CHUNK):  # to the end: gzip's CRC and the last encrypted chunk are checked there
            pass
    listed = {entry["path"]: entry for entry in (manifest or {}).get("files", [])}
    if manifest is None or manifest.get("format") != FORMAT or listed != seen or DB_NAME not in seen:
        raise BackupError("The backup's files do not match its manifest: it is damaged or was altered.")
    return manifest


def pump(source, out=None):
    """Copy the file object ``source`` to ``out`` (if any) in chunks; return the SHA-256 of what passed."""
    digest = hashlib.sha256()
    while block := source.read(CHUNK):
        digest.update(block)
        if out is not None:
            out.write(block)
    return digest.hexdigest()


def write_backup(path, members, about, passphrase):
    """Write a new backup file at ``path`` (mode 0600), encrypted when ``passphrase`` is given, and sync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        if passphrase is None:
            f.write(MAGIC + bytes([FORMAT, PLAIN]))
            write_archive(f, members, about)
        else:
            prefix, check, key = new_header(passphrase)
            f.write(prefix + check)
            sealer = Sealer(f, key, prefix)
            write_archive(sealer, members, about)
            sealer.finish()
        f.flush()
        os.fsync(f.fileno())


def read_backup(source, passphrase, staging):
    """Decrypt and unpack the backup file ``source`` into the folder ``staging``; return its manifest.

    BackupError when the file is not a backup, the passphrase is wrong or missing, or anything in
    it is damaged or altered; OSError when the disk fails."""
    try:
        with open(source, "rb") as f:
            return unpack(open_stream(f, source, passphrase), staging)
    except DAMAGE:
        raise BackupError(f"{source} is damaged or was altered; it was not restored.") from None
