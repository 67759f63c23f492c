"""Every (re)dispatch of a task to a lead unit: the acceptance clock, and who led the task when.

A task is dispatched once as a draft, and again each time the office sends it to a
unit anew: a return reassigned to another unit or insisted on, a lead unit corrected.
Each is a TaskDispatch row with its time; tasks.last_dispatched_at is the latest one,
so "dispatched N days ago and still not accepted" is one indexed column in SQL.
"""
from sqlalchemy import func

from ... import clock
from ...extensions import db
from ...models import RectificationTask, TaskDispatch


def record(actor, task, kind, note=None):
    """Record that the task was (re)sent to its current lead unit now; the acceptance clock restarts."""
    now = clock.now()
    if task.dispatched_at is not None:
        note_first(task)
    task.last_dispatched_at = now
    if task.dispatched_at is None:
        task.dispatched_at = now
    item = TaskDispatch(task_id=task.id, unit_id=task.lead_unit_id, dispatched_by_id=actor.id if actor else None,
                        dispatched_at=now, kind=kind, note=note)
    db.session.add(item)
    return item


def note_first(task):
    """A task dispatched without a row of it (seeded, imported): record that first dispatch, to its lead unit then.

    Called before the lead unit changes, so the unit that had the task stays on record.
    """
    recorded = db.session.scalar(db.select(TaskDispatch.id).where(TaskDispatch.task_id == task.id).limit(1))
    if recorded is None:
        db.session.add(TaskDispatch(task_id=task.id, unit_id=task.lead_unit_id, dispatched_at=task.dispatched_at,
                                    kind="dispatch"))


def dispatched_at(task):
    """When the task was last (re)dispatched to its lead unit (None for a draft): where 签收's clock starts."""
    return task.last_dispatched_at or task.dispatched_at


def dispatched_at_clause():
    """SQL: the task's latest dispatch time (dispatched_at for the same in a query)."""
    return func.coalesce(RectificationTask.last_dispatched_at, RectificationTask.dispatched_at)


def history(task):
    """The task's dispatches, oldest first, with their units."""
    return db.session.scalars(db.select(TaskDispatch).where(TaskDispatch.task_id == task.id)
                              .order_by(TaskDispatch.dispatched_at, TaskDispatch.id)).all()


def former_lead_unit_ids(task):
    """Units that once led the task and lead it no longer."""
    ids = db.session.scalars(db.select(TaskDispatch.unit_id).where(TaskDispatch.task_id == task.id).distinct())
    return {unit_id for unit_id in ids if unit_id != task.lead_unit_id}


def was_lead_unit(task, unit_id):
    """True when the unit led the task at some time (now or before)."""
    if unit_id is None:
        return False
    return unit_id == task.lead_unit_id or db.session.scalar(
        db.select(TaskDispatch.id).where(TaskDispatch.task_id == task.id, TaskDispatch.unit_id == unit_id)
        .limit(1)) is not None
