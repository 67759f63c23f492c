"""Reading notices back as a user's software would: pdftotext, pdffonts, zbarimg on a pdftoppm image, python-docx."""
import io
import shutil
import subprocess

import docx
import pytest

from tests.bulletin_helpers import pdf_fonts, pdf_text, squeeze

requires_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None,
                                   reason="zbar-tools is not installed (scripts/install-system-deps.sh test)")


def write(tmp_path, data, name):
    """Write document bytes to a file for the command-line readers."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def text_of(path):
    """The PDF's text without whitespace (pdftotext, reading order)."""
    return squeeze(pdf_text(path, layout=False))


def qr_codes(path, resolution=150):
    """Every QR code zbarimg decodes on the PDF's pages, rendered by pdftoppm."""
    prefix = path.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(path), str(prefix)], check=True)
    found = []
    for image in sorted(path.parent.glob(prefix.name + "-*.png")):
        result = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
        found += [line for line in result.stdout.splitlines() if line]
    return found


def cjk_fonts_embedded(path):
    """(every font embedded, the names of the fonts) as pdffonts lists them."""
    rows = pdf_fonts(path)
    return all(embedded == "yes" for _name, _type, embedded in rows), [name for name, _type, _embedded in rows]


def open_docx(data):
    """A .docx opened with python-docx."""
    return docx.Document(io.BytesIO(data))


def docx_text(document):
    """Every paragraph's and table cell's text of a .docx, whitespace removed."""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return squeeze("".join(parts))
