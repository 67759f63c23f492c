"""督办通知单 and 催办通知单: numbered at dispatch and at each urge, with the date the unit must reply by.

A dispatch notice is issued when a task is dispatched (workflow.dispatch), and again,
under a new 文号, each time the office sends the task to a unit anew after a return:
the reassign step calls `issue_dispatch_notice` as dispatch does. A correction keeps
the 文号: the notice is printed again as the task now stands, marked （更新） with the
date of the last correction (`revised_on`). An urge notice is issued with each urge
and keeps what was late at that moment (`late_items`).

Numbers: documents/numbering.py, per kind and year; tasks dispatched before notices
existed have none.
"""
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ... import clock
from ...extensions import db
from ...models import AuditEntry, SupervisionNotice
from .. import ConflictError, DomainError, office_settings
from ..documents import numbering
from . import lights

SERIES = {"dispatch": "notice_dispatch", "urge": "notice_urge"}
# Audit actions that change what a dispatch notice prints: the office's corrections (deadline, units,
# leader, level: corrections.py) and its changes to milestones (milestone_plans.py).
REVISING_ACTIONS = ("corrected", "milestone_moved", "milestone_removed")
LATEST_REPLY_DAYS = 90  # a reply date further away than this is a typing error
ATTEMPTS = 5


def default_reply_on(today=None):
    """The 回告期限 a notice gets unless the office sets one: NOTICE_REPLY_DAYS calendar days from today."""
    return (today or clock.today()) + timedelta(days=office_settings.value("NOTICE_REPLY_DAYS"))


def checked_reply_on(day):
    """The reply date the office set (or the default), refused when it is past or absurdly far."""
    today = clock.today()
    if day is None:
        return default_reply_on(today)
    if not isinstance(day, date):
        raise DomainError(_("The reply date is not a date."))
    if day < today:
        raise DomainError(_("The reply date %(date)s is in the past.", date=day.isoformat()))
    if day > today + timedelta(days=LATEST_REPLY_DAYS):
        raise DomainError(_("The reply date must be within %(days)d days.", days=LATEST_REPLY_DAYS))
    return day


def issue_dispatch_notice(actor, task, reply_due_on=None):
    """A new 督办通知单 (督办〔YYYY〕N号) for the task's current lead unit; call at every (re)dispatch."""
    return _issue(actor, task, "dispatch", checked_reply_on(reply_due_on))


def issue_urge_notice(actor, task, urge, reply_due_on=None):
    """The 催办通知单 (催办〔YYYY〕N号) of one urge, keeping what is late today."""
    return _issue(actor, task, "urge", checked_reply_on(reply_due_on), urge=urge, late_items=late_items(task))


def _issue(actor, task, kind, reply_due_on, urge=None, late_items=None):
    """Number and insert a notice inside the caller's transaction (the caller commits)."""
    notice = SupervisionNotice(
        kind=kind, year=clock.today().year, task_id=task.id, urge_id=urge.id if urge is not None else None,
        unit_id=task.lead_unit_id, reply_due_on=reply_due_on, late_items=late_items,
        issued_by_id=actor.id if actor is not None else None, issued_at=clock.now(),
    )
    series = SERIES[kind]
    for _attempt in range(ATTEMPTS):
        notice.number = numbering.next_number(series, notice.year)
        try:
            with db.session.begin_nested():
                db.session.add(notice)
        except IntegrityError:
            # The number is held by a notice the counter does not know (e.g. rows restored from a
            # backup without the counters): move the counter past every number held, then retry.
            numbering.skip_past(series, notice.year, _highest(kind, notice.year))
            continue
        return notice
    raise ConflictError(_("No document number could be given. Try again."))


def _highest(kind, year):
    """The highest number held by a notice of `kind` in `year` (0 when none)."""
    return db.session.scalar(db.select(db.func.max(SupervisionNotice.number))
                             .where(SupervisionNotice.kind == kind, SupervisionNotice.year == year)) or 0


def late_items(task, today=None):
    """What is late on the task today, each with the date since when: [{"what", "since", "title"?, "deadline"?}]."""
    today = today or clock.today()
    items = []
    if task.status == "assigned" and task.dispatched_at is not None:
        items.append({"what": "not_accepted", "since": clock.to_local(task.dispatched_at).date().isoformat()})
    if lights.is_overdue(task, today):
        items.append({"what": "overdue", "since": (task.deadline_on + timedelta(days=1)).isoformat(),
                      "deadline": task.deadline_on.isoformat()})
    for milestone in task.milestones:
        if not milestone.is_done and milestone.due_on < today:
            items.append({"what": "milestone", "title": milestone.title,
                          "since": (milestone.due_on + timedelta(days=1)).isoformat()})
    if task.status in lights.REPORTING_STATUSES:
        since = lights.silent_since(task)
        if since is not None and since < lights.silent_cutoff(today):
            items.append({"what": "silent", "since": clock.to_local(since).date().isoformat()})
    return items


def superseded_at(notice):
    """When a later dispatch notice of the task replaced this one (a reassignment), else None."""
    if notice.kind != "dispatch":
        return None
    later = or_(SupervisionNotice.issued_at > notice.issued_at,
                (SupervisionNotice.issued_at == notice.issued_at) & (SupervisionNotice.id > notice.id))
    return db.session.scalar(
        db.select(db.func.min(SupervisionNotice.issued_at))
        .where(SupervisionNotice.task_id == notice.task_id, SupervisionNotice.kind == "dispatch", later))


def revised_on(notice, until=None):
    """For a dispatch notice: the local date of the last correction while it was in force (before `until`)."""
    if notice.kind != "dispatch":
        return None
    query = (db.select(db.func.max(AuditEntry.created_at))
             .where(AuditEntry.task_id == notice.task_id, AuditEntry.action.in_(REVISING_ACTIONS),
                    AuditEntry.created_at > notice.issued_at))
    if until is not None:
        query = query.where(AuditEntry.created_at <= until)
    moment = db.session.scalar(query)
    return clock.to_local(moment).date() if moment is not None else None


def notices_of(task):
    """The task's notices, oldest first, with the units they went to (one statement for the task page)."""
    return db.session.scalars(db.select(SupervisionNotice).where(SupervisionNotice.task_id == task.id)
                              .options(joinedload(SupervisionNotice.unit))
                              .order_by(SupervisionNotice.issued_at, SupervisionNotice.id)).all()


def latest(task, kind):
    """The task's newest notice of `kind` (the one in force for a dispatch notice), or None."""
    return db.session.scalar(
        db.select(SupervisionNotice).where(SupervisionNotice.task_id == task.id, SupervisionNotice.kind == kind)
        .order_by(SupervisionNotice.issued_at.desc(), SupervisionNotice.id.desc()).limit(1))


def get_notice(task, notice_id):
    """One of the task's notices by id, or None."""
    notice = db.session.get(SupervisionNotice, notice_id)
    return notice if notice is not None and notice.task_id == task.id else None
