"""Check an uploaded logo and re-encode it into a clean PNG (a pure function: bytes in, bytes out).

An uploaded file is untrusted: it may be another format than its name says, truncated, a
decompression bomb, an SVG (which can carry scripts), or carry metadata such as GPS positions.
Remit never serves what was uploaded; it serves the PNG this module re-encodes from the decoded
pixels, which drops every metadata chunk and any trailing payload.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_SOURCE_SIDE = 4096
MAX_SOURCE_PIXELS = 4096 * 4096
MIN_SIDE = 16
# Logos are shown at most ~300×120 CSS pixels; twice that covers high-density screens.
OUTPUT_BOX = (800, 320)

# Pillow format name → the file extensions people give such files, and a human name.
ACCEPTED_FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "PNG": ((".png",), "PNG"),
    "JPEG": ((".jpg", ".jpeg", ".jpe", ".jfif"), "JPEG"),
    "WEBP": ((".webp",), "WebP"),
    "GIF": ((".gif",), "GIF"),
}
ACCEPTED_EXTENSIONS = tuple(ext for exts, _ in ACCEPTED_FORMATS.values() for ext in exts)
ACCEPTED_LABEL = "PNG, JPEG, WebP or GIF"


class LogoError(ValueError):
    """The upload is not an acceptable logo; the message says why, for the person uploading."""


@dataclass(frozen=True)
class Logo:
    png: bytes
    width: int
    height: int
    sha256: str


RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


def _looks_like_svg(head: bytes) -> bool:
    if head.startswith(RASTER_MAGIC):
        return False
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return sniff.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in sniff[:1024]


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoError(
            f"The image has far too many pixels; the largest accepted is {MAX_SOURCE_SIDE}×{MAX_SOURCE_SIDE}."
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise LogoError(f"The file is not an image Remit can read. Upload a {ACCEPTED_LABEL} file.") from None


def normalize_logo(data: bytes, filename: str) -> Logo:
    """Validate ``data`` (named ``filename`` by the uploader) and return it as a stripped PNG."""
    extension = PurePath(filename or "").suffix.lower()
    if not data:
        raise LogoError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoError(f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest accepted is 2 MB.")
    if extension == ".svg" or _looks_like_svg(data[:2048]):
        raise LogoError(f"SVG files are not accepted, as they can contain scripts. Upload a {ACCEPTED_LABEL} file.")
    if extension not in ACCEPTED_EXTENSIONS:
        raise LogoError(f"“{filename}” is not a {ACCEPTED_LABEL} file.")

    image = _open(data)
    if image.format not in ACCEPTED_FORMATS:
        raise LogoError(f"The file is a {image.format or 'unknown'} image. Upload a {ACCEPTED_LABEL} file.")
    extensions, label = ACCEPTED_FORMATS[image.format]
    if extension not in extensions:
        raise LogoError(
            f"“{filename}” is named like a {extension.lstrip('.').upper()} file but is a {label} image. "
            f"Rename it to end in {extensions[0]} and upload it again."
        )
    width, height = image.size
    if width > MAX_SOURCE_SIDE or height > MAX_SOURCE_SIDE or width * height > MAX_SOURCE_PIXELS:
        raise LogoError(
            f"The image is {width}×{height} pixels; the largest accepted is {MAX_SOURCE_SIDE}×{MAX_SOURCE_SIDE}."
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise LogoError(f"The image is {width}×{height} pixels; a logo needs at least {MIN_SIDE}×{MIN_SIDE}.")
    try:
        image.seek(0)  # the first frame of an animated GIF or WebP
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise LogoError("The image file is damaged or incomplete. Export it again and upload the new file.") from None
    return _reencode(image)


def _reencode(image: Image.Image) -> Logo:
    image = ImageOps.exif_transpose(image) or image  # honour the camera's rotation before dropping EXIF
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)
    clean = image.convert("RGBA" if has_alpha else "RGB")
    clean.thumbnail(OUTPUT_BOX, Image.Resampling.LANCZOS)
    # A new image holds only pixels: no EXIF, XMP, ICC profile, text chunks or trailing bytes.
    pixels_only = Image.new(clean.mode, clean.size)
    pixels_only.paste(clean)
    out = io.BytesIO()
    pixels_only.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return Logo(png=png, width=pixels_only.width, height=pixels_only.height, sha256=hashlib.sha256(png).hexdigest())
