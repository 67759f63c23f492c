"""Derived task state: overdue, days late, on time, traffic light. Never stored.

Rules (DESIGN, Task lifecycle), with dates in the configured time zone:
- overdue: today is past the deadline and the task is neither closed nor cancelled;
  a task whose close-out was requested on or before its deadline is not overdue
  while under review;
- red: overdue;
- yellow: due within N days, or a milestone overdue, or no progress report for
  M days (counted from dispatch while there is none yet);
- green otherwise; closed and cancelled tasks have no light.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..models import Milestone
from ..models.task import FINISHED_STATUSES

LIGHTS = {"red": _l("Red"), "yellow": _l("Yellow"), "green": _l("Green")}
# Statuses in which the unit is expected to keep reporting.
REPORTING_STATUSES = ("assigned", "in_progress")


@dataclass(frozen=True)
class TaskState:
    """What the rules say about one task today."""

    light: str | None
    is_overdue: bool
    days_late: int
    days_left: int | None
    reasons: tuple

    @property
    def light_label(self):
        """Human label of the light."""
        return LIGHTS.get(self.light, "")


def closeout_requested_in_time(task):
    """True when the pending close-out was asked for on or before the deadline."""
    if task.closeout_requested_at is None:
        return False
    return clock.to_local(task.closeout_requested_at).date() <= task.deadline_on


def is_overdue(task, today):
    """逾期: past the deadline, still open, and not saved by a timely close-out request."""
    if task.status in FINISHED_STATUSES or today <= task.deadline_on:
        return False
    return not (task.status == "pending_review" and closeout_requested_in_time(task))


def task_state(task, today=None, has_overdue_milestone=None):
    """Compute the light and its reasons for one task."""
    today = today or clock.today()
    if task.status in FINISHED_STATUSES:
        return TaskState(None, False, 0, None, ())
    cfg = current_app.config
    days_left = (task.deadline_on - today).days
    if is_overdue(task, today):
        return TaskState("red", True, -days_left, days_left, (_l("Overdue"),))
    if has_overdue_milestone is None:
        has_overdue_milestone = any(not m.is_done and m.due_on < today for m in task.milestones)
    reasons = []
    if 0 <= days_left <= cfg["YELLOW_DUE_DAYS"] and task.status != "pending_review":
        reasons.append(_l("Due soon"))
    if has_overdue_milestone:
        reasons.append(_l("Milestone overdue"))
    if task.status in REPORTING_STATUSES:
        since = task.last_reported_at or task.dispatched_at or task.created_at
        if since is not None and (today - clock.to_local(since).date()).days >= cfg["YELLOW_SILENT_DAYS"]:
            reasons.append(_l("No progress report"))
    return TaskState("yellow" if reasons else "green", False, 0, days_left, tuple(reasons))


def states_for(tasks, today=None):
    """Compute states for a page of tasks with one query for their overdue milestones."""
    today = today or clock.today()
    ids = [t.id for t in tasks]
    late = set()
    if ids:
        late = set(db.session.scalars(
            db.select(Milestone.task_id).where(
                Milestone.task_id.in_(ids), Milestone.done_at.is_(None), Milestone.due_on < today
            ).distinct()
        ))
    return {t.id: task_state(t, today, t.id in late) for t in tasks}


def is_on_time(task, closeout_deadline_on=None):
    """按期完成: closed, with the close-out asked for on or before the deadline then in force."""
    if task.status != "closed" or task.closeout_requested_at is None:
        return False
    deadline = closeout_deadline_on or task.deadline_on
    return clock.to_local(task.closeout_requested_at).date() <= deadline
