"""Everything the task page shows about one task: timeline, deadline history, people, counts."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ... import clock
from ...extensions import db
from ...models import (
    Attachment,
    AuditEntry,
    CloseoutRequest,
    DeadlineAdjustment,
    ExtensionRequest,
    IndicatorResult,
    Milestone,
    ProgressReport,
    TaskReturn,
    Unit,
    Urge,
    User,
)
from ...models.activity import ACTIONS
from ...models.task import task_co_units
from ...models.user import UNIT_HEAD
from . import lights

# audit object_type -> (model, timeline kind, the action recorded when such a record is made)
RECORD_TYPES = {
    "progress_report": (ProgressReport, "report", "reported"),
    "urge": (Urge, "urge", "urged"),
    "extension_request": (ExtensionRequest, "extension", "extension_requested"),
    "closeout_request": (CloseoutRequest, "closeout", "closeout_requested"),
    "milestone": (Milestone, "milestone", "milestone_planned"),
    "task_return": (TaskReturn, "return", "returned"),
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
    asked_on: object = None  # the date the unit asked for, when the office granted another
    is_adjustment: bool = False  # moved by the office (调整), not an extension the unit asked for

    @property
    def is_partial(self):
        """An extension approved to an earlier date than asked."""
        return self.asked_on is not None and self.asked_on != self.deadline_on


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
    returned_closeout: CloseoutRequest | None = None  # the last close-out request, returned, while work goes on
    pending_return: TaskReturn | None = None  # 申请调整 waiting for the office's answer


# The to-one relationships naming a person on the task and its records; each is read through the
# column of the same name with "_id" (author -> author_id).
PEOPLE = ("responsible_leader", "owner", "created_by", "author", "urged_by", "requested_by", "decided_by",
          "done_by", "actor", "adjusted_by")


@dataclass
class TaskRecords:
    """What a task's history is made of, loaded with every person, unit and file it names."""

    by_type: dict  # audit object type -> record id -> record, in id order
    entries: list  # audit entries, oldest first
    file_count: int
    unit_heads: list  # the lead unit's active heads (第一责任人), by id
    adjustments: list = field(default_factory=list)  # the office's deadline adjustments, oldest first


def load_records(task):
    """The task's records, audit entries and files, in a fixed number of statements whatever its history.

    Loaded relationship by relationship, each kind of record fetched its people, units and files in
    statements of its own, and the page then loaded the task's milestones and requests a second time
    (task.milestones; the permission checks of its buttons read task.pending_extension): 23 statements
    a view. Instead everyone the page names (and the lead unit's heads) comes in one statement, every
    unit in one, every file in one, and each record and the task are handed what they point at.
    """
    by_type = {object_type: {row.id: row for row in db.session.scalars(
                   db.select(model).where(model.task_id == task.id).order_by(model.id))}
               for object_type, (model, _, _) in RECORD_TYPES.items()}
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.task_id == task.id)
                                 .order_by(AuditEntry.created_at, AuditEntry.id)).all()
    adjustments = db.session.scalars(db.select(DeadlineAdjustment).where(DeadlineAdjustment.task_id == task.id)
                                     .order_by(DeadlineAdjustment.id)).all()
    rows = [row for records in by_type.values() for row in records.values()] + list(adjustments)
    people, unit_heads = _people(task, rows, entries)
    _hand_out(rows + list(entries) + [task], PEOPLE, people)
    _hand_out_units(task, by_type["progress_report"].values())
    _hand_out_indicator_result(task)
    file_count = _hand_out_files(task, by_type)
    milestones = sorted(by_type["milestone"].values(), key=lambda milestone: (milestone.due_on, milestone.id))
    set_committed_value(task, "milestones", milestones)
    set_committed_value(task, "extension_requests", list(by_type["extension_request"].values()))
    set_committed_value(task, "closeout_requests", list(by_type["closeout_request"].values()))
    return TaskRecords(by_type, entries, file_count, unit_heads, adjustments)


def _people(task, rows, entries):
    """(id -> User for everyone the task, its records and audit entries name; the lead unit's heads), one statement."""
    ids = {getattr(row, name + "_id", None) for row in [task, *rows, *entries] for name in PEOPLE}
    ids.discard(None)
    is_head = and_(User.unit_id == task.lead_unit_id, User.role == UNIT_HEAD, User.is_active.is_(True))
    found = db.session.execute(
        db.select(User, is_head).where(or_(User.id.in_(ids), is_head)).order_by(User.id)).all()
    return {user.id: user for user, _ in found}, [user for user, head in found if head]


def _hand_out(rows, names, by_id):
    """Set each row's to-one relationships among `names` to the object its `<name>_id` column points at."""
    for row in rows:
        for name in names:
            if hasattr(row, name + "_id"):
                set_committed_value(row, name, by_id.get(getattr(row, name + "_id")))


def _hand_out_units(task, reports):
    """The lead unit, the co-organizing units and the reporting units, in one statement."""
    co_units = db.select(task_co_units.c.unit_id).where(task_co_units.c.task_id == task.id)
    wanted = {task.lead_unit_id} | {report.unit_id for report in reports}
    found = db.session.execute(db.select(Unit, Unit.id.in_(co_units))
                               .where(or_(Unit.id.in_(wanted), Unit.id.in_(co_units))).order_by(Unit.id)).all()
    units = {unit.id: unit for unit, _ in found}
    _hand_out([task], ("lead_unit",), units)
    _hand_out(reports, ("unit",), units)
    set_committed_value(task, "co_units", [unit for unit, is_co_unit in found if is_co_unit])


def _hand_out_indicator_result(task):
    """The indicator result the task was made from, with its indicator and period, in one statement."""
    if task.indicator_result_id is None:
        return
    result = db.session.scalars(
        db.select(IndicatorResult).where(IndicatorResult.id == task.indicator_result_id)
        .options(joinedload(IndicatorResult.indicator), joinedload(IndicatorResult.period))).one()
    set_committed_value(task, "indicator_result", result)


def _hand_out_files(task, by_type):
    """Every file of the task in one statement, handed to its report or close-out request; how many there are."""
    files = db.session.scalars(
        db.select(Attachment).where(Attachment.task_id == task.id).order_by(Attachment.id)).all()
    for object_type, column in (("progress_report", "report_id"), ("closeout_request", "closeout_request_id")):
        owned = {}
        for file in files:
            owned.setdefault(getattr(file, column), []).append(file)
        for record in by_type[object_type].values():
            set_committed_value(record, "attachments", owned.get(record.id, []))
    return len(files)


def timeline(task, records=None):
    """The task's steps, newest first: each audit entry with its record, plus records no entry points at."""
    if records is None:
        records = load_records(task)
    items, referenced = [], set()
    for entry in records.entries:
        record = records.by_type.get(entry.object_type, {}).get(entry.object_id)
        if record is not None:
            referenced.add((entry.object_type, entry.object_id))
        kind = RECORD_TYPES[entry.object_type][1] if record is not None else "audit"
        items.append(TimelineItem(entry.created_at, entry.action, entry.actor, entry.from_status,
                                  entry.to_status, entry.reason, kind, record))
    # Records made without an audit entry (e.g. loaded by a seed script) still show.
    for object_type, rows in records.by_type.items():
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


def deadline_history(task, adjustments=None):
    """The original deadline, then every approved extension and every adjustment by the office, oldest first."""
    if adjustments is None:
        adjustments = db.session.scalars(db.select(DeadlineAdjustment).where(DeadlineAdjustment.task_id == task.id)
                                         .order_by(DeadlineAdjustment.id)).all()
    changes = []
    for request_ in task.extension_requests:
        if request_.status == "approved":
            changes.append(DeadlineChange(request_.granted_deadline_on, request_.decided_at, request_.decided_by,
                                          request_.reason, asked_on=request_.requested_deadline_on))
    changes += [DeadlineChange(item.new_deadline_on, item.created_at, item.adjusted_by, item.reason,
                               is_adjustment=True) for item in adjustments]
    changes.sort(key=lambda change: change.since)
    original = DeadlineChange(task.original_deadline_on, task.dispatched_at or task.created_at, task.created_by,
                              is_original=True)
    return [original, *changes]


def task_page(task):
    """Everything the task page shows."""
    records = load_records(task)
    today = clock.today()
    late = {m.id for m in task.milestones if not m.is_done and m.due_on < today}
    return TaskPage(
        state=lights.task_state(task, today, bool(late)), is_on_time=lights.is_on_time(task),
        timeline=timeline(task, records), deadlines=deadline_history(task, records.adjustments),
        unit_heads=records.unit_heads,
        urge_count=len(records.by_type["urge"]), pending_extension=task.pending_extension,
        pending_closeout=task.pending_closeout, attachment_count=records.file_count, late_milestone_ids=late,
        returned_closeout=returned_closeout(task), pending_return=_pending_return(records),
    )


def _pending_return(records):
    """The task's return waiting for the office, from the records already loaded."""
    return next((item for item in records.by_type["task_return"].values() if item.status == "pending"), None)


def returned_closeout(task):
    """The close-out request the office returned, while the task is back in progress; else None."""
    last = task.closeout_requests[-1] if task.closeout_requests else None
    if task.status == "in_progress" and last is not None and last.status == "rejected":
        return last
    return None
