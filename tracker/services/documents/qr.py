"""QR codes (segno) for printed documents: inline SVG for the PDF, PNG bytes for Word."""
import io

import segno
from markupsafe import Markup


def _code(text):
    """The QR code of `text`, error correction M (a folded or stamped sheet still scans)."""
    return segno.make(text, error="m", micro=False)


def svg(text, size_mm=28):
    """The code as an inline <svg> element `size_mm` wide (no outside resource for the PDF to fetch)."""
    markup = _code(text).svg_inline(border=2, dark="#000", light="#fff", omitsize=True)
    return Markup(markup.replace("<svg ", f'<svg width="{size_mm}mm" height="{size_mm}mm" ', 1))


def png(text, scale=8):
    """The code as PNG bytes (Word documents embed pictures, not SVG)."""
    buffer = io.BytesIO()
    _code(text).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
