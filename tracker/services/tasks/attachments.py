"""Evidence files: checked, stored outside static/ under generated names, served after can_view.

Uploads go in two steps so a refused request leaves no file and no row:
`stage()` checks every file (type by name AND by content, size, name) and
writes it to a temporary file; the service then adds the rows and calls
`attach()`, which moves the files into place. `discard()` removes them again
when the transaction fails.
"""
import hashlib
import os
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from ... import clock, permissions
from ...extensions import db
from ...models import Attachment
from .. import DomainError, PermissionDenied
from ..documents import files

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Office formats
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip (docx and xlsx are zips), or an empty one
# What the first bytes of each allowed type must be, so a renamed .exe is refused.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "doc": (OLE,),
    "xls": (OLE,),
    "docx": (ZIP[0],),
    "xlsx": (ZIP[0],),
    "zip": ZIP,
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
CHUNK = 64 * 1024
NAME_LENGTH = 255


@dataclass
class StagedFile:
    """A checked upload waiting in a temporary file for its transaction."""

    original_name: str
    extension: str
    size_bytes: int
    sha256: str
    stored_name: str
    temp_path: str
    final_path: str | None = None


def allowed_extensions():
    """The configured extensions, lower case, that have a known signature."""
    configured = current_app.config.get("ALLOWED_UPLOAD_EXTENSIONS") or SIGNATURES
    return [ext.lower().lstrip(".") for ext in configured if ext.lower().lstrip(".") in SIGNATURES]


def max_bytes():
    """The size limit of one file."""
    return int(current_app.config.get("MAX_UPLOAD_MB", 25)) * 1024 * 1024


def upload_dir():
    """The configured directory for evidence (created when missing)."""
    path = current_app.config["UPLOAD_DIR"]
    os.makedirs(path, exist_ok=True)
    return path


def clean_name(filename):
    """The file's own name for display: no directory parts, no control characters, at most 255 characters.

    Old browsers (IE, and 360 in compatibility mode) send the whole Windows path, so
    the directory is dropped rather than refused; the stored name never uses it anyway.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if len(name) > NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: NAME_LENGTH - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:NAME_LENGTH]
    return name


def _extension(name):
    """The lower-case extension of a cleaned name ('' when there is none)."""
    return name.rpartition(".")[2].lower() if "." in name else ""


def path_for(stored_name):
    """Where a stored file lives: sharded by the first two characters of its generated name."""
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise ValueError("not a generated stored name")
    return os.path.join(upload_dir(), stored_name[:2], stored_name)


def _check_and_copy(upload, name, ext, limit, temp_path):
    """Copy one upload to `temp_path` while checking its signature and size; returns (size, sha256)."""
    stream = upload.stream
    head = stream.read(CHUNK)
    if not head:
        raise DomainError(_("The file %(name)s is empty.", name=name))
    if not any(head.startswith(signature) for signature in SIGNATURES[ext]):
        raise DomainError(_("The file %(name)s is not really a .%(ext)s file; its content does not match its "
                            "name. Nothing was saved.", name=name, ext=ext))
    digest, size = hashlib.sha256(), 0
    with open(temp_path, "wb") as out:
        chunk = head
        while chunk:
            size += len(chunk)
            if size > limit:
                raise DomainError(_("The file %(name)s is larger than %(mb)d MB. Nothing was saved.",
                                    name=name, mb=limit // (1024 * 1024)))
            digest.update(chunk)
            out.write(chunk)
            chunk = stream.read(CHUNK)
    return size, digest.hexdigest()


def stage(uploads):
    """Check every upload and copy it to a temporary file; DomainError (and nothing kept) when one is refused."""
    uploads = [u for u in (uploads or []) if u is not None and (u.filename or "").strip()]
    max_files = int(current_app.config.get("MAX_UPLOAD_FILES", 10))
    if len(uploads) > max_files:
        raise DomainError(_("Attach at most %(n)d files at a time.", n=max_files))
    allowed, limit, staged = allowed_extensions(), max_bytes(), []
    temp_dir = os.path.join(upload_dir(), "tmp")
    os.makedirs(temp_dir, exist_ok=True)
    try:
        for upload in uploads:
            name = clean_name(upload.filename)
            ext = _extension(name)
            if not name or not ext or ext not in allowed:
                raise DomainError(_("%(name)s cannot be attached: only these file types are allowed: %(types)s.",
                                    name=name or upload.filename, types=", ".join(allowed)))
            stored_name = uuid.uuid4().hex
            item = StagedFile(name, ext, 0, "", stored_name, temp_path_for(stored_name))
            staged.append(item)
            item.size_bytes, item.sha256 = _check_and_copy(upload, name, ext, limit, item.temp_path)
    except OSError as error:
        discard(staged)
        if files.is_disk_full(error):
            raise files.disk_full() from None
        raise
    except BaseException:
        discard(staged)
        raise
    return staged


def temp_path_for(stored_name):
    """Where a file waits between its upload and the commit of its row."""
    return os.path.join(upload_dir(), "tmp", stored_name)


def attach(staged, task, uploader, report=None, closeout_request=None):
    """Add the staged files' rows; the caller commits, then place()s them (or discards them on failure)."""
    rows = []
    for item in staged:
        item.final_path = path_for(item.stored_name)
        row = Attachment(
            task_id=task.id, report=report, closeout_request=closeout_request, uploaded_by_id=uploader.id,
            original_name=item.original_name, stored_name=item.stored_name,
            content_type=CONTENT_TYPES[item.extension], size_bytes=item.size_bytes, sha256=item.sha256,
            created_at=clock.now(),
        )
        db.session.add(row)
        rows.append(row)
    return rows


def place(staged):
    """Move the files of committed rows from their waiting place into their own."""
    for item in staged:
        final = item.final_path or path_for(item.stored_name)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(item.temp_path, final)


def discard(staged):
    """Remove staged files, wherever they got to (used when the transaction fails for certain)."""
    for item in staged:
        for path in (item.temp_path, item.final_path):
            if path and os.path.exists(path):
                os.remove(path)


def get_for_download(user, attachment_id):
    """The attachment and its path, if the user may see its task; None when missing, PermissionDenied when hidden."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        return None, None
    allowed = permissions.can_view(user, attachment.task) or (
        attachment.report is not None and permissions.can_view_report(user, attachment.report))
    if not allowed:
        raise PermissionDenied()
    try:
        path = path_for(attachment.stored_name)
    except ValueError:
        return attachment, None  # a row not made by stage(): there is no file to serve
    if not os.path.isfile(path) and os.path.isfile(temp_path_for(attachment.stored_name)):
        # Its commit was not answered, yet here is its row: the file belongs in its place.
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.replace(temp_path_for(attachment.stored_name), path)
    return attachment, (path if os.path.isfile(path) else None)


@dataclass
class FileCheck:
    """What a check of stored files against their rows found (and, with fix, did)."""

    missing: list = field(default_factory=list)  # rows whose file is nowhere: restore from the backup
    placed: list = field(default_factory=list)  # files of committed rows moved from waiting into place
    removed: list = field(default_factory=list)  # waiting files no row claims, older than the limit
    strays: list = field(default_factory=list)  # files in place that no row claims (left for a person to judge)


def reconcile(fix=False, now=None):
    """Compare evidence files with their rows: place what a lost commit answer left waiting, list the rest."""
    now = now or time.time()
    result = FileCheck()
    claimed = set(db.session.scalars(db.select(Attachment.stored_name)))
    for stored_name in sorted(claimed):
        try:
            path = path_for(stored_name)
        except ValueError:
            continue
        if os.path.isfile(path):
            continue
        if os.path.isfile(temp_path_for(stored_name)):
            result.placed.append(stored_name)
            if fix:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                os.replace(temp_path_for(stored_name), path)
        else:
            result.missing.append(stored_name)
    temp_dir = os.path.join(upload_dir(), "tmp")
    for name in sorted(os.listdir(temp_dir)) if os.path.isdir(temp_dir) else []:
        path = os.path.join(temp_dir, name)
        if name not in claimed and now - os.path.getmtime(path) > files.PENDING_MAX_AGE:
            result.removed.append(name)
            if fix:
                os.remove(path)
    for shard in sorted(os.listdir(upload_dir())):
        if re.fullmatch(r"[0-9a-f]{2}", shard) and os.path.isdir(os.path.join(upload_dir(), shard)):
            result.strays.extend(name for name in sorted(os.listdir(os.path.join(upload_dir(), shard)))
                                 if name not in claimed)
    return result
