"""Each task as it stood at a past moment: status, deadline in force, overdue, on time.

The monthly bulletin reports a month as of its cut-off, so re-generating
November's bulletin in December must give November's numbers: a task closed on
3 December was still open on 30 November, a task created in December did not
exist yet, and an extension approved in December had not moved the deadline.
Everything here is rebuilt from what the workflow recorded with timestamps:
audit entries (every status change, from and to), the approved extension
requests (the date granted, which may be earlier than the one asked; a withdrawn
or rejected request never moved a deadline), the office's deadline adjustments,
the close-out requests, and the dispatches (a task moved to another lead unit
is charged, for the months before, to the unit that had it then).

The rules are the ones of services/tasks/lights.py (DESIGN, Task lifecycle) applied
on the cut-off day instead of today.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import selectinload

from ... import clock
from ...extensions import db
from ...models import (
    AuditEntry,
    CloseoutRequest,
    DeadlineAdjustment,
    ExtensionRequest,
    RectificationTask,
    TaskDispatch,
    Unit,
)
from ...models.task import FINISHED_STATUSES
from ..tasks import lights

COUNTED_OUT = ("draft", "cancelled")  # not (yet, or any more) a unit's work to be judged on
TITLE_CHARS = 80  # a task title in a printed table is cut here; the full title is in the tracker


@dataclass(frozen=True)
class TaskAsOf:
    """One task at a cut-off: what the bulletin counts."""

    task: RectificationTask
    status: str
    deadline_on: date
    as_of: date
    is_overdue: bool
    days_late: int
    is_on_time: bool
    lead_unit: object = None  # the lead unit at the cut-off (None: the task's lead unit now)

    @property
    def unit(self):
        """The unit the task is charged to at the cut-off."""
        return self.lead_unit if self.lead_unit is not None else self.task.lead_unit

    @property
    def is_closed(self):
        """销号 by the cut-off."""
        return self.status == "closed"

    @property
    def is_due(self):
        """应完成: closed, or its deadline in force has passed (the on-time rate's denominator)."""
        return self.is_closed or self.is_past_deadline

    @property
    def is_past_deadline(self):
        """The cut-off day is after the deadline in force."""
        return self.as_of > self.deadline_on


class History:
    """What was recorded about a set of tasks before a cut-off, loaded in seven queries."""

    def __init__(self, cutoff, scope_start):
        """Load the tasks that existed before `cutoff` and were not finished before `scope_start`."""
        self.cutoff = cutoff
        task = RectificationTask
        in_scope = db.select(task).where(
            task.created_at < cutoff,
            db.or_(task.closed_at.is_(None), task.closed_at >= scope_start),
            db.or_(task.cancelled_at.is_(None), task.cancelled_at >= scope_start),
        )
        self.tasks = db.session.scalars(
            in_scope.order_by(task.id).options(selectinload(task.lead_unit), selectinload(task.owner))).all()
        ids = in_scope.with_only_columns(task.id).scalar_subquery()
        self.transitions = _grouped(db.session.execute(
            db.select(AuditEntry.task_id, AuditEntry.created_at, AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.task_id.in_(ids), AuditEntry.to_status.is_not(None))
            .order_by(AuditEntry.created_at, AuditEntry.id)))
        self.extensions = _grouped(db.session.execute(
            # The date the office granted (a partial extension grants less than asked); older rows: the date asked.
            db.select(ExtensionRequest.task_id, ExtensionRequest.decided_at,
                      db.func.coalesce(ExtensionRequest.approved_deadline_on,
                                       ExtensionRequest.requested_deadline_on).label("granted_on"))
            .where(ExtensionRequest.task_id.in_(ids), ExtensionRequest.status == "approved",
                   ExtensionRequest.decided_at < cutoff)
            .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)))
        adjusted = db.session.execute(
            db.select(DeadlineAdjustment.task_id, DeadlineAdjustment.created_at.label("decided_at"),
                      DeadlineAdjustment.new_deadline_on.label("granted_on"))
            .where(DeadlineAdjustment.task_id.in_(ids), DeadlineAdjustment.created_at < cutoff))
        # Extensions and the office's adjustments both replace the deadline, whichever came last.
        for row in adjusted:
            self.extensions[row.task_id].append(row)
        for rows in self.extensions.values():
            rows.sort(key=lambda row: row.decided_at)
        self.dispatches = _grouped(db.session.execute(
            db.select(TaskDispatch.task_id, TaskDispatch.dispatched_at, TaskDispatch.unit_id)
            .where(TaskDispatch.task_id.in_(ids), TaskDispatch.dispatched_at < cutoff)
            .order_by(TaskDispatch.dispatched_at, TaskDispatch.id)))
        unit_ids = {row.unit_id for rows in self.dispatches.values() for row in rows}
        self.units = {unit.id: unit for unit in db.session.scalars(db.select(Unit).where(Unit.id.in_(unit_ids)))}
        self.closeouts = _grouped(db.session.execute(
            db.select(CloseoutRequest.task_id, CloseoutRequest.created_at, CloseoutRequest.decided_at,
                      CloseoutRequest.status, CloseoutRequest.deadline_in_force_on)
            .where(CloseoutRequest.task_id.in_(ids), CloseoutRequest.created_at < cutoff)
            .order_by(CloseoutRequest.created_at, CloseoutRequest.id)))

    def status_at(self, task, moment):
        """The task's status at `moment` (None when it did not exist yet)."""
        if task.created_at >= moment:
            return None
        changes = self.transitions.get(task.id)
        if not changes:
            return _status_without_audit(task, moment)
        status = changes[0].from_status or "draft"
        for change in changes:
            if change.created_at >= moment:
                break
            status = change.to_status
        return status

    def deadline_at(self, task, moment):
        """The deadline in force at `moment`: the latest extension approved before it, else the original."""
        deadline = task.original_deadline_on or task.deadline_on
        for extension in self.extensions.get(task.id, ()):
            if extension.decided_at < moment:
                deadline = extension.granted_on
        return deadline

    def lead_unit_at(self, task, moment):
        """The unit that led the task at `moment`: that of the latest dispatch before it, else the task's own."""
        unit_id = None
        for dispatch in self.dispatches.get(task.id, ()):
            if dispatch.dispatched_at < moment:
                unit_id = dispatch.unit_id
        return self.units.get(unit_id, task.lead_unit)

    def _closeout_at(self, task, moment, statuses):
        """The close-out request made before `moment` that was, at `moment`, pending (or decided as `statuses`)."""
        found = None
        for request_ in self.closeouts.get(task.id, ()):
            if request_.created_at >= moment:
                break
            decided = request_.decided_at is not None and request_.decided_at < moment
            if (not decided and "pending" in statuses) or (decided and request_.status in statuses):
                found = request_
        return found

    def snapshot(self, task, moment, as_of):
        """The task at `moment` judged on the day `as_of`; None when it does not count then."""
        status = self.status_at(task, moment)
        if status is None or status in COUNTED_OUT:
            return None
        deadline = self.deadline_at(task, moment)
        on_time = False
        timely_review = False
        if status == "closed":
            approved = self._closeout_at(task, moment, ("approved",))
            on_time = (_local_day(approved.created_at) <= approved.deadline_in_force_on if approved is not None
                       else lights.is_on_time(task))
        elif status == "pending_review":
            pending = self._closeout_at(task, moment, ("pending",))
            timely_review = (_local_day(pending.created_at) <= pending.deadline_in_force_on if pending is not None
                             else lights.closeout_requested_in_time(task))
        overdue = status not in FINISHED_STATUSES and as_of > deadline and not timely_review
        return TaskAsOf(task=task, status=status, deadline_on=deadline, as_of=as_of, is_overdue=overdue,
                        days_late=(as_of - deadline).days if overdue else 0, is_on_time=on_time,
                        lead_unit=self.lead_unit_at(task, moment))

    def snapshots(self, moment, as_of):
        """Every task that counts at `moment`, judged on `as_of`."""
        found = (self.snapshot(task, moment, as_of) for task in self.tasks)
        return [item for item in found if item is not None]


def _grouped(rows):
    """Rows grouped by their first column (task_id), order kept."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.task_id].append(row)
    return grouped


def _local_day(moment):
    """The local date of a UTC timestamp."""
    return clock.to_local(moment).date()


def _status_without_audit(task, moment):
    """A task with no recorded transitions (made outside the workflow): its timestamps, else its status now."""
    for status, at in (("cancelled", task.cancelled_at), ("closed", task.closed_at)):
        if task.status == status and at is not None:
            return status if at < moment else "in_progress"
    return task.status


def local_midnight(day):
    """The UTC moment a local day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=clock.local_tz())


def short_title(title, limit=TITLE_CHARS):
    """A title cut to `limit` characters with an ellipsis, whitespace runs collapsed."""
    title = " ".join((title or "").split())
    return title if len(title) <= limit else title[: limit - 1] + "…"
