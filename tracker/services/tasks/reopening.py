"""Reopening a closed task after 回头看: the one edge out of closed (closed → 整改中).

The next ranking may show the rectification did not work (services/indicators/continuity.py:
整改成效未显现). The office then reopens the task with a new deadline and a reason, or makes a
follow-up task linked to it (indicators/continuity.follow_up). Reopening is recorded as an audit
entry (closed → in_progress, with the reason) and a DeadlineAdjustment (the new deadline), so a
bulletin rebuilt for a month the task was closed in still shows it closed then
(bulletins/history.py replays both); closed_at is cleared, as the task is open again.
"""
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import DeadlineAdjustment
from .. import DomainError
from ..transaction import required_text, saving
from .workflow import authorize, conflict_message, transition


def reopen(actor, task, new_deadline_on, reason, version=None):
    """Reopen a closed task: back to 整改中 with a new deadline (after today) and a reason; audited, notified."""
    with saving(conflict=conflict_message):
        authorize(actor, "reopen", task, version)
        if new_deadline_on is None:
            raise DomainError(_("Choose the new deadline of the reopened task."))
        if new_deadline_on <= clock.today():
            raise DomainError(_("The new deadline %(date)s is not after today; choose a later day.",
                                date=new_deadline_on.isoformat()))
        reason = required_text(reason, _("Reason"), 2000)
        text = _("Reopened, new deadline %(date)s: %(reason)s", date=new_deadline_on.isoformat(), reason=reason)
        db.session.add(DeadlineAdjustment(task_id=task.id, old_deadline_on=task.deadline_on,
                                          new_deadline_on=new_deadline_on, reason=text, adjusted_by_id=actor.id,
                                          created_at=clock.now()))
        task.deadline_on = new_deadline_on
        task.closed_at = None
        transition(actor, task, "reopened", "in_progress", text)
    return task
