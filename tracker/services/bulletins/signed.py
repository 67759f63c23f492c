"""The signed final PDF of an issued bulletin: the text the office edited in Word, signed, as circulated.

The tracker's issue (its PDF, .docx and figures) stays the record; the office may
attach the final PDF once, beside it, with its SHA-256, who attached it and when.
It is never replaced (a wrong one means voiding the issue and its 更正).
"""
import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Bulletin
from ...models.bulletin import ISSUED
from .. import ConflictError, DomainError, audit
from ..documents import files
from ..transaction import saving
from . import lifecycle


def attach(actor, bulletin, data):
    """Attach the signed final PDF (bytes) to an issued bulletin, once."""
    lifecycle.require_office(actor)
    if bulletin.status != ISSUED:
        raise DomainError(_("The signed final PDF is attached to an issued bulletin (not a draft, not a voided "
                            "one)."))
    if bulletin.signed_path:
        raise ConflictError(_("A signed final PDF is already attached to this bulletin; it is never replaced."))
    limit = current_app.config["MAX_UPLOAD_MB"]
    if not data or not data.startswith(b"%PDF-"):
        raise DomainError(_("The file is not a PDF. Attach the signed final bulletin as a PDF file."))
    if len(data) > limit * 1024 * 1024:
        raise DomainError(_("The file is larger than %(limit)d MB.", limit=limit))
    digest = hashlib.sha256(data).hexdigest()
    name = f"{bulletin.year}-{bulletin.issue_no:03d}-{bulletin.month}-signed-{secrets.token_hex(8)}.pdf"
    path, pending = lifecycle.write_file(name, data)
    with saving(cleanup=lambda: files.discard(pending),
                after_commit=lambda: files.place(pending, path, read_only=True)):
        changed = db.session.execute(db.update(Bulletin).where(
            Bulletin.id == bulletin.id, Bulletin.status == ISSUED, Bulletin.signed_path.is_(None)).values(
            signed_path=name, signed_sha256=digest, signed_at=clock.now(), signed_by_id=actor.id)).rowcount
        if not changed:
            raise ConflictError(_("A signed final PDF is already attached to this bulletin; it is never replaced."))
        audit.record_change(actor, "bulletin", bulletin, "signed_attached", to_status=ISSUED)
    db.session.refresh(bulletin)
    return bulletin
