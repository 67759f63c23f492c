"""作废: the office voids an issued bulletin with a reason; the month's next issue is its 更正.

A voided bulletin keeps its number, its files and their checksums (nothing is
rewritten); it is shown 作废 with who voided it, when and why, and the leaders
and the office are told. The month's next draft names it (replaces_id) and,
issued, takes the next 第N期 of the year.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ... import clock
from ...extensions import db
from ...models import Bulletin
from ...models.bulletin import ISSUED, VOIDED
from .. import ConflictError, DomainError, audit
from ..transaction import saving
from . import lifecycle

MAX_REASON = 2000
VOIDED_TITLE = _l("Bulletin No. %(number)d of %(year)d (%(month)s) has been voided (作废)")


def correction_of(bulletin):
    """The issue that corrects a voided bulletin (更正), or None while it has none."""
    return db.session.scalar(db.select(Bulletin).where(Bulletin.replaces_id == bulletin.id,
                                                       Bulletin.status != "draft").limit(1))


def void(actor, bulletin, reason):
    """Void an issued bulletin with a reason; the leaders and the rest of the office are told."""
    lifecycle.require_office(actor)
    reason = (reason or "").strip()
    if bulletin.is_draft:
        raise DomainError(_("A draft is not voided: generate it again, or leave it. Only an issued bulletin is "
                            "voided."))
    if bulletin.is_voided:
        corrected = correction_of(bulletin)
        if corrected is not None:
            raise ConflictError(_("This bulletin was voided and has already been corrected by No. %(number)d.",
                                  number=corrected.issue_no))
        raise ConflictError(_("This bulletin has already been voided."))
    if not reason:
        raise DomainError(_("Give the reason for voiding the bulletin; it is shown with it and sent to the "
                            "leaders."))
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason has %(length)d characters; at most %(max)d are allowed.",
                            length=len(reason), max=MAX_REASON))
    with saving():
        changed = db.session.execute(db.update(Bulletin).where(Bulletin.id == bulletin.id, Bulletin.status == ISSUED)
                                     .values(status=VOIDED, voided_at=clock.now(), voided_by_id=actor.id,
                                             void_reason=reason)).rowcount
        if not changed:
            raise ConflictError(_("This bulletin has already been voided."))
        audit.record_change(actor, "bulletin", bulletin, "voided", reason=reason, from_status=ISSUED,
                            to_status=VOIDED)
        readers = {user.id: user for user in lifecycle.supervisors(exclude=actor) + lifecycle.leaders()}
        lifecycle.notify(list(readers.values()), "bulletin_voided", VOIDED_TITLE, bulletin)
    db.session.refresh(bulletin)
    return bulletin
