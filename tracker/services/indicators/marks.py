"""The office's hand marks: an indicator weak or not weak for one period, whatever the rules say, with a reason.

A mark is a new IndicatorMark row (never rewritten); the latest row of a result is in force, and
"cleared" hands the decision back to the rules. The board shows it beside the rule reasons, and
weakness.assess lets it decide, so the dashboard, the bulletin, the alerts and 回头看 follow it.
"""
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import IndicatorMark
from ...models.indicator import HAND_MARKS
from .. import DomainError, audit
from ..transaction import required_text, saving
from .results_import import require_office

REASON_CHARS = 500


def set_mark(actor, result, mark, reason):
    """Mark one result weak / not weak (or clear the mark) with a reason; audited."""
    require_office(actor)
    if mark not in HAND_MARKS:
        raise DomainError(_("Choose weak, not weak, or clear the mark."))
    reason = required_text(reason, _("Reason"), REASON_CHARS)
    current = history(result)
    if mark == "cleared" and (not current or current[0].mark == "cleared"):
        raise DomainError(_("%(name)s has no hand mark to clear.", name=result.indicator.name))
    with saving():
        entry = IndicatorMark(result_id=result.id, mark=mark, reason=reason, created_by_id=actor.id,
                              created_at=clock.now())
        db.session.add(entry)
        db.session.flush()
        audit.record_change(actor, "indicator_result", result, "indicator_marked", to_status=mark,
                            reason=f"{result.period.name} · {result.indicator.name}: {HAND_MARKS[mark]}（{reason}）")
    return entry


def history(result):
    """Every mark of the result, latest first."""
    return db.session.scalars(db.select(IndicatorMark).where(IndicatorMark.result_id == result.id)
                              .order_by(IndicatorMark.created_at.desc(), IndicatorMark.id.desc())).all()
