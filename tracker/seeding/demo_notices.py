"""The demo's 督办通知单 and 催办通知单: one per (re)dispatch to a new unit and per urge, numbered in time order.

The demo plays each task's story on its own, so the notices are issued afterwards, all
of them in the order the dispatches and urges happened, through the same service the
workflow calls, with the clock set to each moment (so their 文号 and dates agree).
"""
from .. import clock
from ..extensions import db
from ..models import RectificationTask, TaskDispatch, Urge, User
from ..services.tasks import notices

# Dispatch kinds that send the task to a unit anew (a correction of the lead unit keeps the notice).
NEW_NOTICE_KINDS = ("dispatch", "reassign")


def issue_all():
    """Issue the notices of every dispatch and urge in the database, oldest first; returns how many."""
    events = [(item.dispatched_at, 0, item.id, "dispatch", item) for item in db.session.scalars(
        db.select(TaskDispatch).where(TaskDispatch.kind.in_(NEW_NOTICE_KINDS)))]
    events += [(item.created_at, 1, item.id, "urge", item) for item in db.session.scalars(db.select(Urge))]
    for moment, _order, _id, kind, item in sorted(events, key=lambda event: event[:3]):
        task = db.session.get(RectificationTask, item.task_id)
        with clock.frozen(moment):
            if kind == "dispatch":
                actor = db.session.get(User, item.dispatched_by_id) if item.dispatched_by_id else None
                notice = notices.issue_dispatch_notice(actor, task)
                notice.unit_id = item.unit_id  # the unit it went to then (a task reassigned since)
            else:
                notices.issue_urge_notice(db.session.get(User, item.urged_by_id), task, item)
    db.session.flush()
    return len(events)
