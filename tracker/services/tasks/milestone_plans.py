"""The office's milestones (时间节点): planned with a new task, added, moved or deleted later.

The lead unit still plans its own (progress.plan_milestone) once it has accepted.
A milestone already done is a record of work and is never moved or deleted; moving
or deleting an open one is audited with what it was.
"""
import re
from datetime import date

from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Milestone
from .. import DomainError, audit
from ..messaging.notifications import notify_task_event
from ..transaction import required_text, saving
from .workflow import authorize, claim_form_token, conflict_message

TITLE_LENGTH = Milestone.__table__.c.title.type.length
LINE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s+(.+?)\s*$")


def parse_plan(text):
    """Milestones typed one a line, "2026-07-31 完成整改方案": a list of (due_on, title); DomainError on a bad line."""
    plan = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        found = LINE.match(line)
        due_on = None
        if found:
            try:
                due_on = date(int(found[1]), int(found[2]), int(found[3]))
            except ValueError:
                due_on = None
        if due_on is None:
            raise DomainError(_("Milestone line %(number)d is not “date title”, e.g. “2026-07-31 完成整改方案”.",
                                number=number))
        plan.append((due_on, found[4]))
    return plan


def check(due_on, title, deadline_on):
    """A milestone's cleaned title; DomainError when its date is missing, past, or after the deadline."""
    title = required_text(title, _("Milestone"), TITLE_LENGTH)
    if due_on is None:
        raise DomainError(_("The milestone needs a due date."))
    if due_on < clock.today():
        raise DomainError(_("The due date %(date)s is in the past.", date=due_on.isoformat()))
    if due_on > deadline_on:
        raise DomainError(_("The due date %(date)s is after the task's deadline %(deadline)s.",
                            date=due_on.isoformat(), deadline=deadline_on.isoformat()))
    return title


def plan_with_task(actor, task, plan):
    """Add a new task's planned milestones (inside the caller's transaction), each audited."""
    for due_on, title in plan:
        title = check(due_on, title, task.deadline_on)
        milestone = Milestone(task_id=task.id, title=title, due_on=due_on, created_at=clock.now())
        db.session.add(milestone)
        db.session.flush()
        audit.record(actor, task, "milestone_planned", task.status, task.status,
                     f"{due_on.isoformat()} {title}", milestone)


def add(actor, task, title, due_on, form_token=None):
    """The office adds a milestone to a task at any open stage."""
    return plan(actor, task, "add_milestone", "milestone_changed", title, due_on, form_token)


def plan(actor, task, action, event, title, due_on, form_token=None):
    """A milestone planned by the office (`add_milestone`) or the lead unit (`plan_milestone`), told as `event`."""
    with saving(conflict=conflict_message):
        authorize(actor, action, task)
        title = check(due_on, title, task.deadline_on)
        if form_token is not None:
            claim_form_token(actor, form_token)
        milestone = Milestone(task_id=task.id, title=title, due_on=due_on, created_at=clock.now())
        db.session.add(milestone)
        db.session.flush()
        text = f"{due_on.isoformat()} {title}"
        audit.record(actor, task, "milestone_planned", task.status, task.status, text, milestone)
        notify_task_event(task, event, actor, body=text)
    return milestone


def move(actor, task, milestone, title, due_on):
    """The office moves an open milestone to another date (or renames it)."""
    with saving(conflict=conflict_message):
        authorize(actor, "change_milestone", task)
        _still_open(milestone)
        title = check(due_on, title, task.deadline_on)
        if (title, due_on) == (milestone.title, milestone.due_on):
            raise DomainError(_("Nothing was changed. Change the date or the title, or go back to the task."))
        text = f"{milestone.due_on.isoformat()} {milestone.title} → {due_on.isoformat()} {title}"
        milestone.title, milestone.due_on = title, due_on
        db.session.flush()
        audit.record(actor, task, "milestone_moved", task.status, task.status, text, milestone)
        notify_task_event(task, "milestone_changed", actor, body=text)
    return milestone


def remove(actor, task, milestone):
    """The office deletes an open milestone; the audit entry keeps what it was."""
    with saving(conflict=conflict_message):
        authorize(actor, "change_milestone", task)
        _still_open(milestone)
        text = f"{milestone.due_on.isoformat()} {milestone.title}"
        db.session.delete(milestone)
        db.session.flush()
        audit.record(actor, task, "milestone_removed", task.status, task.status, text)
        notify_task_event(task, "milestone_changed", actor, body=text)


def _still_open(milestone):
    """DomainError for a milestone already done: it is a record of work."""
    if milestone.is_done:
        raise DomainError(_("This milestone was already marked done; it stays on record as it was delivered."))
