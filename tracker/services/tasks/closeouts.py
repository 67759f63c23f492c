"""The task lifecycle, part 3a: a close-out request (销号申请) that checks what it claims.

A request states what the rectification achieved (整改成效, at least MIN_STATEMENT
characters), carries evidence files of its own (office setting CLOSEOUT_REQUIRES_EVIDENCE;
files of earlier reports are shown to the reviewer but do not count), answers for every
milestone still open (done now, or why not), explains a percent done below 100, and says
what becomes of an extension request still waiting: withdrawn (an event of its own) or
kept waiting for the office's decision. Nothing is saved unless all of it holds.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Attachment, CloseoutMilestoneNote, CloseoutRequest, Milestone
from .. import DomainError, audit, office_settings
from ..transaction import optional_text, required_text, saving
from . import attachments
from .progress import parse_percent
from .timeline import load_records
from .workflow import authorize, conflict_message, transition, withdraw_extension

MIN_STATEMENT = 20  # characters of 整改成效: "已完成" says nothing a reviewer can check
EXTENSION_CHOICES = ("withdraw", "wait")


@dataclass
class MilestoneAnswer:
    """What the unit says about one open milestone: done (with an optional note), or open with its reason."""

    is_done: bool | None = None  # None: not answered
    note: str | None = None


@dataclass
class CloseoutInput:
    """A close-out request as the unit filled it in."""

    statement: str | None
    percent_done: object = 100
    percent_reason: str | None = None
    milestones: dict = field(default_factory=dict)  # milestone id -> MilestoneAnswer
    extension_choice: str | None = None  # "withdraw" / "wait", asked only while an extension waits
    files: list = field(default_factory=list)


@dataclass
class CloseoutFacts:
    """What the close-out form tells the unit before it asks."""

    open_milestones: list
    pending_extension: object
    earlier_files: list  # files of reports and earlier requests: listed, not counted
    requires_evidence: bool


def form_facts(task):
    """The open milestones, the extension request waiting, the files already on the task, the evidence rule."""
    earlier = db.session.scalars(db.select(Attachment).where(Attachment.task_id == task.id)
                                 .order_by(Attachment.id)).all()
    return CloseoutFacts(open_milestones=[m for m in task.milestones if not m.is_done],
                         pending_extension=task.pending_extension, earlier_files=earlier,
                         requires_evidence=bool(office_settings.value("CLOSEOUT_REQUIRES_EVIDENCE")))


def _checked(task, given):
    """The request's texts and answers, checked; DomainError naming what to do when one is missing."""
    statement = required_text(given.statement, _("Results of the rectification"))
    if len(statement) < MIN_STATEMENT:
        raise DomainError(_("Describe the results of the rectification in at least %(min)d characters (you wrote "
                            "%(n)d): what was done, what changed, how it was checked.",
                            min=MIN_STATEMENT, n=len(statement)))
    percent = parse_percent(given.percent_done)
    reason = optional_text(given.percent_reason, _("Why close-out below 100 percent"))
    if percent < 100 and not reason:
        raise DomainError(_("The task is %(percent)d%% done: say why close-out is asked before it is complete, "
                            "or set the percent done to 100.", percent=percent))
    answers = []
    for milestone in task.milestones:
        if milestone.is_done:
            continue
        answer = given.milestones.get(milestone.id) or MilestoneAnswer()
        note = optional_text(answer.note, _("Milestone note"))
        if answer.is_done is None:
            raise DomainError(_("Say for the milestone “%(title)s” whether it is done, or why it is not.",
                                title=milestone.title))
        if not answer.is_done and not note:
            raise DomainError(_("The milestone “%(title)s” is not done: write why, so the office can judge the "
                                "close-out.", title=milestone.title))
        answers.append((milestone, answer.is_done, note))
    choice = None
    pending = task.pending_extension
    if pending is not None:
        choice = given.extension_choice
        if choice not in EXTENSION_CHOICES:
            raise DomainError(_("Your extension request to %(date)s is still waiting for a decision: choose whether "
                                "to withdraw it or to keep it waiting.",
                                date=pending.requested_deadline_on.isoformat()))
    return statement, percent, reason, answers, choice


def request_closeout(actor, task, given, version=None):
    """The lead unit's head asks for close-out with its results, its own evidence and an answer for each open item.

    The request date is kept: a task asked to be closed out on or before its
    deadline is not overdue while under review, and counts as on time once approved.
    """
    authorize(actor, "request_closeout", task, version)
    statement, percent, reason, answers, choice = _checked(task, given)
    staged = attachments.stage(given.files)
    if not staged and office_settings.value("CLOSEOUT_REQUIRES_EVIDENCE"):
        raise DomainError(_("Attach at least one evidence file to this request (acceptance record, photos before "
                            "and after, documents). Files of earlier progress reports are shown to the office but "
                            "do not count."))
    with saving(cleanup=lambda: attachments.discard(staged), conflict=conflict_message,
                after_commit=lambda: attachments.place(staged)):
        now = clock.now()
        request_ = CloseoutRequest(task=task, requested_by_id=actor.id, summary=statement,
                                   deadline_in_force_on=task.deadline_on, status="pending", created_at=now,
                                   percent_done=percent, percent_reason=reason, extension_choice=choice)
        db.session.add(request_)
        db.session.flush()
        attachments.attach(staged, task, actor, closeout_request=request_)
        for milestone, is_done, note in answers:
            if is_done:
                _mark_done(actor, task, milestone, note or _("Done, as stated in the close-out request."), now)
            db.session.add(CloseoutMilestoneNote(closeout_request=request_, milestone_id=milestone.id,
                                                 is_done=is_done, note=note or ""))
        if choice == "withdraw":
            withdraw_extension(actor, task, _("Withdrawn by the unit with its close-out request."))
        task.percent_done = percent  # the lead unit's own statement, as a report of its would set it
        task.closeout_requested_at = now
        transition(actor, task, "closeout_requested", "pending_review", statement, request_)
    return request_


def _mark_done(actor, task, milestone, note, now):
    """Mark an open milestone done as part of the request (audited as the milestone page would)."""
    marked = db.session.execute(
        db.update(Milestone).where(Milestone.id == milestone.id, Milestone.done_at.is_(None))
        .values(done_at=now, done_note=note, done_by_id=actor.id).execution_options(synchronize_session="fetch")
    ).rowcount
    if marked != 1:
        raise DomainError(conflict_message())
    db.session.refresh(milestone)
    reason = f"{milestone.title}: {note}"
    audit.record(actor, task, "milestone_done", task.status, task.status, reason, milestone)


@dataclass
class EvidenceFile:
    """One file of the task on the review page: where it came from, and whether the request under review brought it."""

    file: Attachment
    is_own: bool
    report: object = None  # the progress report it came with
    closeout_request: object = None  # or the (earlier) close-out request


@dataclass
class ReviewSummary:
    """What the office sees above its decision on a close-out request."""

    request: CloseoutRequest
    percent_done: int
    milestones: list  # (milestone, CloseoutMilestoneNote or None), by due date
    done_count: int
    open_count: int
    report_count: int
    last_report: object
    files: list  # EvidenceFile, oldest first
    own_file_count: int
    urges: list  # oldest first
    extensions: list  # oldest first
    pending_extension: object


def review_summary(task):
    """Percent done, milestones with the request's reasons, reports, every file (its own marked), urges, extensions."""
    request_ = task.pending_closeout
    records = load_records(task)
    notes = {note.milestone_id: note for note in db.session.scalars(
        db.select(CloseoutMilestoneNote).where(CloseoutMilestoneNote.closeout_request_id == request_.id))}
    milestones = [(milestone, notes.get(milestone.id)) for milestone in task.milestones]
    reports = sorted(records.by_type["progress_report"].values(), key=lambda report: (report.created_at, report.id))
    reports_by_id, requests_by_id = records.by_type["progress_report"], records.by_type["closeout_request"]
    files = [EvidenceFile(file, file.closeout_request_id == request_.id, reports_by_id.get(file.report_id),
                          requests_by_id.get(file.closeout_request_id))
             for file in db.session.scalars(db.select(Attachment).where(Attachment.task_id == task.id)
                                            .order_by(Attachment.id))]
    done = sum(1 for milestone, _note in milestones if milestone.is_done)
    return ReviewSummary(
        request=request_, percent_done=task.percent_done, milestones=milestones, done_count=done,
        open_count=len(milestones) - done, report_count=len(reports), last_report=reports[-1] if reports else None,
        files=files, own_file_count=sum(1 for item in files if item.is_own),
        urges=list(records.by_type["urge"].values()), extensions=list(records.by_type["extension_request"].values()),
        pending_extension=task.pending_extension)
