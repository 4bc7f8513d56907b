"""TrueType fonts for fpdf2, read once per process instead of once per document.

``FPDF.add_font`` parses the font file each time: its character map, the width of every glyph. For
DejaVu Sans (about 6,000 glyphs) that is about 20 ms of CPU per style, half of what drawing a whole
invoice costs. ``add_kept_font`` parses each file once and gives every document its own copy of the
result, with a fresh, unparsed fontTools font underneath: embedding a font in a document subsets it
in place, so that part is never shared between documents (or between the threads of a web process).
The PDF is byte for byte the one ``add_font`` would give (tests/test_pdf_fonts.py)."""

from __future__ import annotations

import copy
import io
import threading
from functools import cache
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

_lock = threading.Lock()


@cache
def _parsed(path: Path, family: str, style: str) -> tuple[TTFFont, bytes]:
    """The font as ``add_font`` makes it, and the file's bytes (for each copy's own fontTools font)."""
    reader = FPDF()
    reader.add_font(family, style, str(path))
    font = reader.fonts[f"{family.lower()}{style}"]
    assert isinstance(font, TTFFont)
    return font, path.read_bytes()


def add_kept_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """What ``pdf.add_font(family, style, path)`` does, from the font parsed once per process."""
    with _lock:  # the first call parses; the others wait for it rather than parse it again
        parsed, data = _parsed(path, family, style)
    font = copy.copy(parsed)  # the read-only parts: widths, character map, descriptor, name
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    font.subset = SubsetMap(font)  # which glyphs this document uses: its own
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    pdf.fonts[font.fontkey] = font
