import io
import struct
import zlib

import pytest
from PIL import Image

from remit.lib.images import LogoError, normalize_logo
from remit.test import png_bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_bomb_png(side: int = 20000) -> bytes:
    """A real, valid 1-bit PNG of side×side pixels: ~50 KB on disk, 400 megapixels decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (300, 120), "#aa3300")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), comment=b"private comment")
    return buffer.getvalue()


def test_it_reencodes_a_png_into_a_png():
    logo = normalize_logo(png_bytes((400, 100)), "logo.png")
    decoded = Image.open(io.BytesIO(logo.png))
    assert decoded.format == "PNG"
    assert (logo.width, logo.height) == decoded.size == (400, 100)
    assert len(logo.sha256) == 64


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("JPEG", "a.JPEG"), ("WEBP", "a.webp"), ("GIF", "a.gif")])
def test_it_accepts_every_supported_format(fmt, name):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "#123456").save(buffer, format=fmt)
    assert Image.open(io.BytesIO(normalize_logo(buffer.getvalue(), name).png)).format == "PNG"


def test_it_keeps_transparency():
    logo = normalize_logo(png_bytes((100, 50), color="#00000000", mode="RGBA"), "clear.png")
    assert Image.open(io.BytesIO(logo.png)).mode == "RGBA"


def test_it_shrinks_large_logos_to_fit_the_box():
    logo = normalize_logo(png_bytes((4000, 1000)), "big.png")
    assert (logo.width, logo.height) == (800, 200)


def test_it_strips_metadata():
    source = jpeg_with_gps()
    assert b"SecretCameraMaker" in source
    logo = normalize_logo(source, "photo.jpg")
    decoded = Image.open(io.BytesIO(logo.png))
    assert "exif" not in decoded.info
    assert b"SecretCameraMaker" not in logo.png
    assert b"private comment" not in logo.png


def test_it_refuses_a_png_with_a_wrong_extension():
    with pytest.raises(LogoError, match=r"named like a JPG file but is a PNG image"):
        normalize_logo(png_bytes(), "logo.jpg")


def test_it_refuses_a_truncated_image():
    whole = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(whole, format="PNG")
    data = whole.getvalue()
    with pytest.raises(LogoError, match="damaged or incomplete"):
        normalize_logo(data[: len(data) // 2], "logo.png")


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_it_refuses_svg_even_when_renamed(name):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(LogoError, match="SVG files are not accepted"):
        normalize_logo(svg, name)


def test_it_refuses_a_pixel_bomb():
    bomb = pixel_bomb_png(20000)
    assert len(bomb) < 200_000
    with pytest.raises(LogoError, match=r"too many pixels|20000×20000"):
        normalize_logo(bomb, "bomb.png")


def test_it_refuses_an_image_above_the_size_limit_but_below_pillows():
    with pytest.raises(LogoError, match="5000×100 pixels; the largest accepted is 4096×4096"):
        normalize_logo(png_bytes((5000, 100)), "wide.png")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.png", "The file is empty"),
        (b"not an image at all", "notes.png", "not an image Remit can read"),
        (png_bytes(), "logo.bmp", "is not a PNG, JPEG, WebP or GIF file"),
        (png_bytes((8, 8)), "tiny.png", "a logo needs at least 16×16"),
        (b"\x89PNG" + b"\0" * (3 * 1024 * 1024), "huge.png", "the largest accepted is 2 MB"),
    ],
)
def test_it_names_the_problem(data, name, message):
    with pytest.raises(LogoError, match=message):
        normalize_logo(data, name)


def test_it_refuses_a_tiff_renamed_png():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="TIFF")
    with pytest.raises(LogoError, match="TIFF image"):
        normalize_logo(buffer.getvalue(), "logo.png")
