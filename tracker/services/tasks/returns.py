"""申请调整: before 签收 the lead unit's head returns a task that is not its job; the office reassigns or insists.

A returned task shows 待调整 (status "returned") to the office. Reassigning it is a
new dispatch to the new unit; insisting sends it back to 待签收 with the office's
note. Either way the acceptance clock restarts (dispatches.record). Returns stay
counted against the unit that made them (return_counts).
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func

from ... import clock
from ...extensions import db
from ...models import TaskReturn, Unit
from .. import DomainError
from ..messaging import notifications
from ..transaction import optional_text, saving
from . import dispatches, notices
from .workflow import authorize, conflict_message, notice_line, transition


def pending_return(task):
    """The task's return waiting for the office's answer, if any."""
    return db.session.scalar(db.select(TaskReturn).where(TaskReturn.task_id == task.id,
                                                         TaskReturn.status == "pending").limit(1))


def return_task(actor, task, reason, version=None):
    """The lead unit's head sends a task it has not accepted back to the office, saying why."""
    with saving(conflict=conflict_message):
        authorize(actor, "return_task", task, version)
        reason = optional_text(reason, _("Reason"))
        if not reason:
            raise DomainError(_("Say why the task should be adjusted (for example which unit's job it is), so the "
                                "supervision office can reassign it."))
        item = TaskReturn(task_id=task.id, unit_id=task.lead_unit_id, requested_by_id=actor.id, reason=reason,
                          status="pending", created_at=clock.now())
        db.session.add(item)
        db.session.flush()
        transition(actor, task, "returned", "returned", reason, item)
    return item


def close_return(actor, item, status, note, new_unit=None):
    """Record the office's answer on a return."""
    item.status, item.decided_by_id, item.decided_at = status, actor.id, clock.now()
    item.decision_note, item.new_unit_id = note, new_unit.id if new_unit is not None else None


def reassign(actor, task, unit_id, note=None, version=None, reply_due_on=None):
    """改派: the office gives the returned task to another unit — a new dispatch to it, with a new 督办通知单."""
    with saving(conflict=conflict_message):
        authorize(actor, "decide_return", task, version)
        item = _waiting(task)
        note = optional_text(note, _("Note"))
        unit = db.session.get(Unit, unit_id) if unit_id else None
        if unit is None or not unit.is_active:
            raise DomainError(_("Choose the active unit the task goes to, or insist on %(unit)s.",
                                unit=task.lead_unit.name))
        if unit.id == task.lead_unit_id:
            raise DomainError(_("%(unit)s returned this task. Choose another unit, or insist on it instead.",
                                unit=unit.name))
        if any(co_unit.id == unit.id for co_unit in task.co_units):
            raise DomainError(_("%(unit)s co-organizes this task. Correct the co-organizing units first, or choose "
                                "another unit.", unit=unit.name))
        old_unit = task.lead_unit
        close_return(actor, item, "reassigned", note, unit)
        dispatches.note_first(task)
        task.lead_unit = unit
        db.session.flush()
        dispatches.record(actor, task, "reassign", note)
        notice = notices.issue_dispatch_notice(actor, task, reply_due_on)  # a new 督办通知单, a new 文号
        text = _("%(old)s → %(new)s", old=old_unit.name, new=unit.name) + (f": {note}" if note else "")
        transition(actor, task, "reassigned", "assigned", text, item, notify=False)
        told = {n.user_id for n in notifications.notify_task_event(task, "redispatched", actor,
                                                                   body=notice_line(notice, text))}
        notifications.notify_task_event(task, "corrected", actor, body=text, also_units=[old_unit.id],
                                        skip_ids=told)
    return item


def insist(actor, task, note, version=None):
    """The office keeps the task with the unit that returned it: back to 待签收, with the office's reason."""
    with saving(conflict=conflict_message):
        authorize(actor, "decide_return", task, version)
        item = _waiting(task)
        note = optional_text(note, _("Note"))
        if not note:
            raise DomainError(_("Tell %(unit)s why the task stays with it: the note is required when insisting.",
                                unit=task.lead_unit.name))
        close_return(actor, item, "insisted", note)
        dispatches.record(actor, task, "insist", note)
        transition(actor, task, "insisted", "assigned", note, item)
    return item


def _waiting(task):
    """The pending return, or DomainError."""
    item = pending_return(task)
    if item is None:
        raise DomainError(_("There is no return waiting for an answer."))
    return item


@dataclass
class UnitReturns:
    """One unit's returns: how many, how many still waiting, the last one."""

    unit_id: int
    unit_name: str
    count: int
    pending: int
    last_at: datetime


def return_counts():
    """unit id -> how many tasks the unit has returned (申请调整), ever."""
    return dict(db.session.execute(db.select(TaskReturn.unit_id, func.count(TaskReturn.id))
                                   .group_by(TaskReturn.unit_id)).all())


def by_unit():
    """Every unit that has returned tasks, the most returns first."""
    pending = func.sum(db.case((TaskReturn.status == "pending", 1), else_=0))
    rows = db.session.execute(
        db.select(Unit.id, Unit.name, func.count(TaskReturn.id), pending, func.max(TaskReturn.created_at))
        .join(TaskReturn, TaskReturn.unit_id == Unit.id).group_by(Unit.id, Unit.name)
        .order_by(func.count(TaskReturn.id).desc(), Unit.name)).all()
    return [UnitReturns(unit_id, name, count, int(waiting or 0), last) for unit_id, name, count, waiting, last in rows]


def recent(limit=50):
    """The latest returns, newest first, with their tasks and units."""
    return db.session.scalars(db.select(TaskReturn).order_by(TaskReturn.created_at.desc(), TaskReturn.id.desc())
                              .limit(limit)).all()
