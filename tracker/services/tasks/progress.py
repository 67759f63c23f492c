"""The task lifecycle, part 2: progress reports with evidence, and milestones (时间节点)."""
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Milestone, ProgressReport
from .. import DomainError, audit
from ..messaging.notifications import notify_task_event
from ..transaction import required_text, saving
from . import attachments, milestone_plans
from .workflow import authorize, claim_form_token, conflict_message

MAX_REPORT = 20000


def parse_percent(value):
    """A whole percentage 0–100, or DomainError."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Percent done must be a whole number from 0 to 100.")) from None
    if not 0 <= value <= 100:
        raise DomainError(_("Percent done must be a whole number from 0 to 100."))
    return value


def report_progress(actor, task, body, percent_done, files=(), form_token=None):
    """进展报送: the lead unit reports on the task, a co-unit on its part, with evidence files.

    Only the lead unit's report sets the task's percent done; any report counts as
    a report for the traffic light. A second submission of the same form saves nothing.
    """
    authorize(actor, "report", task)
    body = required_text(body, _("Progress"), MAX_REPORT)
    percent_done = parse_percent(percent_done)
    staged = attachments.stage(files)
    with saving(cleanup=lambda: attachments.discard(staged), conflict=conflict_message,
                after_commit=lambda: attachments.place(staged)):
        if form_token is not None:
            claim_form_token(actor, form_token)
        now = clock.now()
        report = ProgressReport(task_id=task.id, unit_id=actor.unit_id, author_id=actor.id, body=body,
                                percent_done=percent_done, created_at=now)
        db.session.add(report)
        db.session.flush()
        attachments.attach(staged, task, actor, report=report)
        task.last_reported_at = now
        if actor.unit_id == task.lead_unit_id:
            task.percent_done = percent_done
        db.session.flush()
        summary = _("%(unit)s: %(percent)d%%", unit=actor.unit.name, percent=percent_done)
        audit.record(actor, task, "reported", task.status, task.status, summary, report)
        notify_task_event(task, "reported", actor, body=summary)
    return report


def plan_milestone(actor, task, title, due_on, form_token=None):
    """The lead unit plans a milestone: a deliverable due on a date between today and the deadline."""
    return milestone_plans.plan(actor, task, "plan_milestone", "milestone_planned", title, due_on, form_token)


def get_milestone(task, milestone_id):
    """The task's milestone with this id, or None."""
    milestone = db.session.get(Milestone, milestone_id)
    return milestone if milestone is not None and milestone.task_id == task.id else None


def complete_milestone(actor, task, milestone, note):
    """The lead unit marks a milestone done, saying what was delivered."""
    with saving(conflict=conflict_message):
        authorize(actor, "complete_milestone", task)
        if milestone.is_done:
            raise DomainError(_("This milestone was already marked done."))
        note = required_text(note, _("Note"))
        # Only if still open at write time: two people marking it at once must not overwrite each other's note.
        marked = db.session.execute(
            db.update(Milestone).where(Milestone.id == milestone.id, Milestone.done_at.is_(None))
            .values(done_at=clock.now(), done_note=note, done_by_id=actor.id)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if marked != 1:
            raise DomainError(_("This milestone was already marked done."))
        db.session.refresh(milestone)
        reason = f"{milestone.title}: {note}"
        audit.record(actor, task, "milestone_done", task.status, task.status, reason, milestone)
        notify_task_event(task, "milestone_done", actor, body=reason)
    return milestone
