"""Uploads: what a photo or a PDF must be, and what is stored of it."""

from io import BytesIO

import pytest
from PIL import Image

from portal import media
from portal.domain.errors import DomainError

MB = 1024 * 1024


def jpeg_with_gps(size=(1600, 1200)):
    """A JPEG like a phone's: EXIF with a camera model, GPS position and a rotation."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to view
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0), 3: "E", 4: (107.0, 36.0, 0.0)}  # GPS IFD
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_photo_is_reencoded_without_metadata_upright_and_smaller(tmp_path):
    data = jpeg_with_gps()
    assert b"Phone X" in data
    name = media.store_photo(data, tmp_path, 8 * MB)
    assert name.endswith(".jpg")
    for stored in (tmp_path / name, tmp_path / media.small(name)):
        raw = stored.read_bytes()
        assert b"Phone X" not in raw and b"Exif" not in raw
        with Image.open(stored) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert image.height > image.width  # the EXIF rotation was applied, then dropped
    with Image.open(tmp_path / name) as full, Image.open(tmp_path / media.small(name)) as small:
        assert max(full.size) == 1280 and max(small.size) == 480


def test_png_with_transparency_becomes_a_jpeg(tmp_path):
    out = BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(out, "PNG")
    name = media.store_photo(out.getvalue(), tmp_path, MB)
    with Image.open(tmp_path / name) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"just some text pretending to be a jpg",
        b"%PDF-1.4\n%%EOF",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG header with nothing behind it
    ],
)
def test_things_that_are_not_photos_are_refused(tmp_path, data):
    with pytest.raises(DomainError) as caught:
        media.store_photo(data, tmp_path, MB)
    assert caught.value.code == "photo_bad_type"
    assert list(tmp_path.iterdir()) == []


def test_oversize_and_empty_photos_are_refused(tmp_path):
    with pytest.raises(DomainError) as caught:
        media.store_photo(jpeg_with_gps(), tmp_path, 1000)
    assert caught.value.code == "photo_too_large"
    with pytest.raises(DomainError) as caught:
        media.store_photo(b"", tmp_path, MB)
    assert caught.value.code == "upload_empty"
    assert list(tmp_path.iterdir()) == []


def test_a_decompression_bomb_is_refused(tmp_path):
    out = BytesIO()
    Image.new("1", (10000, 5000)).save(out, "PNG")  # 50 megapixels in a few kilobytes
    with pytest.raises(DomainError):
        media.store_photo(out.getvalue(), tmp_path, MB)


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_pdf_stored_by_content_hash(tmp_path):
    name = media.store_pdf(PDF, tmp_path, MB)
    assert name.endswith(".pdf") and (tmp_path / name).read_bytes() == PDF
    assert media.store_pdf(PDF, tmp_path, MB) == name  # the same document is stored once
    assert media.path_of(tmp_path, name) == tmp_path / name


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        b"<html>%PDF-1.4 %%EOF</html>",
        b"%PDF-1.4\n" + b"no end marker" * 10,
        b"\x89PNG\r\n\x1a\n%%EOF",
    ],
)
def test_a_pdf_that_is_really_something_else_is_refused(tmp_path, data):
    with pytest.raises(DomainError) as caught:
        media.store_pdf(data, tmp_path, MB)
    assert caught.value.code == "pdf_bad_type"
    assert list(tmp_path.iterdir()) == []


def test_only_names_media_made_are_served(tmp_path):
    (tmp_path / "secret_key").write_text("x")
    for name in ("../secret_key", "secret_key", "a" * 32 + ".html", "", "A" * 32 + ".jpg"):
        assert media.path_of(tmp_path, name) is None
