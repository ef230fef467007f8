"""Uploaded files: photos and PDF documents, checked, cleaned and stored under the data directory.

Nothing a person uploads is served as it came. A photo is decoded and re-encoded as a JPEG (which
drops EXIF, GPS and any other metadata, and anything hidden after the image data), turned upright
and scaled down; a PDF must really be a PDF, not HTML or a script with a .pdf name. Files are named
by their content's SHA-256, so the same upload twice is stored once and a name reveals nothing.

This module does not import Flask: the content pack import uses it too.
"""

import hashlib
import os
import re
import tempfile
import threading
from io import BytesIO
from pathlib import Path

from portal.domain.errors import DomainError

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
PHOTO_SIZES = {"": 1280, "-s": 480}  # the full photo and the small one for lists and the home page
MAX_PIXELS = 24_000_000  # a bigger picture is a decompression bomb, not a phone photo
# Decoding a photo takes memory in proportion to its pixels (a JPEG is decoded already scaled down
# with ``draft``, a PNG is not): two at a time keeps a burst of uploads within a Pi's memory.
DECODING = threading.BoundedSemaphore(2)
LOGO_FORMATS = {"PNG", "JPEG"}
LOGO_SIZE = 400  # the longest side in pixels; a receipt prints the logo at most 200 dots wide
NAME = re.compile(r"^[0-9a-f]{32}(-s)?\.(jpg|pdf)$")


class UploadError(DomainError):
    """An upload was refused; nothing was stored (HTTP 400)."""


def _write(directory, name, data):
    """Write ``data`` to ``directory/name`` unless a file has that (content-derived) name already."""
    target = Path(directory) / name
    if not target.exists():
        replace_file(target, data)


def replace_file(path, data):
    """Write ``data`` to ``path`` atomically, replacing any file there: a crash leaves the old file
    or the new one, never half of one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check_size(data, max_bytes, what):
    if not data:
        raise UploadError("upload_empty")
    if len(data) > max_bytes:
        raise UploadError(f"{what}_too_large", limit_mb=max_bytes // (1024 * 1024))


def _decode_photo(data):
    """The upload as an upright RGB image, or UploadError when it is not a photo we take."""
    # imported here (and below): Pillow is 2 MB the server does not need until someone uploads a picture
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise UploadError("photo_bad_type")
            if probe.width * probe.height > MAX_PIXELS:
                raise UploadError("photo_bad_type")
            probe.seek(0)
            probe.draft("RGB", (PHOTO_SIZES[""], PHOTO_SIZES[""]))  # JPEG only: decode at 1/2…1/8 size
            image = ImageOps.exif_transpose(probe)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, EOFError):
        raise UploadError("photo_bad_type") from None
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def store_photo(data, directory, max_bytes):
    """Check, clean and store a photo; return its stored name (``<hash>.jpg``).

    Also stores a small version (``<hash>-s.jpg``, see ``small``) for lists and the home page.
    """
    from PIL import Image  # imported here: see _decode_photo

    _check_size(data, max_bytes, "photo")
    stem = hashlib.sha256(data).hexdigest()[:32]
    with DECODING:
        image = _decode_photo(data)
        for suffix, longest in PHOTO_SIZES.items():
            copy = image.copy()
            copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            out = BytesIO()
            # No exif= and no icc_profile=: the re-encoded file carries no metadata at all.
            copy.save(out, "JPEG", quality=72 if suffix else 80, optimize=True, progressive=True)
            _write(Path(directory), f"{stem}{suffix}.jpg", out.getvalue())
    return f"{stem}.jpg"


def small(name):
    """The stored name of a photo's small version."""
    return name.replace(".jpg", "-s.jpg") if name else ""


def store_pdf(data, directory, max_bytes):
    """Check and store a PDF document; return its stored name (``<hash>.pdf``).

    A PDF starts with ``%PDF-`` and ends with ``%%EOF`` (perhaps followed by a few bytes of
    whitespace): an HTML page, a script or an image renamed to .pdf does not.
    """
    _check_size(data, max_bytes, "pdf")
    if not re.match(rb"%PDF-[12]\.\d", data[:8]) or b"%%EOF" not in data[-1024:]:
        raise UploadError("pdf_bad_type")
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.pdf"
    _write(Path(directory), name, data)
    return name


def logo_png(data, max_bytes):
    """A village logo upload (PNG or JPEG), cleaned like a photo, scaled down and encoded as the
    PNG that receipts print; UploadError ``logo_bad_type`` for anything else."""
    from PIL import Image, UnidentifiedImageError  # imported here: see _decode_photo

    _check_size(data, max_bytes, "photo")
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in LOGO_FORMATS:
                raise UploadError("logo_bad_type")
        with DECODING:
            image = _decode_photo(data)
    except (UploadError, UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UploadError("logo_bad_type") from None
    image.thumbnail((LOGO_SIZE, LOGO_SIZE), Image.Resampling.LANCZOS)
    out = BytesIO()
    image.save(out, "PNG", optimize=True)  # no pnginfo: nothing of the upload's metadata survives
    return out.getvalue()


def path_of(directory, name):
    """The file behind a stored name, or None for a name ``store_*`` could not have made."""
    if not NAME.match(name or ""):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None
