"""Evidence files of the demo: small real PDFs and PNGs written where uploads live, with their rows.

Made here rather than shipped: a one-page PDF saying what it is, and a plain picture,
are enough to open in the browser. Their stored names come from what they are (the
task, the record, the file name), so loading the demo twice writes the same files.
"""
import hashlib
import os
import struct
import zlib

from ..extensions import db
from ..models import Attachment
from ..services.tasks import attachments


def pdf(lines):
    """A valid one-page PDF with `lines` of ASCII text and a correct xref table."""
    text = " ".join(f"({line}) Tj 0 -24 Td" for line in lines)
    stream = f"BT /F1 16 Tf 72 760 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png(width, height, top, bottom):
    """A PNG picture: `top` colour above, `bottom` below (RGB tuples), like a before/after photo's sky and ground."""
    rows = b"".join(b"\x00" + bytes(top if y < height // 2 else bottom) * width for y in range(height))

    def chunk(kind, data):
        """One PNG chunk with its length and CRC."""
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def store(task, uploader, name, data, moment, key, report=None, closeout_request=None):
    """Write one evidence file in place and add its row; `key` makes its stored name."""
    stored_name = hashlib.sha256(f"demo/{key}/{name}".encode()).hexdigest()[:32]
    path = attachments.path_for(stored_name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    extension = name.rpartition(".")[2].lower()
    row = Attachment(task_id=task.id, report=report, closeout_request=closeout_request, uploaded_by_id=uploader.id,
                     original_name=name, stored_name=stored_name, content_type=attachments.CONTENT_TYPES[extension],
                     size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), created_at=moment)
    db.session.add(row)
    return row
