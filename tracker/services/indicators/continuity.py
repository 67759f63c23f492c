"""Continuity across periods: the tasks that answer an indicator in a period, and 回头看.

The data model (README, Indicators across periods):

- a task is made for one result (``RectificationTask.indicator_result_id``, its origin period);
- it answers its indicator until it is closed: an open task shows on the board, the dashboard
  and bulletin section 4 of every period of its indicator, marked with the period it came from
  when that is another one ("carried"), and counts in that period's figures for the indicator;
- when the office generates a task for a result whose indicator already has an open task with
  the same lead unit, it may link the new result to that task instead (``TaskResultLink``);
  the link is the office's decision that the existing task answers the new period too.

Per period: which indicators are weak, ranks, points lost. Per indicator: the open tasks
(the same task counts in every period it answers, so totals summed over periods count a
carried task more than once; the board says so).

回头看 (recheck), derived every time from the data, never stored: a closed task whose
indicator has a result in a later period than the task's origin is judged against that
period's assessment (hand marks included): still weak → ``no_effect`` (整改成效未显现);
not weak and ranked better than when the task was made → ``effective`` (成效明显); neither
otherwise. On a board it is judged against the board's period; on the task, the dashboard and
the bulletin against the latest later period.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import case

from ... import clock, permissions
from ...extensions import db
from ...models import AssessmentPeriod, IndicatorResult, RectificationTask, TaskResultLink
from ...models.task import OPEN_STATUSES, RECHECKS, STATUSES  # noqa: F401 (RECHECKS: read from here too)
from .. import DomainError, audit, transaction
from ..messaging import notifications
from ..tasks import drafts
from . import weakness
from .results_import import require_office


@dataclass(frozen=True)
class AnsweringTask:
    """A task that answers an indicator in a period, as the board and the bulletin name it."""

    id: int
    code: str | None
    title: str
    status: str
    lead_unit_id: int
    deadline_on: date
    origin_period_id: int
    origin_period_name: str
    origin_rank: int | None
    origin_ends_on: date
    carried: bool  # made in another period than the one shown
    linked: bool  # the office linked this period's result to it
    visible: bool = True

    @property
    def status_label(self):
        """Human label of the status."""
        return str(STATUSES.get(self.status, self.status))


def answering_tasks(period, user=None, statuses=OPEN_STATUSES, indicator_ids=None):
    """indicator id → the tasks (in `statuses`) answering it in `period`, whatever period they were made in.

    One statement: the tasks of the period's indicators, with their origin period and whether the
    office linked this period's result to them; `visible` says whether `user` may open each.
    """
    T, R, P = RectificationTask, IndicatorResult, AssessmentPeriod
    here = db.select(R.indicator_id).where(R.period_id == period.id)
    if indicator_ids is not None:
        here = here.where(R.indicator_id.in_(indicator_ids))
    linked = db.select(TaskResultLink.task_id).join(R, TaskResultLink.result_id == R.id) \
        .where(R.period_id == period.id)
    visible = case((permissions.visible_tasks_clause(user), True), else_=False) if user is not None else db.true()
    rows = db.session.execute(
        db.select(R.indicator_id, T.id, T.code, T.title, T.status, T.lead_unit_id, T.deadline_on, P.id, P.name,
                  R.rank, P.ends_on, T.id.in_(linked), visible)
        .join(R, T.indicator_result_id == R.id).join(P, R.period_id == P.id)
        .where(R.indicator_id.in_(here), T.status.in_(statuses))
        .order_by(P.ends_on, T.id))
    found = {}
    for indicator_id, *values, is_linked, is_visible in rows:
        task = AnsweringTask(*values, carried=values[6] != period.id, linked=bool(is_linked),
                             visible=bool(is_visible))
        found.setdefault(indicator_id, []).append(task)
    return found


def open_by_lead_unit(indicator_id, lead_unit_id):
    """The open tasks of an indicator (any period) led by this unit: what a new task would duplicate."""
    T, R = RectificationTask, IndicatorResult
    return db.session.scalars(
        db.select(T).join(R, T.indicator_result_id == R.id)
        .where(R.indicator_id == indicator_id, T.lead_unit_id == lead_unit_id, T.status.in_(OPEN_STATUSES))
        .order_by(T.id)).all()


def recheck_for(task, assessment):
    """回头看 of one closed task against a later period's assessment: "no_effect", "effective" or None."""
    if task.status != "closed":
        return None
    return mark_against(assessment, task.origin_rank)


def mark_against(assessment, origin_rank):
    """Still weak → no_effect; not weak and ranked better than at the origin → effective; else None."""
    if assessment.is_weak:
        return "no_effect"
    rank = assessment.result.rank
    if rank is not None and origin_rank is not None and rank < origin_rank:
        return "effective"
    return None


def board_rechecks(period, assessments, answering):
    """indicator id → [(closed task, mark)] for the closed tasks made in earlier periods, judged against `period`.

    `answering`: what answering_tasks returned for the period with "closed" among the statuses.
    """
    by_indicator = {item.indicator.id: item for item in assessments}
    marks = {}
    for indicator_id, tasks in answering.items():
        item = by_indicator.get(indicator_id)
        if item is None:
            continue
        for task in tasks:
            if task.status == "closed" and task.origin_ends_on < period.ends_on:
                marks.setdefault(indicator_id, []).append((task, recheck_for(task, item)))
    return marks


def indicator_recheck(marks):
    """One mark for an indicator from its closed tasks' marks: no_effect wins, then effective, else None."""
    codes = {mark for _task, mark in marks}
    return "no_effect" if "no_effect" in codes else "effective" if "effective" in codes else None


def latest_recheck(task):
    """(mark, period) of a closed task against the latest later period of its indicator, or (None, None)."""
    if task.status != "closed" or task.indicator_result_id is None:
        return None, None
    origin = db.session.get(IndicatorResult, task.indicator_result_id)
    later = db.session.scalar(
        db.select(AssessmentPeriod).join(IndicatorResult, IndicatorResult.period_id == AssessmentPeriod.id)
        .where(IndicatorResult.indicator_id == origin.indicator_id,
               AssessmentPeriod.ends_on > origin.period.ends_on)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id.desc()).limit(1))
    if later is None:
        return None, None
    result = db.session.scalar(db.select(IndicatorResult).where(
        IndicatorResult.period_id == later.id, IndicatorResult.indicator_id == origin.indicator_id))
    assessment = weakness.assess(result, later, mark=weakness.hand_marks([result.id]).get(result.id))
    return mark_against(assessment, origin.rank), later


def link(actor, task, result):
    """Record that the open `task` answers `result` (a later period of its indicator) too; audited, notified.

    Called inside the caller's transaction (the generate batch); the office may then revise the
    task's deadline and measures on the task itself.
    """
    require_office(actor)
    if task is None or task.status not in OPEN_STATUSES:
        raise DomainError(_("Only an open task can be linked to a new period's result."))
    origin = db.session.get(IndicatorResult, task.indicator_result_id) if task.indicator_result_id else None
    if origin is None or origin.indicator_id != result.indicator_id:
        raise DomainError(_("%(code)s is a task of another indicator; it cannot answer %(name)s.",
                            code=task.code, name=result.indicator.name))
    if origin.id == result.id or db.session.scalar(db.select(TaskResultLink.id).where(
            TaskResultLink.task_id == task.id, TaskResultLink.result_id == result.id)):
        raise DomainError(_("%(code)s already answers %(period)s.", code=task.code, period=result.period.name))
    db.session.add(TaskResultLink(task_id=task.id, result_id=result.id, created_by_id=actor.id,
                                  created_at=clock.now()))
    detail = _("Also answers %(period)s · %(name)s (rank %(rank)s of %(peers)s)", period=result.period.name,
               name=result.indicator.name, rank=result.rank, peers=result.peer_count)
    audit.record(actor, task, "result_linked", task.status, task.status, detail)
    notifications.notify_task_event(task, "result_linked", actor, body=detail)


def follow_up(actor, task):
    """A draft follow-up task for a closed task (回头看: the indicator did not improve), linked to it.

    Made for the indicator's latest result (the period that judged the closed task), with the
    closed task's units, leader and measures, and a deadline of that period's default; the office
    edits and dispatches it like any draft. Audited on both tasks.
    """
    require_office(actor)
    if task.status != "closed":
        raise DomainError(_("Only a closed task gets a follow-up task; this one is still open."))
    mark, later = latest_recheck(task)
    origin = db.session.get(IndicatorResult, task.indicator_result_id) if task.indicator_result_id else None
    result = origin
    if later is not None:
        result = db.session.scalar(db.select(IndicatorResult).where(
            IndicatorResult.period_id == later.id, IndicatorResult.indicator_id == origin.indicator_id))
    period = result.period if result is not None else None
    problem = task.problem or ""
    if mark == "no_effect":
        problem = _("Recheck: in %(period)s %(name)s is still weak (rank %(rank)s of %(peers)s) after %(code)s "
                    "was closed.", period=period.name, name=result.indicator.name, rank=result.rank,
                    peers=result.peer_count, code=task.code) + ("\n" + problem if problem else "")
    draft = drafts.TaskDraft(
        title=_("%(title)s (follow-up)", title=task.title)[:300], problem=problem, measures=task.measures,
        source=task.source, source_detail=task.source_detail, lead_unit_id=task.lead_unit_id,
        co_unit_ids=[unit.id for unit in task.co_units], responsible_leader_id=task.responsible_leader_id,
        supervision_level=task.supervision_level,
        deadline_on=clock.today() + timedelta(days=period.default_deadline_days if period else 60),
        period_id=result.period_id if result else task.period_id, indicator_result_id=result.id if result else None,
        follow_up_of_id=task.id)
    # One transaction: the draft and the note on the closed task, or neither.
    with transaction.one_transaction():
        created = drafts.create_draft(actor, draft)
        audit.record(actor, task, "follow_up_created", "closed", "closed",
                     _("Follow-up task %(code)s", code=created.code))
    return created
