"""Everything the task page shows about one task: timeline, deadline history, people, counts."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import (
    Attachment, AuditEntry, CloseoutRequest, ExtensionRequest, Milestone, ProgressReport, Urge, User,
)
from ..models.activity import ACTIONS
from . import lights

# audit object_type -> (model, timeline kind, the action recorded when such a record is made)
RECORD_TYPES = {
    "progress_report": (ProgressReport, "report", "reported"),
    "urge": (Urge, "urge", "urged"),
    "extension_request": (ExtensionRequest, "extension", "extension_requested"),
    "closeout_request": (CloseoutRequest, "closeout", "closeout_requested"),
    "milestone": (Milestone, "milestone", "milestone_planned"),
}


@dataclass
class TimelineItem:
    """One step on the task's timeline: an audit entry with the record it made, if any."""

    at: datetime
    action: str
    actor: User | None
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    kind: str = "audit"
    record: object = None

    @property
    def label(self):
        """Human label of the step."""
        return ACTIONS.get(self.action, self.action)

    @property
    def changes_status(self):
        """True when the step moved the task from one status to another."""
        return bool(self.from_status and self.to_status and self.from_status != self.to_status)


@dataclass
class DeadlineChange:
    """One deadline in force, since when, set by whom, and why."""

    deadline_on: object
    since: datetime | None
    by: User | None
    note: str | None = None
    is_original: bool = False


@dataclass
class TaskPage:
    """The task page's data, computed here so the template only shows it."""

    state: lights.TaskState
    is_on_time: bool
    timeline: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)
    unit_heads: list = field(default_factory=list)
    urge_count: int = 0
    pending_extension: ExtensionRequest | None = None
    pending_closeout: CloseoutRequest | None = None
    attachment_count: int = 0
    late_milestone_ids: set = field(default_factory=set)


def _records(model, task_id, *options):
    """Every record of one kind on the task, by id."""
    query = db.select(model).where(model.task_id == task_id)
    if options:
        query = query.options(*options)
    return {row.id: row for row in db.session.scalars(query)}


def timeline(task):
    """The task's steps, newest first: each audit entry with its record, plus records no entry points at."""
    # Each record's people loaded with it: the page names them all (a fixed number of queries).
    records = {
        "progress_report": _records(ProgressReport, task.id, selectinload(ProgressReport.attachments),
                                    selectinload(ProgressReport.unit), selectinload(ProgressReport.author)),
        "urge": _records(Urge, task.id, selectinload(Urge.urged_by)),
        "extension_request": _records(ExtensionRequest, task.id, selectinload(ExtensionRequest.requested_by),
                                      selectinload(ExtensionRequest.decided_by)),
        "closeout_request": _records(CloseoutRequest, task.id, selectinload(CloseoutRequest.attachments),
                                     selectinload(CloseoutRequest.requested_by),
                                     selectinload(CloseoutRequest.decided_by)),
        "milestone": _records(Milestone, task.id, selectinload(Milestone.done_by)),
    }
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.task_id == task.id).options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    ).all()
    items, referenced = [], set()
    for entry in entries:
        record = records.get(entry.object_type, {}).get(entry.object_id)
        if record is not None:
            referenced.add((entry.object_type, entry.object_id))
        kind = RECORD_TYPES[entry.object_type][1] if record is not None else "audit"
        items.append(TimelineItem(entry.created_at, entry.action, entry.actor, entry.from_status,
                                  entry.to_status, entry.reason, kind, record))
    # Records made without an audit entry (e.g. loaded by a seed script) still show.
    for object_type, rows in records.items():
        _, kind, action = RECORD_TYPES[object_type]
        for row in rows.values():
            if (object_type, row.id) not in referenced:
                items.append(TimelineItem(row.created_at, action, _author(row), kind=kind, record=row))
    # Steps made in the same instant keep the order they were recorded in.
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (item.at, order[id(item)]), reverse=True)
    return items


def _author(row):
    """Who made a record, whatever the column is called."""
    for name in ("author", "urged_by", "requested_by"):
        if hasattr(row, name):
            return getattr(row, name)
    return None


def deadline_history(task):
    """The original deadline and every approved extension after it, oldest first."""
    changes = [DeadlineChange(task.original_deadline_on, task.dispatched_at or task.created_at, task.created_by,
                              is_original=True)]
    for request_ in task.extension_requests:
        if request_.status == "approved":
            changes.append(DeadlineChange(request_.requested_deadline_on, request_.decided_at, request_.decided_by,
                                          request_.reason))
    return changes


def task_page(task):
    """Everything the task page shows."""
    heads = db.session.scalars(
        db.select(User).where(User.unit_id == task.lead_unit_id, User.role == "unit_head",
                              User.is_active.is_(True)).order_by(User.id)
    ).all()
    urges = db.session.scalar(db.select(db.func.count()).select_from(Urge).where(Urge.task_id == task.id))
    files = db.session.scalar(
        db.select(db.func.count()).select_from(Attachment).where(Attachment.task_id == task.id))
    today = clock.today()
    late = {m.id for m in task.milestones if not m.is_done and m.due_on < today}
    return TaskPage(
        state=lights.task_state(task, today, bool(late)), is_on_time=lights.is_on_time(task),
        timeline=timeline(task), deadlines=deadline_history(task), unit_heads=heads, urge_count=urges,
        pending_extension=task.pending_extension, pending_closeout=task.pending_closeout,
        attachment_count=files, late_milestone_ids=late,
    )
