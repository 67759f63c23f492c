"""What a ledger row sums up of each task's records: milestones, urges, extensions, close-out, last report.

Each lookup is one statement for all the ledger's tasks (`ids`: a select of their ids), so an
export of 10,000 rows runs as many statements as one of 10.
"""
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import case, func

from ...extensions import db
from ...models import CloseoutRequest, ExtensionRequest, Milestone, ProgressReport, Urge
from ...models.task import REQUEST_STATUSES

DECIDED = ("approved", "rejected")


@dataclass
class TaskRecords:
    """One task's records, counted."""

    milestones_done: int = 0
    milestones_total: int = 0
    next_milestone_on: date | None = None  # the earliest open milestone's due date
    has_late_milestone: bool = False
    urges: int = 0
    last_urge_at: datetime | None = None
    extensions: int = 0
    extension_decision: str = ""  # the latest request: its status and the date asked
    report_at: datetime | None = None
    report_body: str = ""
    closeout_statement: str = ""  # the latest close-out request's statement
    review_opinion: str = ""  # the latest decided close-out request: its decision and note


def gather(ids, today):
    """task id -> TaskRecords for every task in `ids` (tasks without records get an empty one on lookup)."""
    found = {}

    def of(task_id):
        """The records of one task, made on first use."""
        return found.setdefault(task_id, TaskRecords())

    _milestones(ids, today, of)
    for task_id, count, last in db.session.execute(
            db.select(Urge.task_id, func.count(), func.max(Urge.created_at))
            .where(Urge.task_id.in_(ids)).group_by(Urge.task_id)):
        of(task_id).urges, of(task_id).last_urge_at = count, last
    _extensions(ids, of)
    _closeouts(ids, of)
    for task_id, created_at, body in _last_reports(ids):
        of(task_id).report_at, of(task_id).report_body = created_at, body
    return found


def _milestones(ids, today, of):
    """Done and planned milestones, the next one due, and whether one is late."""
    is_open = Milestone.done_at.is_(None)
    rows = db.session.execute(
        db.select(Milestone.task_id, func.count(), func.sum(case((is_open, 0), else_=1)),
                  func.min(case((is_open, Milestone.due_on))),
                  func.max(case((is_open & (Milestone.due_on < today), 1), else_=0)))
        .where(Milestone.task_id.in_(ids)).group_by(Milestone.task_id))
    for task_id, total, done, next_on, late in rows:
        records = of(task_id)
        records.milestones_total, records.milestones_done = total, int(done or 0)
        records.next_milestone_on, records.has_late_milestone = next_on, bool(late)


def _extensions(ids, of):
    """How many extension requests, and what became of the latest."""
    rows = db.session.execute(
        db.select(ExtensionRequest.task_id, ExtensionRequest.status, ExtensionRequest.requested_deadline_on)
        .where(ExtensionRequest.task_id.in_(ids)).order_by(ExtensionRequest.task_id, ExtensionRequest.id))
    for task_id, status, asked_on in rows:
        records = of(task_id)
        records.extensions += 1
        records.extension_decision = _("%(status)s, asked for %(date)s",
                                       status=REQUEST_STATUSES.get(status, status), date=asked_on.isoformat())


def _closeouts(ids, of):
    """The latest close-out statement, and the latest review opinion."""
    rows = db.session.execute(
        db.select(CloseoutRequest.task_id, CloseoutRequest.summary, CloseoutRequest.status,
                  CloseoutRequest.decision_note)
        .where(CloseoutRequest.task_id.in_(ids)).order_by(CloseoutRequest.task_id, CloseoutRequest.id))
    for task_id, summary, status, note in rows:
        records = of(task_id)
        records.closeout_statement = summary or ""
        if status in DECIDED:
            decision = str(REQUEST_STATUSES[status])
            records.review_opinion = _("%(decision)s: %(note)s", decision=decision, note=note) if note else decision


def _last_reports(ids):
    """(task id, created_at, body) of each task's latest progress report."""
    report = ProgressReport
    ranked = db.select(
        report.task_id, report.created_at, report.body,
        func.row_number().over(partition_by=report.task_id,
                               order_by=(report.created_at.desc(), report.id.desc())).label("n"),
    ).where(report.task_id.in_(ids)).subquery()
    return db.session.execute(db.select(ranked.c.task_id, ranked.c.created_at, ranked.c.body).where(ranked.c.n == 1))
